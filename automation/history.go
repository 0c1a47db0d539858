package automation

import (
	"context"

	"github.com/orbos/orbos/automation/record"
)

// Entry is one commit of the ORB repository (see record.Entry).
type Entry = record.Entry

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
		out = append(out, record.EntryOf(c.Hash, c.When, c.Author, c.Message))
	}
	return out, nil
}
