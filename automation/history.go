package automation

import (
	"context"
	"strings"
	"time"
)

// Entry is one commit of the ORB repository: a run of orbctl, or a change of the desired state.
type Entry struct {
	Commit    string    `json:"commit"`
	When      time.Time `json:"when"`
	Author    string    `json:"author"`
	Operation string    `json:"operation"` // up, preview, refresh, destroy, recover, config, init, or "change" for other commits
	Outcome   string    `json:"outcome,omitempty"`
	Changes   string    `json:"changes,omitempty"`
	Run       string    `json:"run,omitempty"`
	Holder    string    `json:"holder,omitempty"`
	Subject   string    `json:"subject"`
}

// History lists up to max entries of the ORB's Git log, newest first.
func (o *Orb) History(ctx context.Context, max int) ([]Entry, error) {
	if err := o.Sync(ctx); err != nil {
		return nil, err
	}
	log, err := o.repo.Log(max)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(log))
	for _, c := range log {
		e := Entry{Commit: c.Hash, When: c.When, Author: c.Author, Subject: firstLine(c.Message), Operation: "change"}
		for _, line := range strings.Split(c.Message, "\n") {
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				continue
			}
			switch k {
			case "Orbos-Operation":
				e.Operation = v
			case "Orbos-Outcome":
				e.Outcome = v
			case "Orbos-Changes":
				e.Changes = v
			case "Orbos-Run":
				e.Run = v
			case "Orbos-Holder":
				e.Holder = v
			}
		}
		out = append(out, e)
	}
	return out, nil
}
