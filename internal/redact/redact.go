// Package redact masks secret values in text orbos prints or stores.
package redact

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// Redactor replaces known secret values by "[secret]" in text orbos prints or stores.
type Redactor struct {
	mu      sync.Mutex
	secrets []string
}

// Add registers secret values; values shorter than 4 characters are ignored (they would mask
// ordinary words).
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) >= 4 {
			r.secrets = append(r.secrets, v)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// String returns s with every registered secret replaced.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, "[secret]")
	}
	return s
}

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
