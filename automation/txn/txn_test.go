package txn_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/txn"
	"github.com/orbos/orbos/internal/gittest"
)

const state = ".pulumi/stacks/orbos/x.json"

func newRemote(t *testing.T) string {
	return gittest.BareRemote(t, map[string]string{state: `{"v":0}`, "Pulumi.x.yaml": "desired: 0\n"})
}

func checkout(t *testing.T, remote string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func opts(run string) txn.Options {
	return txn.Options{Orb: "x", Holder: "holder-" + run, Purpose: "up", RunID: run, TTL: time.Hour}
}

func commit(t *testing.T, r *gitrepo.Repo, path, content string) {
	t.Helper()
	full := filepath.Join(r.Dir(), path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CommitAll("write " + path); err != nil {
		t.Fatal(err)
	}
}

func remoteFile(t *testing.T, remote, path string) string {
	t.Helper()
	return gittest.Git(t, remote, "show", "main:"+path)
}

// refuseMain makes the remote refuse every push to main until the returned function is called.
func refuseMain(t *testing.T, remote string) func() {
	hook := filepath.Join(remote, "hooks", "pre-receive")
	script := "#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/heads/main ] && { echo 'main is frozen' >&2; exit 1; }; done; exit 0\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(hook) }
}

// A run's state and a desired-state commit pushed meanwhile are merged and published together.
func TestPublishMergesADesiredStateCommit(t *testing.T) {
	remote := newRemote(t)
	ctx := context.Background()
	co := checkout(t, remote)
	tx, err := txn.Begin(ctx, co, opts("r1"))
	if err != nil {
		t.Fatal(err)
	}
	user := checkout(t, remote)
	commit(t, user, "Pulumi.x.yaml", "desired: 1\n")
	if err := user.Push(ctx); err != nil {
		t.Fatal(err)
	}
	commit(t, co, state, `{"v":1}`)
	if err := tx.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.End(ctx); err != nil {
		t.Fatal(err)
	}
	if got := remoteFile(t, remote, state); got != `{"v":1}` {
		t.Fatalf("state %s", got)
	}
	if got := remoteFile(t, remote, "Pulumi.x.yaml"); got != "desired: 1\n" {
		t.Fatalf("desired %s", got)
	}
	if info, err := orblock.Read(ctx, co); err != nil || info != nil {
		t.Fatalf("lock after the run: %v %v", info, err)
	}
}

// State changed on both sides is never merged: the refusal names the checkout and leaves the
// remote's state as it was.
func TestStateChangedOnBothSidesIsRefused(t *testing.T) {
	remote := newRemote(t)
	ctx := context.Background()
	co := checkout(t, remote)
	tx, err := txn.Begin(ctx, co, opts("r1"))
	if err != nil {
		t.Fatal(err)
	}
	// Somebody writes state without the lock (an old orbctl, a hand-made commit).
	rogue := checkout(t, remote)
	commit(t, rogue, state, `{"v":"theirs"}`)
	if err := rogue.Push(ctx); err != nil {
		t.Fatal(err)
	}
	commit(t, co, state, `{"v":"mine"}`)
	err = tx.Publish(ctx)
	var conflict *gitrepo.ConflictError
	if !errors.As(err, &conflict) || !conflict.State || !strings.Contains(err.Error(), co.Dir()) {
		t.Fatalf("publish: %v", err)
	}
	if got := remoteFile(t, remote, state); got != `{"v":"theirs"}` {
		t.Fatalf("the remote's state was overwritten: %s", got)
	}
	if err := tx.End(ctx); err != nil {
		t.Fatal(err)
	}

	// A later run from that checkout refuses at once and leaves the ORB unlocked for others.
	commit2, info, err := orblock.Inspect(ctx, co)
	if err != nil {
		t.Fatal(err)
	}
	if info == nil || info.Unpushed == nil {
		t.Fatalf("the unpushed state is not marked: %v", info)
	}
	if err := orblock.Break(ctx, co, commit2); err != nil { // the operator gives that state up
		t.Fatal(err)
	}
	_, err = txn.Begin(ctx, co, opts("r2"))
	if !errors.As(err, &conflict) || !conflict.State {
		t.Fatalf("a run from the conflicting checkout: %v", err)
	}
	if info, err := orblock.Read(ctx, co); err != nil || info != nil {
		t.Fatalf("the refused run left the lock %v %v", info, err)
	}
}

// A failed push keeps the ORB marked: another checkout cannot start from the older state on the
// remote until the checkout that holds the state pushes it.
func TestFailedPushKeepsTheORBMarked(t *testing.T) {
	remote := newRemote(t)
	ctx := context.Background()
	co := checkout(t, remote)
	tx, err := txn.Begin(ctx, co, opts("r1"))
	if err != nil {
		t.Fatal(err)
	}
	allow := refuseMain(t, remote)
	commit(t, co, state, `{"v":1}`)
	var pushErr *txn.PushError
	if err := tx.Publish(ctx); !errors.As(err, &pushErr) {
		t.Fatalf("publish: %v", err)
	}
	if err := tx.End(ctx); err != nil {
		t.Fatal(err)
	}
	allow()

	other := checkout(t, remote)
	var unpushed *orblock.UnpushedError
	if _, err := txn.Begin(ctx, other, opts("r2")); !errors.As(err, &unpushed) || unpushed.Info.Unpushed.RunID != "r1" {
		t.Fatalf("another checkout: %v", err)
	}

	again, err := txn.Begin(ctx, co, opts("r3"))
	if err != nil {
		t.Fatalf("the checkout holding the state: %v", err)
	}
	if again.TookOver == nil || again.TookOver.Unpushed == nil {
		t.Fatalf("TookOver %v", again.TookOver)
	}
	if err := again.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if err := again.End(ctx); err != nil {
		t.Fatal(err)
	}
	if got := remoteFile(t, remote, state); got != `{"v":1}` {
		t.Fatalf("state %s", got)
	}
	tx2, err := txn.Begin(ctx, other, opts("r4"))
	if err != nil {
		t.Fatalf("after the push: %v", err)
	}
	if err := tx2.End(ctx); err != nil {
		t.Fatal(err)
	}
}

// A run whose lock was taken over is stopped and publishes nothing.
func TestRunThatLostItsLockPublishesNothing(t *testing.T) {
	remote := newRemote(t)
	ctx := context.Background()
	co := checkout(t, remote)
	tx, err := txn.Begin(ctx, co, opts("r1"))
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := tx.Context(ctx)
	defer cancel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(40 * time.Minute); return now }
	o := opts("r2")
	o.Wait, o.LockClock = 10*time.Hour, clock
	newer, err := txn.Begin(ctx, checkout(t, remote), o)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, co, state, `{"v":"stale"}`)
	var lost *orblock.LostError
	if err := tx.Publish(ctx); !errors.As(err, &lost) || lost.By == nil || lost.By.RunID != "r2" {
		t.Fatalf("publish: %v", err)
	}
	select {
	case <-runCtx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the run's context was not cancelled")
	}
	if err := tx.End(ctx); err != nil {
		t.Fatal(err)
	}
	if got := remoteFile(t, remote, state); got != `{"v":0}` {
		t.Fatalf("a run that lost its lock published %s", got)
	}
	if info, _ := orblock.Read(ctx, co); info == nil || info.RunID != "r2" {
		t.Fatalf("lock %v, want the new holder's", info)
	}
	if err := newer.End(ctx); err != nil {
		t.Fatal(err)
	}
}
