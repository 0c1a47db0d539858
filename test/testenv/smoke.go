package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/orbos/orbos/internal/imagebuild"
)

// SmokeRef is the name of the smoke workload's image in a test registry (hack/smoke).
const SmokeRef = "orbos/smoke:test"

// PushSmokeImage builds hack/smoke (static), puts it into a one-layer image at /smoke and pushes
// it to the registry; it returns the image's name there. dir holds the build's files.
func (r *Registry) PushSmokeImage(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "smoke")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/orbos/orbos/hack/smoke")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: building the smoke image's binary: %v: %s", err, out)
	}
	ref := r.Ref(SmokeRef)
	tarball := filepath.Join(dir, "smoke.tar")
	err := imagebuild.Build(tarball, ref, imagebuild.Config{Entrypoint: []string{"/smoke"}}, func(l *imagebuild.Layer) error {
		return l.File("/smoke", 0o755, bin)
	})
	if err != nil {
		return "", fmt.Errorf("testenv: smoke image: %w", err)
	}
	if _, err := r.Push(ctx, tarball, ref); err != nil {
		return "", err
	}
	return ref, nil
}
