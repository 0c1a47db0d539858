package boom

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// source is where Helm finds a chart: a chart reference and, for a Helm repository, its URL.
type source struct {
	chart string
	url   string
}

func (s source) repoV4() helmv4.RepositoryOptsPtrInput {
	if s.url == "" {
		return nil
	}
	return &helmv4.RepositoryOptsArgs{Repo: pulumi.String(s.url)}
}

func (s source) repoV3() helmv3.RepositoryOptsPtrInput {
	if s.url == "" {
		return nil
	}
	return &helmv3.RepositoryOptsArgs{Repo: pulumi.String(s.url)}
}

// resolveChart turns a spec's chart into a Helm chart reference: an oci:// reference, a name in an
// https:// repository, or a local chart under the ORB repository, whose name and version must be the
// pinned ones (Helm takes a local chart as it is, whatever version was asked for). The mirror, when
// set, replaces the repository of every chart that is not local.
func resolveChart(c stacks.Chart, mirror, repoDir string) (source, error) {
	if c.Local() {
		if repoDir == "" {
			return source{chart: c.Repository}, nil
		}
		path := filepath.Join(repoDir, filepath.FromSlash(c.Repository))
		name, version, err := localChart(path)
		if err != nil {
			return source{}, fmt.Errorf("the chart %s in the ORB repository: %w", c.Repository, err)
		}
		if (c.Name != "" && name != c.Name) || version != c.Version {
			return source{}, fmt.Errorf("the chart %s in the ORB repository is %s %s, not the pinned %s %s", c.Repository, name, version, c.Name, c.Version)
		}
		return source{chart: path}, nil
	}
	repo := c.Repository
	if mirror != "" {
		repo = mirror
	}
	if strings.HasPrefix(repo, "oci://") {
		return source{chart: strings.TrimSuffix(repo, "/") + "/" + c.Name}, nil
	}
	return source{chart: c.Name, url: repo}, nil
}

type chartMeta struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

// localChart reads the name and version of a chart directory or .tgz.
func localChart(path string) (name, version string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", "", errors.New("not found")
	}
	var raw []byte
	if info.IsDir() {
		if raw, err = os.ReadFile(filepath.Join(path, "Chart.yaml")); err != nil {
			return "", "", errors.New("a chart directory without Chart.yaml")
		}
	} else if raw, err = chartYAMLOfArchive(path); err != nil {
		return "", "", err
	}
	var m chartMeta
	if err := yaml.Unmarshal(raw, &m); err != nil || m.Name == "" || m.Version == "" {
		return "", "", errors.New("its Chart.yaml has no name and version")
	}
	return m.Name, m.Version, nil
}

// chartYAMLOfArchive returns <chart>/Chart.yaml of a packaged chart.
func chartYAMLOfArchive(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, errors.New("neither a chart directory nor a .tgz")
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("a .tgz without <chart>/Chart.yaml")
		}
		if err != nil {
			return nil, fmt.Errorf("reading the .tgz: %w", err)
		}
		if parts := strings.Split(h.Name, "/"); len(parts) == 2 && parts[1] == "Chart.yaml" {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}
