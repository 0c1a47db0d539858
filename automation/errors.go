package automation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orbos/orbos/automation/txn"
)

// PushError means a run's state was committed in the local checkout but not pushed (see txn.PushError).
type PushError = txn.PushError

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
