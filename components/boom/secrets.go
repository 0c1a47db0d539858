package boom

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// randomToken is 32 bytes from crypto/rand, URL-safe base64.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// argoCDSecret is Argo CD's argocd-secret: the admin password as Argo CD reads it (bcrypt), the
// time it was set, the server's signing key, and the password itself for the operator.
func argoCDSecret() (map[string]string, error) {
	pw, err := randomToken()
	if err != nil {
		return nil, err
	}
	key, err := randomToken()
	if err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("hashing Argo CD's admin password: %w", err)
	}
	return map[string]string{
		"admin.password":      string(hash),
		"admin.passwordMtime": time.Now().UTC().Format(time.RFC3339),
		"server.secretkey":    key,
		// Read by the operator (kubectl get secret argocd-secret); Argo CD ignores the key.
		"orbos.adminPassword": pw,
	}, nil
}
