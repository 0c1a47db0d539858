package chart

import (
	"testing"
	"time"
)

func TestLay(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// Newest first, as the history lists them: drawn oldest first.
	p := Lay("Run duration", "s", []Point{{t0.Add(2 * time.Hour), 30, "c2"}, {t0, 120, "c0"}, {t0.Add(time.Hour), 60, "c1"}}, 236, 106)
	if p.Empty || len(p.Dots) != 3 {
		t.Fatalf("plot %+v", p)
	}
	// Canvas 200 x 80 inside the margins: x from 36 to 228, y from 8 (120) to 88 (zero).
	want := "36,8 132,48 228,68"
	if p.Line != want {
		t.Errorf("line %q, want %q", p.Line, want)
	}
	if p.Max != "120s" || p.Dots[0].Value != "120" || p.Dots[2].Title != "2026-05-01 02:00 c2: 30s" {
		t.Errorf("labels: max %q, dots %+v", p.Max, p.Dots)
	}
	if p.First != "05-01 00:00" || p.Last != "05-01 02:00" {
		t.Errorf("time labels %q %q", p.First, p.Last)
	}
}

func TestLayEdges(t *testing.T) {
	if p := Lay("x", "", nil, 100, 50); !p.Empty || p.Line != "" {
		t.Fatalf("no points: %+v", p)
	}
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	// All zero: the axis still has a height, the points lie on it; one time: spread evenly.
	p := Lay("x", "", []Point{{When: t0}, {When: t0}}, 144, 106)
	if p.Line != "36,88 136,88" || p.Max != "1" {
		t.Fatalf("plot %+v", p)
	}
	if Format(2.25) != "2.2" && Format(2.25) != "2.3" || Format(3) != "3" {
		t.Fatalf("format %q %q", Format(2.25), Format(3))
	}
}
