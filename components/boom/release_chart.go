package boom

import (
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"

	"github.com/orbos/orbos/stacks"
)

// ReleaseChart resolves a chart for a Helm release made outside BOOM's tools (Zitadel's database)
// as a tool's chart is resolved: the mirror replaces a remote repository; a local chart is under
// the ORB repository and must be the pinned name and version.
func ReleaseChart(c stacks.Chart, mirror, repoDir string) (string, helmv3.RepositoryOptsPtrInput, error) {
	src, err := resolveChart(c, mirror, repoDir)
	if err != nil {
		return "", nil, err
	}
	return src.chart, src.repoV3(), nil
}
