package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/orbos/orbos/mission/config"
)

// flowCookie carries one sign-in's state, nonce and PKCE verifier to the callback. It is SameSite=Lax:
// the issuer's redirect back is a cross-site navigation, which a Strict cookie would not follow.
const flowCookie = "mission_oidc"

// OIDC signs users in with an OpenID Connect issuer (authorization code flow with PKCE and nonce).
type OIDC struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	groups   string
	sessions *Sessions
}

// NewOIDC discovers the issuer (its /.well-known/openid-configuration) and prepares the flow;
// callbackURL is MISSION's /auth/callback as users reach it.
func NewOIDC(ctx context.Context, c *config.OIDC, callbackURL string, sessions *Sessions) (*OIDC, error) {
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering the OIDC issuer %s: %w", c.Issuer, err)
	}
	secret := ""
	if c.ClientSecretFile != "" {
		raw, err := os.ReadFile(c.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("reading the OIDC client secret: %w", err)
		}
		secret = strings.TrimSpace(string(raw))
	}
	return &OIDC{
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: callbackURL,
			Scopes: []string{oidc.ScopeOpenID, "email", "profile", "groups"}},
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID}),
		groups:   c.GroupsClaim,
		sessions: sessions,
	}, nil
}

// Begin redirects the browser to the issuer.
func (o *OIDC) Begin(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := Token(24), Token(24), oauth2.GenerateVerifier()
	http.SetCookie(w, o.sessions.cookie(flowCookie, state+"."+nonce+"."+verifier, 600, http.SameSiteLaxMode))
	http.Redirect(w, r, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// Finish handles the issuer's redirect back: it checks state, exchanges the code, verifies the ID
// token (signature, issuer, audience, expiry, nonce) and returns the user.
func (o *OIDC) Finish(w http.ResponseWriter, r *http.Request) (User, error) {
	c, err := r.Cookie(flowCookie)
	http.SetCookie(w, o.sessions.cookie(flowCookie, "", -1, http.SameSiteLaxMode))
	if err != nil {
		return User{}, errors.New("the sign-in expired or was started elsewhere: sign in again")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 || r.URL.Query().Get("state") != parts[0] {
		return User{}, errors.New("the sign-in's state does not match: sign in again")
	}
	if e := r.URL.Query().Get("error"); e != "" {
		return User{}, fmt.Errorf("the issuer refused the sign-in: %s", e)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		return User{}, fmt.Errorf("exchanging the sign-in code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return User{}, errors.New("the issuer returned no ID token")
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return User{}, fmt.Errorf("verifying the ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(parts[1])) != 1 {
		return User{}, errors.New("the ID token's nonce does not match: sign in again")
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return User{}, fmt.Errorf("reading the ID token: %w", err)
	}
	u := User{Email: str(claims["email"]), Name: str(claims["name"])}
	if verified, ok := claims["email_verified"].(bool); ok && !verified {
		u.Email = "" // an unverified address grants nothing
	}
	if u.Email == "" {
		u.Email = id.Subject // grants may name the subject of users without a verified address
	}
	if u.Name == "" {
		u.Name = u.Email
	}
	if list, ok := claims[o.groups].([]any); ok {
		for _, g := range list {
			if s := str(g); s != "" {
				u.Groups = append(u.Groups, s)
			}
		}
	}
	return u, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
