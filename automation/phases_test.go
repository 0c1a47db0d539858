package automation

import (
	"bytes"
	"testing"

	"github.com/orbos/orbos/internal/redact"
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

// Progress written while secrets are being learned waits in the queue, not in the writer, and comes
// out in order, redacted, once they are known.
func TestProgressQueueKeepsOrderAndHoldsBackUntilLearned(t *testing.T) {
	var r redact.Redactor
	release := make(chan struct{})
	r.Learning(func() {
		<-release
		r.Add("s3cr3t-value-learned-late-0123456789")
	})
	var out bytes.Buffer
	q := newProgressQueue(r.Writer(&out), &r)
	for _, line := range []string{"one\n", "two s3cr3t-value-learned-late-0123456789\n", "three\n"} {
		if _, err := q.Write([]byte(line)); err != nil { // returns at once: it does not wait for learning
			t.Fatal(err)
		}
	}
	close(release)
	q.Flush()
	if got := out.String(); got != "one\ntwo [secret]\nthree\n" {
		t.Errorf("got %q", got)
	}
	q.Write([]byte("four\n")) // nothing learned, nothing queued: straight through
	if got := out.String(); got != "one\ntwo [secret]\nthree\nfour\n" {
		t.Errorf("got %q", got)
	}
}
