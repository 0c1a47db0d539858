package testenv

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	a := ServeAptRepoForTest(t, dir, "127.0.0.1")
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
		args := map[string][]string{"kubeadm": {"version", "-o", "short"}, "kubectl": {"version", "--client"}, "kubelet": {"--version"}}[name]
		out, err := exec.Command(filepath.Join(x, "usr/bin", name), args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), KubernetesVersion) {
			t.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("packages %v, want %v", seen, want)
	}
}

// apt itself accepts the repository: it verifies InRelease with the served key and finds the
// packages at their versions. Lists and sources live in a temporary directory; the machine's apt
// state is not touched.
func TestAptGetUpdateTrustsTheSignedRepo(t *testing.T) {
	dir := realArtifact(t, "debs-"+KubernetesVersion)
	a := ServeAptRepoForTest(t, dir, "127.0.0.1")
	tmp := t.TempDir()
	key := filepath.Join(tmp, "orbos.gpg")
	if err := os.WriteFile(key, a.PublicKey, 0o644); err != nil {
		t.Fatal(err)
	}
	sources := filepath.Join(tmp, "orbos.list")
	if err := os.WriteFile(sources, []byte(a.SourcesLine(key)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// An empty dpkg status: what this machine has installed (a kubectl of its own) does not count.
	status := filepath.Join(tmp, "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + sources, "-o", "Dir::Etc::SourceParts=-",
		"-o", "Dir::State::Lists=" + filepath.Join(tmp, "lists"), "-o", "Dir::Cache=" + filepath.Join(tmp, "cache"),
		"-o", "Dir::State::status=" + status, "-o", "APT::Sandbox::User=root",
	}
	out, err := exec.Command("apt-get", append(opts, "update", "-q")...).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("NO_PUBKEY")) || bytes.Contains(out, []byte("not signed")) || bytes.Contains(out, []byte("W: ")) {
		t.Fatalf("apt-get update: %v\n%s", err, out)
	}
	debVersion, _ := debrepo.DebianVersion(KubernetesVersion)
	for _, pkg := range []string{"kubeadm", "kubelet", "kubectl"} {
		out, err := exec.Command("apt-cache", append(opts, "policy", pkg)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Candidate: "+debVersion) {
			t.Errorf("apt-cache policy %s: %v\n%s", pkg, err, out)
		}
	}
	// A key that did not sign it is refused.
	other, err := debrepo.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := other.PublicKey()
	if err := os.WriteFile(key, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(tmp, "lists")); err != nil {
		t.Fatal(err)
	}
	_ = os.MkdirAll(filepath.Join(tmp, "lists/partial"), 0o755)
	out, _ = exec.Command("apt-get", append(opts, "update", "-q")...).CombinedOutput()
	if !bytes.Contains(out, []byte("NO_PUBKEY")) && !bytes.Contains(out, []byte("is not signed")) {
		t.Errorf("apt-get update accepted a repository signed by another key:\n%s", out)
	}
}

// stubDebs writes a flat repository of kubeadm, kubelet and kubectl at version whose binaries are
// scripts: enough for apt's index and signatures, no tool build needed.
func stubDebs(t *testing.T, version string) string {
	t.Helper()
	bins, out := t.TempDir(), t.TempDir()
	for _, n := range []string{"kubeadm", "kubelet", "kubectl"} {
		if err := os.WriteFile(filepath.Join(bins, n), []byte("#!/bin/sh\necho "+version+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range debrepo.KubernetesPackages() {
		if _, err := debrepo.Build(p, version, bins, out); err != nil {
			t.Fatal(err)
		}
	}
	if err := debrepo.WriteIndex(out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

// One server, one key, a repository per minor version under /v1.31/ and /v1.32/ as a pkgs.k8s.io
// mirror lays them out: each Release is signed by the served key and vouches for its own
// Packages, apt finds each minor's packages at their version through the {minor} URL, and a minor
// that is not served, or the root, is not found.
func TestAptReposServeEachMinorUnderItsPath(t *testing.T) {
	dirs := map[string]string{"v1.31": stubDebs(t, "v1.31.4"), "v1.32": stubDebs(t, "v1.32.9")}
	a := ServeAptReposForTest(t, dirs, "127.0.0.1")
	if !strings.HasSuffix(a.URL, "/{minor}/") || a.MinorURL("v1.32") != strings.Replace(a.URL, "{minor}", "v1.32", 1) {
		t.Fatalf("URL %q, MinorURL(v1.32) %q", a.URL, a.MinorURL("v1.32"))
	}
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(a.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	for minor, want := range map[string]string{"v1.31": "1.31.4-1.1", "v1.32": "1.32.9-1.1"} {
		url := a.MinorURL(minor)
		in, _ := clearsign.Decode(get(t, url+debrepo.InReleaseFile))
		if in == nil {
			t.Fatalf("%s: InRelease is not clear-signed", minor)
		}
		if _, err := in.VerifySignature(ring, nil); err != nil {
			t.Errorf("%s: InRelease: %v", minor, err)
		}
		release := get(t, url+debrepo.ReleaseFile)
		if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(release), bytes.NewReader(get(t, url+debrepo.ReleaseGPGFile)), nil); err != nil {
			t.Errorf("%s: Release.gpg: %v", minor, err)
		}
		packages := get(t, url+debrepo.PackagesFile)
		sum := sha256.Sum256(packages)
		if !bytes.Contains(in.Plaintext, []byte(hex.EncodeToString(sum[:]))) {
			t.Errorf("%s: the signed Release does not vouch for the served Packages", minor)
		}
		stanzas, err := debrepo.Stanzas(packages)
		if err != nil || len(stanzas) != 3 {
			t.Fatalf("%s: %d stanzas, %v", minor, len(stanzas), err)
		}
		for _, s := range stanzas {
			if s["Version"] != want {
				t.Errorf("%s: %s at %s, want %s", minor, s["Package"], s["Version"], want)
			}
			if deb := get(t, url+s["Filename"]); len(deb) == 0 {
				t.Errorf("%s: %s is empty", minor, s["Filename"])
			}
		}
	}
	root := strings.TrimSuffix(a.URL, "{minor}/")
	for _, missing := range []string{a.MinorURL("v1.33") + debrepo.ReleaseFile, root + debrepo.ReleaseFile, root + debrepo.InReleaseFile} {
		resp, err := http.Get(missing)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", missing, resp.Status)
		}
	}

	// apt itself, one minor at a time as a node's source list has it.
	for minor, want := range map[string]string{"v1.31": "1.31.4-1.1", "v1.32": "1.32.9-1.1"} {
		opts := aptSandbox(t, a.PublicKey, fmt.Sprintf("deb [signed-by=%%s] %s /", a.MinorURL(minor)))
		out, err := exec.Command("apt-get", append(opts, "update", "-q")...).CombinedOutput()
		if err != nil || bytes.Contains(out, []byte("NO_PUBKEY")) || bytes.Contains(out, []byte("not signed")) || bytes.Contains(out, []byte("W: ")) {
			t.Fatalf("%s: apt-get update: %v\n%s", minor, err, out)
		}
		out, err = exec.Command("apt-cache", append(opts, "policy", "kubelet")...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Candidate: "+want) {
			t.Errorf("%s: apt-cache policy kubelet: %v\n%s", minor, err, out)
		}
	}

	if _, err := ServeAptRepos(map[string]string{"1.31": dirs["v1.31"]}, "127.0.0.1"); err == nil {
		t.Error("a minor version without its v was served")
	}
	if _, err := ServeAptRepos(map[string]string{"v1.31/../x": dirs["v1.31"]}, "127.0.0.1"); err == nil {
		t.Error("a minor version that is a path was served")
	}
}

// aptSandbox writes key and a sources list of one line (format's %s is the key file) into a
// temporary directory and returns the apt options that use them and nothing of this machine's apt state.
func aptSandbox(t *testing.T, key []byte, format string) []string {
	t.Helper()
	tmp := t.TempDir()
	keyFile := filepath.Join(tmp, "orbos.gpg")
	if err := os.WriteFile(keyFile, key, 0o644); err != nil {
		t.Fatal(err)
	}
	sources := filepath.Join(tmp, "orbos.list")
	if err := os.WriteFile(sources, []byte(fmt.Sprintf(format, keyFile)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	status := filepath.Join(tmp, "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{
		"-o", "Dir::Etc::SourceList=" + sources, "-o", "Dir::Etc::SourceParts=-",
		"-o", "Dir::State::Lists=" + filepath.Join(tmp, "lists"), "-o", "Dir::Cache=" + filepath.Join(tmp, "cache"),
		"-o", "Dir::State::status=" + status, "-o", "APT::Sandbox::User=root",
	}
}
