// Package web serves MISSION's pages: the fleet, each ORB with its timeline and diffs, and the edit
// form whose commits go to the ORB's repository. Everything it serves is embedded (html/template and
// go:embed; no script, no CDN). Every POST needs a session and its CSRF token.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/dismissals"
	"github.com/orbos/orbos/mission/fleet"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Server is MISSION's web handler.
type Server struct {
	cfg      *config.Config
	fleet    *fleet.Fleet
	sessions *auth.Sessions
	oidc     *auth.OIDC
	pages    map[string]*template.Template
	inbox    *dismissals.Store
	log      *slog.Logger
	// origin is the scheme://host browsers send in Origin; "" accepts the request's own host.
	origin string
}

// Options are what New needs besides the config and the fleet.
type Options struct {
	Sessions *auth.Sessions
	// OIDC is nil when mission.yaml configures no issuer.
	OIDC *auth.OIDC
	Log  *slog.Logger
	// Dismissals keep the notices users put away; nil keeps them in memory until the process ends.
	Dismissals *dismissals.Store
}

// New builds the handler.
func New(cfg *config.Config, f *fleet.Fleet, o Options) (*Server, error) {
	s := &Server{cfg: cfg, fleet: f, sessions: o.Sessions, oidc: o.OIDC, log: o.Log, inbox: o.Dismissals, pages: map[string]*template.Template{}}
	if s.inbox == nil {
		s.inbox, _ = dismissals.Open("") // in memory: cannot fail
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil {
			return nil, err
		}
		s.origin = u.Scheme + "://" + u.Host
	}
	for _, page := range []string{"login", "fleet", "orb", "change", "edit", "message", "inbox"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		s.pages[page] = t
	}
	return s, nil
}

// Handler is the routing of every page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.loginLocal)
	mux.HandleFunc("GET /auth/oidc", s.oidcBegin)
	mux.HandleFunc("GET /auth/callback", s.oidcCallback)
	mux.HandleFunc("POST /logout", s.signedIn(s.logout))
	mux.HandleFunc("GET /{$}", s.signedIn(s.fleetPage))
	mux.HandleFunc("GET /orbs/{orb}", s.signedIn(s.orbPage))
	mux.HandleFunc("GET /orbs/{orb}/commits/{commit}", s.signedIn(s.changePage))
	mux.HandleFunc("GET /inbox", s.signedIn(s.inboxPage))
	mux.HandleFunc("POST /inbox/dismiss", s.signedIn(s.inboxDismiss))
	mux.HandleFunc("POST /orbs/{orb}/edit", s.signedIn(s.editPreview))
	mux.HandleFunc("POST /orbs/{orb}/commit", s.signedIn(s.editCommit))
	return securityHeaders(mux)
}

// securityHeaders forbid framing, inline scripts and any origin but MISSION's own.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type handler func(w http.ResponseWriter, r *http.Request, sess *auth.Session)

// signedIn sends signed-out users to /login, and checks every POST's origin and CSRF token.
func (s *Server) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess := s.sessions.Get(r)
		if sess == nil {
			if r.Method != http.MethodGet {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if !s.sameOrigin(r) {
				http.Error(w, "refused: the form was not sent from MISSION's own page", http.StatusForbidden)
				return
			}
			if err := r.ParseForm(); err != nil || !sess.CheckCSRF(r.PostForm.Get("csrf")) {
				http.Error(w, "refused: the form's CSRF token is missing or wrong; reload the page", http.StatusForbidden)
				return
			}
		}
		h(w, r, sess)
	}
}

// sameOrigin refuses a POST whose Origin (sent by every current browser) is another site.
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser's cross-site form: the CSRF token still decides
	}
	if s.origin != "" {
		return o == s.origin
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// orb finds the ORB of the request and the user's role on it; it answers 404 for an ORB the user
// may not see, so that names are not disclosed.
func (s *Server) orb(w http.ResponseWriter, r *http.Request, sess *auth.Session) (*config.Orb, *fleet.Repo, string, bool) {
	name := r.PathValue("orb")
	conf, ok := s.cfg.Orb(name)
	repo, ok2 := s.fleet.Repo(name)
	role := ""
	if ok {
		role = sess.User.Role(conf)
	}
	if !ok || !ok2 || role == "" {
		http.NotFound(w, r)
		return nil, nil, "", false
	}
	return conf, repo, role, true
}

func (s *Server) render(w http.ResponseWriter, status int, page string, data any) {
	var b strings.Builder
	if err := s.pages[page].Execute(&b, data); err != nil {
		s.log.Error("rendering page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

func (s *Server) message(w http.ResponseWriter, status int, sess *auth.Session, title, text string) {
	s.render(w, status, "message", map[string]any{"Session": sess, "Title": title, "Text": text})
}

// ListenAndServe serves until ctx ends, with TLS when configured.
func (s *Server) ListenAndServe(ctx context.Context) error {
	srv := &http.Server{Addr: s.cfg.Listen, Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan error, 1)
	go func() {
		<-ctx.Done()
		// Requests under way (a commit being pushed) finish; new connections are refused.
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
		defer cancel()
		err := srv.Shutdown(sctx)
		if err != nil {
			err = errors.Join(fmt.Errorf("stopping the server: %w", err), srv.Close())
		}
		stopped <- err
	}()
	var err error
	if t := s.cfg.TLS; t != nil {
		err = srv.ListenAndServeTLS(t.CertFile, t.KeyFile)
	} else {
		err = srv.ListenAndServe()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = <-stopped
		s.log.Info("MISSION stopped", "err", err)
		return err
	}
	return err
}

// ShutdownGrace is how long a stopping server waits for the requests under way.
const ShutdownGrace = 10 * time.Second
