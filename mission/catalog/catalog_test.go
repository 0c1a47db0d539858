package catalog

import (
	"slices"
	"testing"
	"time"
)

func TestAdviseAndNext(t *testing.T) {
	c, err := Parse([]byte(`kubernetes:
  - {minor: v1.31, latest: v1.31.14, endOfLife: 2025-10-28}
  - {minor: v1.30, latest: v1.30.14, endOfLife: 2025-06-28}
  - {minor: v1.32, latest: v1.32.11, endOfLife: 2026-02-28}
`))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if a := c.Advise("v1.31.4", before); a.Patch != "v1.31.14" || a.Minor != "v1.32.11" || a.EndOfLife != "" {
		t.Fatalf("advice %+v", a)
	}
	if a := c.Advise("v1.31.4", time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)); a.EndOfLife != "2025-10-28" {
		t.Fatalf("end of life not seen: %+v", a)
	}
	if a := c.Advise("v1.32.11", before); a.Any() {
		t.Fatalf("the newest version has advice %+v", a)
	}
	// Never a skipped minor, never down.
	if got := c.Next("v1.30.2"); !slices.Equal(got, []string{"v1.30.2", "v1.30.14", "v1.31.14"}) {
		t.Fatalf("next %v", got)
	}
	if got := c.Next("v1.32.11"); !slices.Equal(got, []string{"v1.32.11"}) {
		t.Fatalf("next %v", got)
	}
}

func TestParseRefusesWrongEntries(t *testing.T) {
	for _, raw := range []string{
		`kubernetes: [{minor: v1.31, latest: 1.31.2, endOfLife: 2025-10-28}]`,
		`kubernetes: [{minor: v1.30, latest: v1.31.2, endOfLife: 2025-10-28}]`,
		`kubernetes: [{minor: v1.31, latest: v1.31.2, endOfLife: soon}]`,
	} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("accepted %s", raw)
		}
	}
	if len(Embedded().Kubernetes) == 0 {
		t.Fatal("embedded catalog empty")
	}
}
