package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/orbos/orbos/internal/imagebuild"
)

// GreeterRef is the name of the greeter's image (test/testenv/greeter) in a test registry.
const GreeterRef = "orbos/greeter:test"

// BuildGreeterImage builds test/testenv/greeter (static: the image has no libc) and puts it into a
// one-layer image at /greeter, written as the docker-archive dir/greeter.tar, whose path it
// returns. The image does not depend on the registry it is pushed to (Registry.Push names it), so a
// test binary builds it once for all its registries.
func BuildGreeterImage(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("testenv: greeter image: %w", err)
	}
	bin := filepath.Join(dir, "greeter")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "github.com/orbos/orbos/test/testenv/greeter")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testenv: building the greeter: %v: %s", err, out)
	}
	tarball := filepath.Join(dir, "greeter.tar")
	err := imagebuild.Build(tarball, GreeterRef, imagebuild.Config{Entrypoint: []string{"/greeter"}}, func(l *imagebuild.Layer) error {
		return l.File("/greeter", 0o755, bin)
	})
	if err != nil {
		return "", fmt.Errorf("testenv: greeter image: %w", err)
	}
	return tarball, nil
}
