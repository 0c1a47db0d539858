package automation

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/record"
)

// LockBreak is the operation a lock break records.
const LockBreak = "lock break"

// Lock returns the ORB lock as the remote holds it: its commit and what it says (nil when unlocked).
func (o *Orb) Lock(ctx context.Context) (string, *orblock.Info, error) {
	return orblock.Inspect(ctx, o.repo)
}

// BreakLock removes the ORB lock commit that was shown (Lock), once its holder is certainly no longer
// renewing it: it watches the lock for its lease first (onWatch is told how long, when it must), and
// refuses with an *orblock.RenewedError when the lock changes meanwhile. The break is recorded in a
// commit on the ORB's branch, naming who broke whose lock, pushed in one atomic push with the lock's
// removal. It returns that commit.
func (o *Orb) BreakLock(ctx context.Context, commit string, info orblock.Info, onWatch func(time.Duration)) (string, error) {
	return o.breakLock(ctx, commit, info, o.Checkout(), onWatch)
}

// breakLock is BreakLock for the ORB whose own checkout is checkout.
func (o *Orb) breakLock(ctx context.Context, commit string, info orblock.Info, checkout string, onWatch func(time.Duration)) (string, error) {
	u := info.Unpushed
	if host, _ := os.Hostname(); u != nil && u.Checkout == host+":"+checkout {
		return "", fmt.Errorf("this machine's checkout %s holds the unpushed state the lock is marked with (commit %.12s): "+
			"run orbctl up instead, which pushes it and releases the lock", checkout, u.Commit)
	}
	if err := orblock.Unrenewed(ctx, o.repo, commit, info, orblock.WatchOptions{OnWatch: onWatch}); err != nil {
		return "", err
	}
	breaker := o.holder()
	body := fmt.Sprintf("%s held the lock for %s (run %s) since %s (its clock), with a lease of %s; %s removed it.",
		info.Holder, info.Purpose, info.RunID, info.Acquired.UTC().Format(time.RFC3339), info.Lease(), breaker)
	if u != nil {
		body += fmt.Sprintf("\nThe lock was marked with state that was never pushed, now given up: commit %.12s at %s (run %s: %s).",
			u.Commit, u.Checkout, u.RunID, u.Reason)
	}
	msg := record.Message(fmt.Sprintf("orbos lock break %s: removed the lock of %s", o.name(), info.Holder), body, record.Trailers{
		record.KeyOperation: LockBreak, record.KeyHolder: breaker, record.KeyLockHolder: info.Holder, record.KeyRun: info.RunID,
	})
	opts := o.repo.Options()
	author := object.Signature{Name: opts.AuthorName, Email: opts.AuthorEmail, When: time.Now()}
	return orblock.BreakRecorded(ctx, o.repo, commit, o.Redact(msg), author)
}
