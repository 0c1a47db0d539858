package fleet

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Figures are what the ORB's recent history says about it (the last HistoryDepth commits).
type Figures struct {
	Runs, Failed, Changes int
	// Resources counts the resource operations of the runs, by operation (create, update, ...).
	Resources []OpCount
	// LastSuccess is the newest succeeded run's time (zero when none in the history).
	LastSuccess time.Time
	// Authors of desired-state changes, most changes first.
	Authors []OpCount
}

// OpCount is a name with a count.
type OpCount struct {
	Name  string
	Count int
}

// Figures counts runs, failures, desired-state changes and resource operations from the trailers.
func (o *ORB) Figures() Figures {
	var f Figures
	ops, authors := map[string]int{}, map[string]int{}
	for _, e := range o.History {
		switch e.Operation {
		case "up", "destroy", "refresh", "recover":
			f.Runs++
			if e.Outcome == outcomeFailed || e.Outcome == outcomeInterrupted {
				f.Failed++
			}
			if e.Outcome == "succeeded" && e.When.After(f.LastSuccess) {
				f.LastSuccess = e.When
			}
			for _, part := range strings.Split(e.Changes, ",") {
				op, n, ok := strings.Cut(part, "=")
				if v, err := strconv.Atoi(n); ok && err == nil {
					ops[op] += v
				}
			}
		case "change", "edit", "config":
			f.Changes++
			authors[e.Author]++
		}
	}
	f.Resources, f.Authors = sorted(ops), sorted(authors)
	return f
}

func sorted(m map[string]int) []OpCount {
	out := make([]OpCount, 0, len(m))
	for k, v := range m {
		out = append(out, OpCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}
