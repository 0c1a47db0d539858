package automation

import (
	"errors"
	"fmt"
	"strings"
)

// PushError means a run's state was committed in the local checkout but could not be pushed.
// The next run pushes it.
type PushError struct {
	Commit   string
	Checkout string
	Err      error
}

func (e *PushError) Error() string {
	return fmt.Sprintf("the run's state is committed locally (%s in %s) but pushing it failed: %v; "+
		"the next orbctl run from this checkout pushes it", short(e.Commit), e.Checkout, e.Err)
}

func (e *PushError) Unwrap() error { return e.Err }

// ErrChangesPending is returned by a preview that expected no changes and found some.
var ErrChangesPending = errors.New("the preview found changes")

// ErrNotConfirmed is returned when the user declined a destructive operation.
var ErrNotConfirmed = errors.New("not confirmed: nothing was changed")

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// PolicyError means the policy pack refused the desired state; nothing was changed.
type PolicyError struct {
	Operation  Operation
	Violations []string // "policy: what is wrong"
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("%s blocked by the policy pack, nothing was changed: %s", e.Operation, strings.Join(e.Violations, "; "))
}
