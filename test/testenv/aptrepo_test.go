package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"

	"github.com/orbos/orbos/internal/debrepo"
)

func get(t *testing.T, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return body
}

// The debs hack/tools.sh built, served as a signed flat repository: the index names each
// package at the version pkgs.k8s.io would, the files behind it match their checksums, the
// Release verifies with the served key, and each .deb holds what its package should.
func TestAptRepoServesSignedKubernetesDebs(t *testing.T) {
	dir := realArtifact(t, "debs-"+KubernetesVersion)
	a := ServeAptRepoForTest(t, dir)
	if want := "deb [signed-by=/k.gpg] " + a.URL + " /"; a.SourcesLine("/k.gpg") != want {
		t.Errorf("SourcesLine = %q, want %q", a.SourcesLine("/k.gpg"), want)
	}
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(a.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	release := get(t, a.URL+debrepo.ReleaseFile)
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(release), bytes.NewReader(get(t, a.URL+debrepo.ReleaseGPGFile)), nil); err != nil {
		t.Errorf("Release.gpg: %v", err)
	}
	in, _ := clearsign.Decode(get(t, a.URL+debrepo.InReleaseFile))
	if in == nil {
		t.Fatal("InRelease is not clear-signed")
	}
	if _, err := in.VerifySignature(ring, nil); err != nil {
		t.Errorf("InRelease: %v", err)
	}
	packages := get(t, a.URL+debrepo.PackagesFile)
	sum := sha256.Sum256(packages)
	if !bytes.Contains(in.Plaintext, []byte(hex.EncodeToString(sum[:]))) {
		t.Errorf("the signed Release does not vouch for the served Packages")
	}
	stanzas, err := debrepo.Stanzas(packages)
	if err != nil {
		t.Fatal(err)
	}
	debVersion, err := debrepo.DebianVersion(KubernetesVersion)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"kubeadm": {"./usr/bin/kubeadm"},
		"kubectl": {"./usr/bin/kubectl"},
		"kubelet": {"./usr/bin/kubelet", "." + debrepo.KubeletServicePath, "." + debrepo.KubeadmDropInPath},
	}
	seen := map[string]bool{}
	for _, s := range stanzas {
		name := s["Package"]
		files, ok := want[name]
		if !ok || seen[name] {
			t.Errorf("unexpected stanza %v", s)
			continue
		}
		seen[name] = true
		if s["Version"] != debVersion || s["Architecture"] != "amd64" {
			t.Errorf("%s: Version %q Architecture %q, want %s amd64", name, s["Version"], s["Architecture"], debVersion)
		}
		deb := get(t, a.URL+s["Filename"])
		got := sha256.Sum256(deb)
		if hex.EncodeToString(got[:]) != s["SHA256"] {
			t.Errorf("%s: served .deb does not match its SHA256", name)
		}
		path := filepath.Join(t.TempDir(), filepath.Base(s["Filename"]))
		if err := os.WriteFile(path, deb, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := exec.Command("dpkg-deb", "--info", path).CombinedOutput()
		if err != nil || !strings.Contains(string(info), " Package: "+name+"\n") || !strings.Contains(string(info), " Version: "+debVersion+"\n") {
			t.Errorf("dpkg-deb --info %s: %v\n%s", name, err, info)
		}
		list, err := exec.Command("dpkg-deb", "-c", path).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb -c %s: %v\n%s", name, err, list)
		}
		for _, f := range files {
			if !strings.Contains(string(list), " "+f+"\n") {
				t.Errorf("%s lacks %s:\n%s", name, f, list)
			}
		}
		// The packaged binary is the version it claims to be.
		x := t.TempDir()
		if out, err := exec.Command("dpkg-deb", "-x", path, x).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -x: %v: %s", err, out)
		}
		args := []string{"--version"}
		if name == "kubectl" {
			args = []string{"version", "--client"}
		}
		out, err := exec.Command(filepath.Join(x, "usr/bin", name), args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), KubernetesVersion) {
			t.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("packages %v, want %v", seen, want)
	}
}
