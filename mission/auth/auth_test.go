package auth

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbos/orbos/mission/auth/oidctest"
	"github.com/orbos/orbos/mission/config"
)

func TestCheckAdmin(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	a := &config.Admin{User: "admin", PasswordHash: string(hash)}
	if !CheckAdmin(a, "admin", "s3cret") || CheckAdmin(a, "admin", "wrong") || CheckAdmin(a, "root", "s3cret") || CheckAdmin(nil, "admin", "s3cret") {
		t.Fatal("CheckAdmin")
	}
}

func TestSessionsAndCSRF(t *testing.T) {
	s := NewSessions(true)
	rec := httptest.NewRecorder()
	sess := s.Start(rec, User{Name: "a", Email: "a@example.com"})
	ck := rec.Result().Cookies()[0]
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || len(ck.Value) < 40 {
		t.Fatalf("cookie %+v", ck)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(ck)
	if got := s.Get(r); got != sess {
		t.Fatal("session not found")
	}
	if !sess.CheckCSRF(sess.CSRF) || sess.CheckCSRF("") || sess.CheckCSRF(sess.CSRF+"x") {
		t.Fatal("CSRF")
	}
	s.End(httptest.NewRecorder(), r)
	if s.Get(r) != nil {
		t.Fatal("ended session still valid")
	}
	other := httptest.NewRequest(http.MethodGet, "/", nil)
	other.AddCookie(&http.Cookie{Name: SessionCookie, Value: "guessed"})
	if s.Get(other) != nil {
		t.Fatal("a guessed session")
	}
}

// The authorization code flow against the loopback test issuer: state, PKCE, nonce, ID token.
func TestOIDCFlow(t *testing.T) {
	is := oidctest.Start(t, "mission")
	is.SignInAs(oidctest.Claims{Subject: "u1", Email: "olga@example.com", Name: "Olga", Groups: []string{"ops"}})
	sessions := NewSessions(false)
	var got User
	var finishErr error
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	o, err := NewOIDC(context.Background(), &config.OIDC{Issuer: is.URL, ClientID: "mission", GroupsClaim: "groups"}, srv.URL+"/auth/callback", sessions)
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/auth/oidc", o.Begin)
	mux.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) { got, finishErr = o.Finish(w, r) })
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(srv.URL + "/auth/oidc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if finishErr != nil || got.Email != "olga@example.com" || got.Name != "Olga" || !slices.Equal(got.Groups, []string{"ops"}) {
		t.Fatalf("user %+v, %v", got, finishErr)
	}
	// A callback with a state the browser did not start is refused.
	u, _ := url.Parse(srv.URL + "/auth/callback?code=x&state=forged")
	resp, err = c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if finishErr == nil {
		t.Fatal("a forged callback was accepted")
	}
}
