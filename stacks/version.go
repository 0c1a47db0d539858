package stacks

import (
	"fmt"

	"github.com/blang/semver"
)

// VersionStep checks a Kubernetes version change: never down, at most one minor version up. Versions
// that do not parse are not its business (spec validation reports them) and pass.
func VersionStep(current, desired string) error {
	want, err1 := semver.ParseTolerant(desired)
	now, err2 := semver.ParseTolerant(current)
	switch {
	case current == "" || err1 != nil || err2 != nil:
		return nil
	case want.LT(now):
		return fmt.Errorf("the desired version %s is older than the running %s: Kubernetes is never downgraded", desired, current)
	case want.Major != now.Major || want.Minor > now.Minor+1:
		return fmt.Errorf("from %s to %s skips a minor version: upgrade one minor version per run (next: v%d.%d.x)",
			current, desired, now.Major, now.Minor+1)
	}
	return nil
}
