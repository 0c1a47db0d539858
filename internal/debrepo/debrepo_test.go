package debrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
)

func TestDebianVersion(t *testing.T) {
	for in, want := range map[string]string{"v1.31.4": "1.31.4-1.1", "v1.32.9": "1.32.9-1.1"} {
		if got, err := DebianVersion(in); err != nil || got != want {
			t.Errorf("DebianVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"1.31.4", "v1.31", "v1.31.4-rc.0", "v1.31.4;rm", ""} {
		if got, err := DebianVersion(bad); err == nil {
			t.Errorf("DebianVersion(%q) = %q, want an error", bad, got)
		}
	}
}

// buildRepo packages small stand-ins for the binaries (the layout does not depend on their size).
func buildRepo(t *testing.T) string {
	t.Helper()
	bins, out := t.TempDir(), t.TempDir()
	for _, n := range []string{"kubeadm", "kubelet", "kubectl"} {
		if err := os.WriteFile(filepath.Join(bins, n), []byte("#!/bin/sh\necho "+n+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range KubernetesPackages() {
		if _, err := Build(p, "v1.31.4", bins, out); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteIndex(out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestDebsHavePkgsK8sIoLayout(t *testing.T) {
	repo := buildRepo(t)
	want := map[string][]string{
		"kubeadm": {"./usr/bin/kubeadm"},
		"kubectl": {"./usr/bin/kubectl"},
		"kubelet": {"./usr/bin/kubelet", "." + KubeletServicePath, "." + KubeadmDropInPath, "./etc/kubernetes/manifests/"},
	}
	for name, files := range want {
		deb := filepath.Join(repo, FileName(name, "1.31.4-1.1"))
		if got := strings.TrimSpace(dpkgDeb(t, "-f", deb, "Version")); got != "1.31.4-1.1" {
			t.Errorf("%s: Version %q", name, got)
		}
		if got := strings.TrimSpace(dpkgDeb(t, "-f", deb, "Package")); got != name {
			t.Errorf("%s: Package %q", name, got)
		}
		list := dpkgDeb(t, "-c", deb)
		for _, f := range files {
			if !strings.Contains(list, " "+f+"\n") {
				t.Errorf("%s lacks %s:\n%s", name, f, list)
			}
		}
		if !strings.Contains(list, "-rwxr-xr-x root/root") {
			t.Errorf("%s: binary not 0755 root:\n%s", name, list)
		}
	}
	kubelet := filepath.Join(repo, FileName("kubelet", "1.31.4-1.1"))
	if deps := dpkgDeb(t, "-f", kubelet, "Depends"); !strings.Contains(deps, "conntrack") || !strings.Contains(deps, "iptables (>= 1.4.21)") {
		t.Errorf("kubelet Depends: %s", deps)
	}
	x := t.TempDir()
	dpkgDeb(t, "-x", kubelet, x)
	dropIn, err := os.ReadFile(filepath.Join(x, KubeadmDropInPath))
	if err != nil || !bytes.Contains(dropIn, []byte("EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env")) {
		t.Errorf("10-kubeadm.conf: %v\n%s", err, dropIn)
	}
}

func TestIndexListsEachDebWithItsChecksum(t *testing.T) {
	repo := buildRepo(t)
	packages, err := os.ReadFile(filepath.Join(repo, PackagesFile))
	if err != nil {
		t.Fatal(err)
	}
	stanzas, err := Stanzas(packages)
	if err != nil {
		t.Fatal(err)
	}
	if len(stanzas) != 3 {
		t.Fatalf("%d stanzas, want 3:\n%s", len(stanzas), packages)
	}
	for _, s := range stanzas {
		data, err := os.ReadFile(filepath.Join(repo, s["Filename"]))
		if err != nil {
			t.Fatalf("stanza %s: %v", s["Package"], err)
		}
		sum := sha256.Sum256(data)
		if s["SHA256"] != hex.EncodeToString(sum[:]) || s["Version"] != "1.31.4-1.1" || s["Architecture"] != "amd64" {
			t.Errorf("stanza %v does not describe %s", s, s["Filename"])
		}
	}
	release, err := os.ReadFile(filepath.Join(repo, ReleaseFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(packages)
	if !bytes.Contains(release, []byte(hex.EncodeToString(sum[:]))) {
		t.Errorf("Release lacks Packages' SHA256:\n%s", release)
	}
}

func TestSignedReleaseVerifiesWithThePublicKeyOnly(t *testing.T) {
	key, err := NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	release := []byte("Origin: orbos\nSHA256:\n 00 1 Packages\n")
	inRelease, detached, err := key.Sign(release)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := openpgp.ReadKeyRing(bytes.NewReader(pub))
	if err != nil {
		t.Fatal(err)
	}
	if ring[0].PrivateKey != nil {
		t.Fatal("the public key carries the private key")
	}
	b, _ := clearsign.Decode(inRelease)
	if b == nil || !bytes.Equal(bytes.TrimRight(b.Plaintext, "\n"), bytes.TrimRight(release, "\n")) {
		t.Fatalf("InRelease does not hold Release:\n%s", inRelease)
	}
	if _, err := b.VerifySignature(ring, nil); err != nil {
		t.Errorf("InRelease: %v", err)
	}
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(release), bytes.NewReader(detached), nil); err != nil {
		t.Errorf("Release.gpg: %v", err)
	}
	tampered := append([]byte("Origin: evil\n"), release...)
	if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(tampered), bytes.NewReader(detached), nil); err == nil {
		t.Error("Release.gpg verifies a changed Release")
	}
	armored, err := key.ArmoredPublicKey()
	if err != nil || !bytes.HasPrefix(armored, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
		t.Errorf("armored key: %v\n%s", err, armored)
	}
}
