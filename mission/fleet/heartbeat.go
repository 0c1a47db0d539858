package fleet

import (
	"time"

	"github.com/orbos/orbos/mission/config"
)

// Heartbeat is the last sign of life of the ORB's in-cluster reconciler that its repository shows.
// The reconciler writes nothing on a schedule: a run, a drift report or a note is a commit, and a
// run takes the ORB lock. So the newest of those commits and of the lock changes this MISSION saw
// (on its own clock) is the reconciler's heartbeat.
type Heartbeat struct {
	// Expected is set when the spec deploys a reconciler that is not suspended.
	Expected bool
	// Last is the newest sign of life (zero when none); Source says what it was.
	Last   time.Time
	Source string
	Age    time.Duration
	// Stalled is set when a reconciler is expected and Last is older than the ORB's reconcilerStall.
	Stalled bool
}

// heartbeat reads the reconciler's heartbeat at now; stall 0 is config.DefaultReconcilerStall.
func (o *ORB) heartbeat(now time.Time, stall time.Duration) Heartbeat {
	var h Heartbeat
	if o.Spec != nil {
		r := o.Spec.File.Config.Reconciler
		h.Expected = r != nil && r.Image != "" && !r.Suspend
	}
	for _, e := range o.History {
		if (runOperations[e.Operation] || e.Operation == "reconciler") && e.When.After(h.Last) {
			h.Last, h.Source = e.When, e.Operation+" commit"
		}
	}
	if o.LockActivity.After(h.Last) {
		h.Last, h.Source = o.LockActivity, "lock"
	}
	if stall == 0 {
		stall = config.DefaultReconcilerStall
	}
	if !h.Last.IsZero() {
		h.Age = max(now.Sub(h.Last), 0)
	}
	h.Stalled = h.Expected && (h.Last.IsZero() || h.Age > stall)
	return h
}
