// Package textdiff shows what changed between two versions of a YAML file as lines kept, removed
// and added (a longest-common-subsequence diff: desired-state files are small).
package textdiff

import "strings"

// Op says what happened to a line.
type Op byte

// The three kinds of line.
const (
	Same Op = ' '
	Del  Op = '-'
	Add  Op = '+'
)

// Line is one line of a diff.
type Line struct {
	Op   Op
	Text string
}

// Lines diffs a and b line by line.
func Lines(a, b string) []Line {
	x, y := split(a), split(b)
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Line
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, Line{Same, x[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, Line{Del, x[i]})
			i++
		default:
			out = append(out, Line{Add, y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, Line{Del, x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, Line{Add, y[j]})
	}
	return out
}

// Changed reports whether a diff has any added or removed line.
func Changed(d []Line) bool {
	for _, l := range d {
		if l.Op != Same {
			return true
		}
	}
	return false
}

// Context keeps the changed lines and n lines around each; nil when nothing changed.
func Context(d []Line, n int) []Line {
	keep := make([]bool, len(d))
	for i, l := range d {
		if l.Op == Same {
			continue
		}
		for k := max(0, i-n); k <= min(len(d)-1, i+n); k++ {
			keep[k] = true
		}
	}
	var out []Line
	for i, l := range d {
		if keep[i] {
			if i > 0 && !keep[i-1] {
				out = append(out, Line{Same, "…"})
			}
			out = append(out, l)
		}
	}
	return out
}

// String renders a diff as unified-diff lines.
func String(d []Line) string {
	var b strings.Builder
	for _, l := range d {
		b.WriteByte(byte(l.Op))
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
