package orblock_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/internal/gittest"
)

var breaker = object.Signature{Name: "orbos", Email: "orbos@localhost"}

// A holder that renews its lease while the lock is watched is alive: the lock is not broken.
func TestBreakRefusedWhileTheHolderRenews(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	held, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "alive", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(ctx)
	repo := checkout(t, remote)
	commit, info, err := orblock.Inspect(ctx, repo)
	if err != nil || info == nil {
		t.Fatalf("inspect: %v %v", info, err)
	}
	// The holder renews once the watch has begun (the watch is told its length first).
	err = orblock.Unrenewed(ctx, repo, commit, *info, orblock.WatchOptions{OnWatch: func(time.Duration) {
		if err := held.Renew(ctx); err != nil {
			t.Error(err)
		}
	}})
	var renewed *orblock.RenewedError
	if !errors.As(err, &renewed) || renewed.Now == nil || !strings.Contains(err.Error(), "alive still renews its lease") {
		t.Fatalf("watching a renewed lock: %v", err)
	}
	if _, err := orblock.BreakRecorded(ctx, repo, commit, "break", breaker); err == nil {
		t.Fatal("broke a lock that was renewed since it was shown")
	}
	if now, _ := orblock.Read(ctx, repo); now == nil || now.Holder != "alive" {
		t.Fatalf("the lock is now %v", now)
	}
}

// A lock seen unchanged for its lease is broken, in one push with the commit that records it.
func TestBreakOfAnUnrenewedLockIsRecorded(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	// Renewed every 20 minutes: never within this test, as if its holder hung.
	if _, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "hung", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	before := strings.TrimSpace(gittest.Git(t, remote, "rev-parse", "main"))
	repo := checkout(t, remote)
	commit, info, err := orblock.Inspect(ctx, repo)
	if err != nil || info == nil {
		t.Fatalf("inspect: %v %v", info, err)
	}
	var watched time.Duration
	err = orblock.Unrenewed(ctx, repo, commit, *info, orblock.WatchOptions{
		Clock: jumpingClock(20 * time.Minute), OnWatch: func(d time.Duration) { watched = d },
	})
	if err != nil || watched != time.Hour {
		t.Fatalf("watching an unrenewed lock: %v (watched %s)", err, watched)
	}
	record, err := orblock.BreakRecorded(ctx, repo, commit, "orbos lock break: removed the lock of hung\n", breaker)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := orblock.Read(ctx, repo); err != nil || info != nil {
		t.Fatalf("the lock is still there: %v %v", info, err)
	}
	if head := strings.TrimSpace(gittest.Git(t, remote, "rev-parse", "main")); head != record {
		t.Fatalf("main is %s, the record %s", head, record)
	}
	if parent := strings.TrimSpace(gittest.Git(t, remote, "rev-parse", "main^")); parent != before {
		t.Fatalf("the record's parent is %s, want %s", parent, before)
	}
	if diff := gittest.Git(t, remote, "diff", "--stat", before, record); diff != "" {
		t.Fatalf("the record changed files:\n%s", diff)
	}
	if msg := gittest.Git(t, remote, "log", "-1", "--format=%s", "main"); !strings.Contains(msg, "removed the lock of hung") {
		t.Fatalf("the record says %q", msg)
	}
	// Breaking it again: it is gone.
	if _, err := orblock.BreakRecorded(ctx, repo, commit, "again", breaker); err == nil {
		t.Fatal("broke a lock that is gone")
	}
	if head := strings.TrimSpace(gittest.Git(t, remote, "rev-parse", "main")); head != record {
		t.Fatal("a refused break recorded something")
	}
}

// A released lock has nothing to break.
func TestBreakOfAReleasedLock(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	held, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "done", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	repo := checkout(t, remote)
	commit, info, _ := orblock.Inspect(ctx, repo)
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	err = orblock.Unrenewed(ctx, repo, commit, *info, orblock.WatchOptions{})
	var renewed *orblock.RenewedError
	if !errors.As(err, &renewed) || renewed.Now != nil || !strings.Contains(err.Error(), "released meanwhile") {
		t.Fatalf("watching a released lock: %v", err)
	}
}
