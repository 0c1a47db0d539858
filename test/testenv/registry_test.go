package testenv

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/imagebuild"
)

// realArtifact returns hack/tools.sh's artifact directory NAME, failing the test when it is
// missing (CI builds it first) unless ORBOS_SKIP_APISERVER=1, the tool-less run, skips it.
func realArtifact(t *testing.T, name string) string {
	t.Helper()
	if os.Getenv(SkipEnv) == "1" {
		t.Skip(SkipEnv + "=1: skipping a test that needs hack/tools.sh's " + name)
	}
	dir, err := ArtifactDir(name)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestKubernetesVersionIsToolsShs(t *testing.T) {
	script, err := os.ReadFile("../../hack/tools.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^KUBERNETES_VERSION=` + regexp.QuoteMeta(KubernetesVersion) + `$`).Match(script) {
		t.Errorf("hack/tools.sh does not build KubernetesVersion %s", KubernetesVersion)
	}
	if !regexp.MustCompile(`(?m)^KUBERNETES_NEXT_VERSION=` + regexp.QuoteMeta(KubernetesNextVersion) + `$`).Match(script) {
		t.Errorf("hack/tools.sh kubernetes-next does not build KubernetesNextVersion %s", KubernetesNextVersion)
	}
}

func TestRegistryServesWhatWasPushed(t *testing.T) {
	r := StartRegistryForTest(t, "127.0.0.1")
	dir := t.TempDir()
	tarballPath := filepath.Join(dir, "hello.tar")
	err := imagebuild.Build(tarballPath, "example.test/hello:v1", imagebuild.Config{Entrypoint: []string{"/hello"}},
		func(l *imagebuild.Layer) error { return l.Bytes("/hello", 0o755, []byte("#!/bin/sh\necho hello\n")) })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ref := r.Ref("hello:v1")
	pushed, err := r.Push(ctx, tarballPath, ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Digest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got != pushed {
		t.Errorf("registry resolves %s to %s, pushed %s", ref, got, pushed)
	}
	if _, err := r.Digest(ctx, r.Ref("hello:v2")); err == nil {
		t.Error("a tag never pushed resolves")
	}
	if _, err := r.Push(ctx, tarballPath, "other.test/hello:v1"); err == nil {
		t.Error("Push sent an image to another registry")
	}
}

// The images hack/tools.sh built go into the registry under the names kubeadm pulls with
// imageRepository set to the returned repository.
func TestPushKubernetesImagesUnderKubeadmNames(t *testing.T) {
	images := realArtifact(t, "images-"+KubernetesVersion)
	r := StartRegistryForTest(t, "127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	repo, pushed, err := r.PushKubernetesImages(ctx, images)
	if err != nil {
		t.Fatal(err)
	}
	if repo != r.Host+"/k8s" {
		t.Errorf("imageRepository %q", repo)
	}
	for _, want := range []string{"kube-apiserver:" + KubernetesVersion, "kube-controller-manager:" + KubernetesVersion,
		"kube-scheduler:" + KubernetesVersion, "kube-proxy:" + KubernetesVersion, "etcd:3.5.15-0", "coredns:v1.11.3", "pause:3.10"} {
		ref := repo + "/" + want
		d, ok := pushed[ref]
		if !ok {
			t.Errorf("%s not pushed (pushed: %v)", ref, pushed)
			continue
		}
		got, err := r.Digest(ctx, ref)
		if err != nil || got != d {
			t.Errorf("%s: registry has %s (%v), pushed %s", ref, got, err, d)
		}
	}
	if len(pushed) != 7 {
		t.Errorf("pushed %d images, want 7: %v", len(pushed), pushed)
	}
	for ref := range pushed {
		if strings.Contains(ref, "coredns/coredns") {
			t.Errorf("%s: kubeadm asks for IMAGEREPOSITORY/coredns with a custom repository", ref)
		}
	}
}
