package web

import (
	"net/http"

	"github.com/orbos/orbos/mission/auth"
)

// loginCookie is the double-submit token of the local sign-in form (there is no session yet).
const loginCookie = "mission_login"

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := auth.Token(24)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", MaxAge: 900, HttpOnly: true,
		Secure: s.cfg.TLS != nil || isHTTPS(s.cfg.PublicURL), SameSite: http.SameSiteStrictMode})
	s.render(w, http.StatusOK, "login", map[string]any{"Local": s.cfg.Admin != nil, "OIDC": s.oidc != nil, "Token": tok, "Error": r.URL.Query().Get("failed") != ""})
}

func (s *Server) loginLocal(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || r.ParseForm() != nil || c.Value == "" || r.PostForm.Get("token") != c.Value || !s.sameOrigin(r) {
		http.Error(w, "refused: the sign-in form's token is missing or wrong; reload the page", http.StatusForbidden)
		return
	}
	if !auth.CheckAdmin(s.cfg.Admin, r.PostForm.Get("user"), r.PostForm.Get("password")) {
		s.log.Warn("local sign-in refused") // never the name or password tried
		http.Redirect(w, r, "/login?failed=1", http.StatusSeeOther)
		return
	}
	s.sessions.Start(w, auth.User{Name: s.cfg.Admin.User, Email: s.cfg.Admin.User, Admin: true})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) oidcBegin(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	s.oidc.Begin(w, r)
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	u, err := s.oidc.Finish(w, r)
	if err != nil {
		s.log.Warn("OIDC sign-in refused", "err", err)
		s.message(w, http.StatusForbidden, nil, "Sign-in refused", err.Error())
		return
	}
	s.sessions.Start(w, u)
	// A page of MISSION's own moves on to the fleet: a redirect would still count as the issuer's
	// cross-site navigation, which does not carry the new SameSite=Strict session cookie.
	s.render(w, http.StatusOK, "message", map[string]any{"Title": "Signed in", "Text": "Signed in as " + u.Name + ".", "Refresh": "/"})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *auth.Session) {
	s.sessions.End(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func isHTTPS(u string) bool { return len(u) > 8 && u[:8] == "https://" }
