// Package chart lays out small line charts for MISSION's pages: it turns a series of (time, value)
// points into the coordinates an inline SVG template draws. It computes geometry only; the markup is
// html/template's (mission/web), so every label is escaped and nothing runs in the browser.
package chart

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Point is one value at one time.
type Point struct {
	When  time.Time
	Value float64
	// Label is the point's tooltip (e.g. the commit), "" for none.
	Label string
}

// Dot is one point placed on the canvas.
type Dot struct {
	X, Y  float64
	Value string
	Title string
}

// Plot is a chart laid out for an SVG of Width x Height.
type Plot struct {
	Title, Unit   string
	Width, Height float64
	// Line is the polyline's points attribute ("x,y x,y ...").
	Line string
	Dots []Dot
	// Max is the value of the top grid line; First and Last the times at both ends.
	Max         string
	First, Last string
	// X0, X1 are the plot area's left and right; YTop its top (Max) and YZero its bottom (zero);
	// YText the baseline of the time labels.
	X0, X1, YTop, YZero, YText float64
	// Empty is set when there is no point to draw.
	Empty bool
}

// Canvas margins: the left one holds the value axis labels, the bottom one the time labels.
const (
	left, right, top, bottom = 36.0, 8.0, 8.0, 18.0
)

// Lay places points (in any order; drawn oldest first) on a width x height canvas. The value axis
// starts at zero so that charts of counts are not exaggerated.
func Lay(title, unit string, points []Point, width, height float64) Plot {
	p := Plot{Title: title, Unit: unit, Width: width, Height: height,
		X0: left, X1: width - right, YTop: top, YZero: height - bottom, YText: height - 4}
	if len(points) == 0 {
		p.Empty = true
		return p
	}
	pts := append([]Point(nil), points...)
	sortByTime(pts)
	maxV := 0.0
	for _, pt := range pts {
		maxV = max(maxV, pt.Value)
	}
	if maxV == 0 {
		maxV = 1
	}
	t0, t1 := pts[0].When, pts[len(pts)-1].When
	span := t1.Sub(t0).Seconds()
	w, h := width-left-right, height-top-bottom
	var line []string
	for i, pt := range pts {
		x := left + w/2
		if span > 0 {
			x = left + w*pt.When.Sub(t0).Seconds()/span
		} else if len(pts) > 1 {
			x = left + w*float64(i)/float64(len(pts)-1)
		}
		y := top + h*(1-pt.Value/maxV)
		x, y = round(x), round(y)
		line = append(line, fmt.Sprintf("%g,%g", x, y))
		title := Format(pt.Value) + unit
		if pt.Label != "" {
			title = pt.Label + ": " + title
		}
		p.Dots = append(p.Dots, Dot{X: x, Y: y, Value: Format(pt.Value), Title: pt.When.UTC().Format("2006-01-02 15:04") + " " + title})
	}
	p.Line = strings.Join(line, " ")
	p.Max = Format(maxV) + unit
	p.First, p.Last = t0.UTC().Format("01-02 15:04"), t1.UTC().Format("01-02 15:04")
	return p
}

// Format prints a value without needless decimals.
func Format(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func round(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func sortByTime(pts []Point) {
	slices.SortStableFunc(pts, func(a, b Point) int { return a.When.Compare(b.When) })
}
