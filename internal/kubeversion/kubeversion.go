// Package kubeversion knows Kubernetes release versions: their one written form (vMAJOR.MINOR.PATCH)
// and the steps a running cluster may take between them. The spec, the policy pack and the provider
// share it, so that they agree on what a version is.
package kubeversion

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
)

// Parse reads a Kubernetes release version written exactly as vMAJOR.MINOR.PATCH (no pre-release,
// no build metadata, no leading zeros, no surrounding space): the form that reaches package names,
// kubeadm and the machines.
func Parse(s string) (*version.Version, error) {
	v, err := version.ParseSemantic(s)
	if err != nil || "v"+v.String() != s || v.PreRelease() != "" || v.BuildMetadata() != "" {
		return nil, fmt.Errorf("%q is not a Kubernetes release version like v1.31.4", s)
	}
	return v, nil
}

// Step checks a Kubernetes version change: never down, at most one minor version up. Versions that
// do not parse are not its business (spec validation reports them) and pass.
func Step(current, desired string) error {
	if current == "" {
		return nil
	}
	want, err1 := version.ParseGeneric(desired)
	now, err2 := version.ParseGeneric(current)
	switch {
	case err1 != nil || err2 != nil:
		return nil
	case want.LessThan(now):
		return fmt.Errorf("the desired version %s is older than the running %s: Kubernetes is never downgraded", desired, current)
	case want.Major() != now.Major() || want.Minor() > now.Minor()+1:
		return fmt.Errorf("from %s to %s skips a minor version: upgrade one minor version per run (next: v%d.%d.x)",
			current, desired, now.Major(), now.Minor()+1)
	}
	return nil
}
