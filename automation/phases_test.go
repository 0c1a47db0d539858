package automation

import (
	"bytes"
	"testing"
)

func TestPrintPhasesShowsEachShareAndWhatNoPhaseCovers(t *testing.T) {
	res := &Result{Seconds: 2, Phases: []Phase{{PhaseLock, 0.25}, {PhaseEngine, 1.5}}}
	var b bytes.Buffer
	PrintPhases(&b, res)
	want := `phase       seconds  share
lock          0.250    12%
engine        1.500    75%
other         0.250    12%
total         2.000       
`
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	PrintPhases(&b, &Result{})
	if b.Len() != 0 {
		t.Errorf("a run without phases printed %q", b.String())
	}
}
