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
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/debrepo"
)

// AptRepo serves flat apt repositories (hack/tools.sh's debs-vX.Y.Z: .debs, Packages,
// Packages.gz, Release) over HTTP, with InRelease and Release.gpg signed by a key generated
// for this server alone. Machines use one with
//
//	deb [signed-by=KEYFILE] URL /
//
// after writing PublicKey to KEYFILE (a .gpg file) or ArmoredPublicKey (a .asc file).
type AptRepo struct {
	// URL is http://ADDRESS:PORT/, the repository's root; for repositories per minor version
	// (ServeAptRepos) http://ADDRESS:PORT/{minor}/, as the spec's packageRepository.url takes it.
	URL string
	// Dir is the directory served at the root (ServeAptRepo); Dirs the directories served per
	// minor version (ServeAptRepos).
	Dir  string
	Dirs map[string]string
	// PublicKey is the signing key's public part (binary OpenPGP), ArmoredPublicKey the same armored.
	PublicKey, ArmoredPublicKey []byte

	srv  *http.Server
	done chan error
}

// MinorPlaceholder stands for the minor version in a URL of repositories per minor version.
const MinorPlaceholder = "{minor}"

// ServeAptRepo serves dir on address (an IP: 127.0.0.1, or a test network's bridge address
// that the test's machines reach) and a free port until Stop.
func ServeAptRepo(dir, address string) (*AptRepo, error) {
	a, err := serveAptRepos(map[string]string{"": dir}, address)
	if err != nil {
		return nil, err
	}
	a.Dir = dir
	return a, nil
}

// minorVersion is a Kubernetes minor version as pkgs.k8s.io names its repositories.
var minorVersion = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// ServeAptRepos serves one flat repository per minor version on one server, as a mirror of
// pkgs.k8s.io lays them out: dirs maps "v1.31" to a debs directory, served at /v1.31/. Every
// Release is signed by the same key. URL is http://ADDRESS:PORT/{minor}/.
func ServeAptRepos(dirs map[string]string, address string) (*AptRepo, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("testenv: apt repositories: none to serve")
	}
	for m := range dirs {
		if !minorVersion.MatchString(m) {
			return nil, fmt.Errorf("testenv: apt repositories: %q is not a minor version like v1.31", m)
		}
	}
	a, err := serveAptRepos(dirs, address)
	if err != nil {
		return nil, err
	}
	a.URL += MinorPlaceholder + "/"
	a.Dirs = map[string]string{}
	for m, d := range dirs {
		a.Dirs[m] = d
	}
	return a, nil
}

// serveAptRepos serves each directory under /PREFIX/ ("" is the root), its Release signed.
func serveAptRepos(dirs map[string]string, address string) (*AptRepo, error) {
	if net.ParseIP(address) == nil {
		return nil, fmt.Errorf("testenv: apt repository address %q is not an IP", address)
	}
	key, err := debrepo.NewSigningKey()
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	a := &AptRepo{done: make(chan error, 1)}
	if a.PublicKey, err = key.PublicKey(); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if a.ArmoredPublicKey, err = key.ArmoredPublicKey(); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	signed := map[string][]byte{}
	mux := http.NewServeMux()
	prefixes := make([]string, 0, len(dirs))
	for p := range dirs {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, prefix := range prefixes {
		dir := dirs[prefix]
		release, err := os.ReadFile(filepath.Join(dir, debrepo.ReleaseFile))
		if err != nil {
			return nil, fmt.Errorf("testenv: apt repository: %w", err)
		}
		inRelease, detached, err := key.Sign(release)
		if err != nil {
			return nil, fmt.Errorf("testenv: %w", err)
		}
		root := "/"
		if prefix != "" {
			root = "/" + prefix + "/"
		}
		signed[root+debrepo.InReleaseFile], signed[root+debrepo.ReleaseGPGFile] = inRelease, detached
		files := http.StripPrefix(root[:len(root)-1], http.FileServer(http.Dir(dir)))
		mux.HandleFunc(root, func(w http.ResponseWriter, r *http.Request) {
			if data, ok := signed[path.Clean(r.URL.Path)]; ok {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, _ = w.Write(data)
				return
			}
			files.ServeHTTP(w, r)
		})
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
	return aptRepoForTest(t, a, err)
}

// ServeAptReposForTest serves dirs (see ServeAptRepos) on address until the test ends.
func ServeAptReposForTest(t testing.TB, dirs map[string]string, address string) *AptRepo {
	t.Helper()
	a, err := ServeAptRepos(dirs, address)
	return aptRepoForTest(t, a, err)
}

func aptRepoForTest(t testing.TB, a *AptRepo, err error) *AptRepo {
	t.Helper()
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

// MinorURL is the repository of a minor version ("v1.31"): URL with {minor} replaced.
func (a *AptRepo) MinorURL(minor string) string {
	return strings.ReplaceAll(a.URL, MinorPlaceholder, minor)
}

// SourcesLine is the sources.list line for this repository with its key at keyFile (for
// repositories per minor version, the URL keeps {minor}: see MinorURL).
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
