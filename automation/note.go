package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orbos/orbos/automation/record"
)

// NoteReconciler records what the reconciler has to say in status/<orb>.yaml, as one commit, under
// the ORB lock; the same note twice makes no commit.
func (o *Orb) NoteReconciler(ctx context.Context, note string) (err error) {
	t, err := o.begin(ctx, "reconciler note", newRunID(time.Now()))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, t.End(ctx)) }()
	st, err := record.ReadStatus(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	if st == nil {
		st = &record.Status{Orb: o.name(), Resources: []record.Resource{}}
	}
	note = o.Redact(note)
	if st.Reconciler == note {
		return t.Publish(ctx)
	}
	st.Reconciler = note
	if err := writeStatus(o.Checkout(), st, o.Redact); err != nil {
		return err
	}
	subject := truncate(firstLine(note), 100)
	if note == "" {
		subject = "note cleared"
	}
	if _, err := o.repo.CommitAll(record.Message(fmt.Sprintf("orbos reconciler %s: %s", o.name(), subject), "",
		record.Trailers{record.KeyOperation: "reconciler"})); err != nil {
		return err
	}
	return t.Publish(ctx)
}
