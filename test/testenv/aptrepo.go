package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/debrepo"
)

// AptRepo serves a flat apt repository (hack/tools.sh's debs-vX.Y.Z: .debs, Packages,
// Packages.gz, Release) over HTTP, with InRelease and Release.gpg signed by a key generated
// for this server alone. Machines use it with
//
//	deb [signed-by=KEYFILE] URL /
//
// after writing PublicKey to KEYFILE (a .gpg file) or ArmoredPublicKey (a .asc file).
type AptRepo struct {
	// URL is http://ADDRESS:PORT/, the repository's root.
	URL string
	// Dir is the directory served.
	Dir string
	// PublicKey is the signing key's public part (binary OpenPGP), ArmoredPublicKey the same armored.
	PublicKey, ArmoredPublicKey []byte

	srv  *http.Server
	done chan error
}

// ServeAptRepo serves dir on address (an IP: 127.0.0.1, or a test network's bridge address
// that the test's machines reach) and a free port until Stop.
func ServeAptRepo(dir, address string) (*AptRepo, error) {
	release, err := os.ReadFile(filepath.Join(dir, debrepo.ReleaseFile))
	if err != nil {
		return nil, fmt.Errorf("testenv: apt repository: %w", err)
	}
	key, err := debrepo.NewSigningKey()
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	inRelease, detached, err := key.Sign(release)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	a := &AptRepo{Dir: dir, done: make(chan error, 1)}
	if a.PublicKey, err = key.PublicKey(); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if a.ArmoredPublicKey, err = key.ArmoredPublicKey(); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	signed := map[string][]byte{"/" + debrepo.InReleaseFile: inRelease, "/" + debrepo.ReleaseGPGFile: detached}
	files := http.FileServer(http.Dir(dir))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if data, ok := signed[path.Clean(r.URL.Path)]; ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write(data)
			return
		}
		files.ServeHTTP(w, r)
	})
	if net.ParseIP(address) == nil {
		return nil, fmt.Errorf("testenv: apt repository address %q is not an IP", address)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(address, "0"))
	if err != nil {
		return nil, fmt.Errorf("testenv: apt repository: %w", err)
	}
	a.URL = "http://" + l.Addr().String() + "/"
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { a.done <- a.srv.Serve(l) }()
	return a, nil
}

// ServeAptRepoForTest serves dir on address (127.0.0.1, or a Network's Gateway) until the test ends.
func ServeAptRepoForTest(t testing.TB, dir, address string) *AptRepo {
	t.Helper()
	a, err := ServeAptRepo(dir, address)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("testenv: stop apt repository: %v", err)
		}
	})
	return a
}

// SourcesLine is the sources.list line for this repository with its key at keyFile.
func (a *AptRepo) SourcesLine(keyFile string) string {
	return fmt.Sprintf("deb [signed-by=%s] %s /", keyFile, a.URL)
}

// Stop closes the server and waits for it.
func (a *AptRepo) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("testenv: apt repository: %w", err)
	}
	if err := <-a.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("testenv: apt repository: %w", err)
	}
	return nil
}
