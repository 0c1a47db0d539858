// Package redact masks secret values in text orbos prints or stores. A Redactor knows each secret in
// the forms it leaks in: raw, JSON-escaped (a secret inside a JSON document or a Go %q), base64
// (a kubeconfig's key data, a Secret's data, an SSH agent's blob) and line by line (a PEM key of
// which an error quotes a few lines).
package redact

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Mask replaces every secret.
const Mask = "[secret]"

// MinLength is the shortest value registered: shorter ones would mask ordinary words.
const MinLength = 4

// minLineLength is the shortest line of a multi-line secret registered on its own (a PEM body line
// is 64 characters; "-----END RSA PRIVATE KEY-----" is public and shorter than most).
const minLineLength = 24

// Redactor replaces known secret values by Mask in text orbos prints or stores. Its zero value is
// ready; a nil *Redactor redacts nothing. It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	known   map[string]bool
	secrets []string // longest first, so that a secret containing another is replaced whole
	r       *strings.Replacer
	// pending is open while Learning registers secrets: redacting waits for it.
	pending chan struct{}
}

// Learning runs learn, which registers secrets that take time to find (a passphrase's key
// derivation), beside the caller: until learn has returned, String, Error, Len and every Writer
// wait for it, so that nothing passes before the secrets it finds are known. learn must not
// redact with r itself.
func (r *Redactor) Learning(learn func()) {
	done := make(chan struct{})
	r.mu.Lock()
	prev := r.pending
	r.pending = done
	r.mu.Unlock()
	go func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		learn()
	}()
}

// Pending says whether a Learning is under way (redacting would wait for it).
func (r *Redactor) Pending() bool {
	if r == nil {
		return false
	}
	r.mu.RLock()
	p := r.pending
	r.mu.RUnlock()
	if p == nil {
		return false
	}
	select {
	case <-p:
		return false
	default:
		return true
	}
}

// wait returns once no Learning is under way.
func (r *Redactor) wait() {
	r.mu.RLock()
	p := r.pending
	r.mu.RUnlock()
	if p != nil {
		<-p
	}
}

// Add registers secret values in every form they may leak in; values shorter than MinLength are
// ignored.
func (r *Redactor) Add(values ...string) {
	var forms []string
	for _, v := range values {
		forms = append(forms, Forms(v)...)
	}
	r.addForms(forms)
}

// Forms are the strings a secret is known by: itself, JSON-escaped, base64 (standard, URL-safe,
// with and without padding) and, for a multi-line secret, each long line.
func Forms(v string) []string {
	v = strings.TrimRight(v, "\n")
	if len(v) < MinLength {
		return nil
	}
	forms := []string{v}
	if b, err := json.Marshal(v); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(v)), enc.EncodeToString([]byte(v+"\n")))
	}
	if strings.Contains(v, "\n") {
		for _, l := range strings.Split(v, "\n") {
			if l = strings.TrimSpace(l); len(l) >= minLineLength && !strings.HasPrefix(l, "-----") {
				forms = append(forms, l)
			}
		}
	}
	return forms
}

func (r *Redactor) addForms(forms []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil {
		r.known = map[string]bool{}
	}
	added := false
	for _, f := range forms {
		if len(f) >= MinLength && !r.known[f] {
			r.known[f] = true
			r.secrets = append(r.secrets, f)
			added = true
		}
	}
	if !added {
		return
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
	pairs := make([]string, 0, 2*len(r.secrets))
	for _, s := range r.secrets {
		pairs = append(pairs, s, Mask)
	}
	r.r = strings.NewReplacer(pairs...)
}

// AddKubeconfig registers a kubeconfig and the credentials in it (tokens, passwords, client keys,
// raw and decoded); text that is not a kubeconfig is registered as it is.
func (r *Redactor) AddKubeconfig(kubeconfig string) {
	r.Add(kubeconfig)
	var kc struct {
		Users []struct {
			User struct {
				Token    string `yaml:"token"`
				Password string `yaml:"password"`
				KeyData  string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
	}
	if yaml.Unmarshal([]byte(kubeconfig), &kc) != nil {
		return
	}
	for _, u := range kc.Users {
		r.Add(u.User.Token, u.User.Password, u.User.KeyData)
		if key, err := base64.StdEncoding.DecodeString(u.User.KeyData); err == nil {
			r.Add(string(key))
		}
	}
}

// Len is the number of forms registered.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	r.wait()
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.secrets)
}

// String returns s with every registered secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.wait()
	r.mu.RLock()
	rep := r.r
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Error returns err with a redacted message; errors.As and errors.Is still see what it wraps.
func (r *Redactor) Error(err error) error {
	if err == nil || r.Len() == 0 {
		return err
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Writer returns a writer that redacts each write before passing it on. Callers write whole lines.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
