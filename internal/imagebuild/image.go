package imagebuild

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// DefaultPath is the PATH of every image: the binaries live in /usr/local/bin, Debian's tools
// in /usr/sbin.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Config is what an image says about how to run it.
type Config struct {
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
}

// Image makes a linux/amd64 image of the single layer in the tar file layerPath. The layer is
// compressed once (fast gzip: these are large binaries that compress little either way).
func Image(layerPath string, cfg Config) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(layerPath, tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("image: layer %s: %w", layerPath, err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User = cfg.Entrypoint, cfg.Cmd, cfg.User
	cf.Config.Env = append([]string{DefaultPath}, cfg.Env...)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// WriteTarball writes img tagged ref as a docker-archive at out (through a temporary file, so
// a cut-off run leaves no half tarball under the final name).
func WriteTarball(out, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".image-*.tar")
	if err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	defer os.Remove(tmp.Name())
	if err := tarball.Write(tag, img, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("image %s: %w", ref, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	return os.Rename(tmp.Name(), out)
}

// Build makes the image of the layer that fill writes and stores it as a docker-archive at out.
func Build(out, ref string, cfg Config, fill func(*Layer) error) error {
	l, err := NewLayer(filepath.Dir(out))
	if err != nil {
		return err
	}
	defer l.Remove()
	if err := fill(l); err != nil {
		l.Close()
		return fmt.Errorf("image %s: %w", ref, err)
	}
	if err := l.Close(); err != nil {
		return err
	}
	img, err := Image(l.Path(), cfg)
	if err != nil {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	return WriteTarball(out, ref, img)
}

// Tarballs lists the docker-archive files in dir with the references each holds.
func Tarballs(dir string) (map[string][]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil {
		return nil, err
	}
	refs := map[string][]string{}
	for _, p := range paths {
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(p) })
		if err != nil {
			return nil, fmt.Errorf("image tarball %s: %w", p, err)
		}
		for _, d := range m {
			refs[p] = append(refs[p], d.RepoTags...)
		}
	}
	return refs, nil
}
