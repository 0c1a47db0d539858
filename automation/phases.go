package automation

import (
	"fmt"
	"io"
	"time"
)

// Phase is one part of a run and the time it took; `orbctl up --verbose` prints them, so that a
// slow run shows where its time goes.
type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Phases of a run, in the order they happen.
const (
	PhaseOpen      = "open"      // the checkout taken and brought to the remote's branch
	PhaseLock      = "lock"      // the ORB lock taken (a push) and the checkout synced
	PhaseFetch     = "fetch"     // a preview's fetch
	PhaseSpec      = "spec"      // the desired state read, validated, its machines checked
	PhasePolicy    = "policy"    // the rules over the whole ORB judged in-process
	PhaseWorkspace = "workspace" // the Pulumi CLI, plugins and stack selected
	PhasePlan      = "plan"      // the preview shown before asking (a terminal's up)
	PhaseEngine    = "engine"    // the engine's preview, up, refresh or destroy
	PhaseRecord    = "record"    // status written, state committed and pushed with the lock
	PhaseUnlock    = "unlock"    // the ORB lock released (a push)
)

// timed starts the phase name; calling what it returns ends it.
func (r *Result) timed(name string) func() {
	start := time.Now()
	return func() { r.addPhase(name, time.Since(start)) }
}

func (r *Result) addPhase(name string, d time.Duration) {
	r.Phases = append(r.Phases, Phase{Name: name, Seconds: d.Round(time.Millisecond).Seconds()})
}

// PrintPhases writes the run's phases as a table with each one's share of the run.
func PrintPhases(w io.Writer, res *Result) {
	if len(res.Phases) == 0 {
		return
	}
	row := func(name string, seconds float64, share string) {
		fmt.Fprintf(w, "%-10s %8.3f %6s\n", name, seconds, share)
	}
	fmt.Fprintf(w, "%-10s %8s %6s\n", "phase", "seconds", "share")
	var sum float64
	for _, p := range res.Phases {
		sum += p.Seconds
		row(p.Name, p.Seconds, share(p.Seconds, res.Seconds))
	}
	if other := res.Seconds - sum; other > 0.0005 {
		row("other", other, share(other, res.Seconds))
	}
	row("total", res.Seconds, "")
}

func share(part, whole float64) string {
	if whole <= 0 {
		return ""
	}
	return fmt.Sprintf("%.0f%%", 100*part/whole)
}
