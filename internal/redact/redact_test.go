package redact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
)

const pem = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDpZnxYk2Lw8aQ+Xy2mH7Q3lGfWcYkR1o2Y0rYb2nC5XwAAAJgV1Xb6FdV2
-----END OPENSSH PRIVATE KEY-----
`

// Every form a secret leaks in is masked: raw, JSON-escaped, base64, and a single line of a PEM key.
func TestEveryFormIsMasked(t *testing.T) {
	r := &Redactor{}
	r.Add(pem, "s3cr\"et\\pass", "abc")
	js, _ := json.Marshal(map[string]string{"key": pem})
	for _, leak := range []string{
		pem,
		string(js),
		base64.StdEncoding.EncodeToString([]byte(pem)),
		base64.RawURLEncoding.EncodeToString([]byte(strings.TrimSpace(pem))),
		"error near line: QyNTUxOQAAACDpZnxYk2Lw8aQ+Xy2mH7Q3lGfWcYkR1o2Y0rYb2nC5XwAAAJgV1Xb6FdV2",
		fmt.Sprintf("%q", "s3cr\"et\\pass"),
		"password=s3cr\"et\\pass",
		base64.StdEncoding.EncodeToString([]byte("s3cr\"et\\pass")),
	} {
		got := r.String(leak)
		for _, f := range []string{"s3cr", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "QyNTUxOQAAACDpZnxY", "czNjciJldFxwYXNz"} {
			if strings.Contains(got, f) {
				t.Errorf("%q leaks %q after redaction: %q", leak, f, got)
			}
		}
		if !strings.Contains(got, Mask) {
			t.Errorf("%q: nothing masked", leak)
		}
	}
	// Short values would mask ordinary words.
	if got := r.String("abc def"); got != "abc def" {
		t.Errorf("a 3-character value was masked: %q", got)
	}
}

// A kubeconfig's credentials are masked on their own too: the token, the key data and the decoded key.
func TestKubeconfigCredentials(t *testing.T) {
	key := "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5jRGgmE8Y2GVQoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"
	kc := fmt.Sprintf("apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: tok-0123456789abcdef\n    client-key-data: %s\n",
		base64.StdEncoding.EncodeToString([]byte(key)))
	r := &Redactor{}
	r.AddKubeconfig(kc)
	for _, leak := range []string{"Bearer tok-0123456789abcdef", key, base64.StdEncoding.EncodeToString([]byte(key)), "MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5jRGgmE8Y2GVQoAoGCCqGSM49"} {
		if got := r.String(leak); strings.Contains(got, "tok-0123") || strings.Contains(got, "MHcCAQEE") || strings.Contains(got, "LS0tLS1CRUdJTi") {
			t.Errorf("%q leaks: %q", leak, got)
		}
	}
}

// A redacted error keeps what it wraps for errors.Is and errors.As; a nil Redactor changes nothing.
func TestErrorKeepsItsChain(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter22")
	err := r.Error(fmt.Errorf("login with hunter22: %w", fs.ErrPermission))
	if err.Error() != "login with [secret]: permission denied" || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("%v", err)
	}
	var nilR *Redactor
	if nilR.String("hunter22") != "hunter22" || nilR.Error(fs.ErrPermission) != fs.ErrPermission {
		t.Fatal("a nil redactor changed something")
	}
}

// While secrets are being learned, nothing is redacted (and so nothing passes) before they are known.
func TestLearningHoldsBackRedactionUntilTheSecretsAreKnown(t *testing.T) {
	var r Redactor
	release := make(chan struct{})
	r.Learning(func() {
		<-release
		r.Add("a-secret-learned-slowly-0123456789")
	})
	got := make(chan string, 1)
	go func() { got <- r.String("token a-secret-learned-slowly-0123456789") }()
	select {
	case s := <-got:
		t.Fatalf("redacted before the secrets were learned: %q", s)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if s := <-got; strings.Contains(s, "learned-slowly") {
		t.Errorf("the learned secret passed: %q", s)
	}
	if r.Len() == 0 {
		t.Error("nothing learned")
	}
}
