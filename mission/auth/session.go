// Package auth signs users in to MISSION (a break-glass local admin with a bcrypt hash, or OpenID
// Connect) and keeps their sessions: an opaque random token in a secure cookie, a CSRF token per
// session that every form carries, and the user's role on each ORB from mission.yaml's grants.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/orbos/orbos/mission/config"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "mission_session"

// SessionTTL is how long a session lasts without being used.
const SessionTTL = 8 * time.Hour

// User is a signed-in person.
type User struct {
	Name, Email string
	Groups      []string
	// Admin is the local break-glass administrator: admin of every ORB.
	Admin bool
}

// Session is one signed-in browser.
type Session struct {
	User User
	// CSRF is the token every form of this session carries.
	CSRF    string
	expires time.Time
}

// Sessions keeps sessions in memory: a restart signs everyone out, which is the safe direction.
type Sessions struct {
	mu     sync.Mutex
	byID   map[string]*Session
	secure bool
	now    func() time.Time
}

// NewSessions makes a session store; secure marks cookies Secure (MISSION serves TLS or sits behind
// an https public URL).
func NewSessions(secure bool) *Sessions {
	return &Sessions{byID: map[string]*Session{}, secure: secure, now: time.Now}
}

// Token returns n random bytes from crypto/rand, base64url-encoded.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start signs u in: a new session and its cookie.
func (s *Sessions) Start(w http.ResponseWriter, u User) *Session {
	id := Token(32)
	sess := &Session{User: u, CSRF: Token(32), expires: s.now().Add(SessionTTL)}
	s.mu.Lock()
	s.byID[id] = sess
	s.mu.Unlock()
	http.SetCookie(w, s.cookie(SessionCookie, id, int(SessionTTL/time.Second), http.SameSiteStrictMode))
	return sess
}

// cookie makes a cookie HttpOnly, Secure when served over TLS, with the given SameSite mode.
func (s *Sessions) cookie(name, value string, maxAge int, same http.SameSite) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: s.secure, SameSite: same}
}

// Get returns the request's session, nil when signed out or expired.
func (s *Sessions) Get(r *http.Request) *Session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.byID[c.Value]
	if sess == nil {
		return nil
	}
	if s.now().After(sess.expires) {
		delete(s.byID, c.Value)
		return nil
	}
	sess.expires = s.now().Add(SessionTTL)
	return sess
}

// End signs the request's session out.
func (s *Sessions) End(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.mu.Lock()
		delete(s.byID, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, s.cookie(SessionCookie, "", -1, http.SameSiteStrictMode))
}

// CheckCSRF reports whether a form's token is the session's.
func (sess *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}

// Role is u's role on orb: admin everywhere for the local admin, else the strongest grant.
func (u User) Role(orb *config.Orb) string {
	if u.Admin {
		return config.RoleAdmin
	}
	// By e-mail (the issuer verified it), never by the display name a user may choose.
	return orb.Role(u.Email, u.Groups)
}
