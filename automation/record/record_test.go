package record

import (
	"testing"
	"time"
)

// What the writer puts into a commit message, the parser reads back; a value cannot break out of
// its line, and only the last paragraph's Orbos- lines count.
func TestTrailersRoundTrip(t *testing.T) {
	want := Trailers{KeyOperation: "up", KeyOutcome: "failed", KeyRun: "r1", KeyChanges: ChangesTrailer(map[string]int{"create": 2, "update": 1}),
		KeyPolicy: PolicySkipped, KeyValue: "two\nlines"}
	msg := Message("orbos up x: failed", "Orbos-Operation: destroy (in the body, not a trailer)", want)
	got := ParseTrailers(msg)
	want[KeyValue] = "two lines"
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if want[KeyChanges] != "create=2,update=1" {
		t.Errorf("changes trailer %q", want[KeyChanges])
	}
	e := EntryOf("abc", time.Now(), "orbos", msg)
	if e.Operation != "up" || e.Outcome != "failed" || e.Run != "r1" || e.Policy != PolicySkipped || e.Subject != "orbos up x: failed" {
		t.Fatalf("entry %+v", e)
	}
	if e := EntryOf("def", time.Now(), "someone", "bump kubernetes\n\nby hand"); e.Operation != "change" || e.Outcome != "" {
		t.Fatalf("a commit without trailers: %+v", e)
	}
}

func TestDescribeChanges(t *testing.T) {
	if got := DescribeChanges(map[string]int{"update": 1, "create": 2}); got != "2 created, 1 updated" {
		t.Fatalf("got %q", got)
	}
	if got := ChangesTrailer(nil); got != "none" {
		t.Fatalf("got %q", got)
	}
}
