package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orbos/orbos/internal/imagebuild"
	"github.com/orbos/orbos/internal/tools"
)

// ReconcilerRef is the name of the reconciler's image in a test registry.
const ReconcilerRef = "orbos/orbos:test"

// PushReconcilerImage builds the reconciler image as `make reconciler-image` does, from the static
// orbctl and orbos-policy in binDir and the cached Pulumi CLI and kubernetes provider, and pushes
// it to the registry; it returns the image's name there. dir holds the build's files.
func (r *Registry) PushReconcilerImage(ctx context.Context, binDir, dir string) (string, error) {
	contextDir := filepath.Join(dir, "image")
	if err := os.MkdirAll(contextDir, 0o755); err != nil {
		return "", err
	}
	for _, b := range imagebuild.ReconcilerBinaries {
		src := filepath.Join(binDir, b)
		if _, err := os.Stat(src); err != nil {
			if src, err = tools.Find(b); err != nil {
				return "", fmt.Errorf("testenv: the reconciler image's %s: %w", b, err)
			}
		}
		if err := os.Symlink(src, filepath.Join(contextDir, b)); err != nil {
			return "", err
		}
	}
	ref := r.Ref(ReconcilerRef)
	tarball := filepath.Join(dir, "reconciler.tar")
	if err := imagebuild.Reconciler(tarball, ref, contextDir); err != nil {
		return "", fmt.Errorf("testenv: reconciler image: %w", err)
	}
	if _, err := r.Push(ctx, tarball, ref); err != nil {
		return "", err
	}
	return ref, nil
}
