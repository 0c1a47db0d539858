package orblock_test

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
	"github.com/orbos/orbos/internal/gittest"
)

func checkout(t *testing.T, remote string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRacingAcquirersOneWinsOtherNamesHolder(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	const n = 4
	var wg sync.WaitGroup
	locks := make([]*orblock.Lock, n)
	errs := make([]error, n)
	repos := make([]*gitrepo.Repo, n)
	for i := range n {
		repos[i] = checkout(t, remote)
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			locks[i], errs[i] = orblock.Acquire(ctx, repos[i], orblock.Options{
				Holder: "holder-" + string(rune('a'+i)), Purpose: "up", RunID: string(rune('a' + i)), TTL: time.Minute,
			})
		}()
	}
	wg.Wait()
	var winner *orblock.Lock
	for i := range n {
		if errs[i] == nil {
			if winner != nil {
				t.Fatalf("two holders at once: %s and %s", winner.Info().Holder, locks[i].Info().Holder)
			}
			winner = locks[i]
			continue
		}
		var held *orblock.HeldError
		if !errors.As(errs[i], &held) {
			t.Fatalf("acquirer %d: want HeldError, got %v", i, errs[i])
		}
	}
	if winner == nil {
		t.Fatal("nobody got the lock")
	}
	for i := range n {
		if errs[i] != nil {
			var held *orblock.HeldError
			errors.As(errs[i], &held)
			if held.Info.Holder != winner.Info().Holder {
				t.Errorf("error names %q, holder is %q", held.Info.Holder, winner.Info().Holder)
			}
		}
	}
	if err := winner.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := orblock.Read(ctx, repos[0]); err != nil || info != nil {
		t.Fatalf("after release: info %v, err %v", info, err)
	}
}

func TestWaiterGetsLockAfterRelease(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	a, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "a", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan orblock.Info, 1)
	done := make(chan error, 1)
	go func() {
		b, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "b", TTL: time.Minute, Wait: time.Minute,
			OnWait: func(i orblock.Info) { waited <- i }})
		if err == nil {
			err = b.Release(ctx)
		}
		done <- err
	}()
	if got := <-waited; got.Holder != "a" {
		t.Fatalf("waiter saw holder %q", got.Holder)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// jumpingClock is a waiter's monotonic clock that moves on by step at every reading, so that a lease
// is seen to run out after a few reads whatever the real time.
func jumpingClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	now := time.Now()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

// A lease runs out by what the waiter observed: the same lock commit unchanged for a whole lease on
// the waiter's clock. The old holder learns that it lost the lock and can neither renew nor release it.
func TestLeaseSeenUnchangedForItsLengthIsTakenOver(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	// An hour-long lease, renewed every 20 minutes: never within this test, as if its holder hung.
	old, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "old", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "new", TTL: time.Minute,
		Wait: 10 * time.Hour, Clock: jumpingClock(20 * time.Minute)})
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if l.TookOver == nil || l.TookOver.Holder != "old" {
		t.Fatalf("TookOver = %v, want the old holder", l.TookOver)
	}
	var lost *orblock.LostError
	if err := old.Renew(ctx); !errors.As(err, &lost) || lost.By == nil || lost.By.Holder != "new" {
		t.Fatalf("the old holder renewed a lock it lost: %v", err)
	}
	select {
	case <-old.Lost():
	default:
		t.Fatal("Lost() not closed")
	}
	if err := old.Release(ctx); err == nil {
		t.Fatal("the old holder released a lock it lost")
	}
	if info, _ := orblock.Read(ctx, checkout(t, remote)); info == nil || info.Holder != "new" {
		t.Fatalf("lock now %v, want new", info)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// The holder's clock never decides: a holder whose clock is hours behind (its lease "ended" long ago
// by its own timestamps) keeps the lock, and one whose clock is hours ahead loses it once it has
// been seen unchanged for its lease.
func TestSkewedHolderClocksDoNotDecideExpiry(t *testing.T) {
	ctx := context.Background()
	for _, skew := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			remote := gittest.BareRemote(t, map[string]string{"README": "x"})
			holder, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "skewed", TTL: time.Hour,
				WallClock: func() time.Time { return time.Now().Add(skew) }})
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Release(ctx)
			var held *orblock.HeldError
			_, err = orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "waiter", TTL: time.Minute})
			if !errors.As(err, &held) || held.Info.Holder != "skewed" {
				t.Fatalf("a waiter that has not watched the lock for its lease got %v", err)
			}
			l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "waiter", TTL: time.Minute,
				Wait: 10 * time.Hour, Clock: jumpingClock(30 * time.Minute)})
			if err != nil {
				t.Fatalf("watched for its lease, the lock was not taken over: %v", err)
			}
			if l.TookOver == nil || l.TookOver.Holder != "skewed" {
				t.Fatalf("TookOver = %v", l.TookOver)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A holder that cannot renew its lease gives the lock up before anybody could take it over: the
// context of its run is cancelled with a *LostError that says why.
func TestMissedRenewalsCancelTheRun(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "cut-off", TTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := l.Context(ctx)
	defer cancel()
	// The remote goes away: no renewal can succeed.
	away := remote + ".away"
	if err := os.Rename(remote, away); err != nil {
		t.Fatal(err)
	}
	defer os.Rename(away, remote)
	select {
	case <-runCtx.Done():
	case <-time.After(time.Minute):
		t.Fatal("the run went on although its lease could not be renewed")
	}
	var lost *orblock.LostError
	if cause := context.Cause(runCtx); !errors.As(cause, &lost) || lost.By != nil || !strings.Contains(lost.Error(), "no renewal") {
		t.Fatalf("cause %v", cause)
	}
	if err := l.Publish(ctx); !errors.As(err, &lost) {
		t.Fatalf("a run that gave up its lock published: %v", err)
	}
}

// Publishing pushes the branch and the lock in one atomic push that only the holder can make: a run
// whose lock was taken over publishes nothing, and a push the remote refuses changes neither ref.
func TestPublishIsAtomicWithTheLock(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	repo := checkout(t, remote)
	l, err := orblock.Acquire(ctx, repo, orblock.Options{Holder: "a", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	commitFile(t, repo, "state", "1")
	if err := l.Publish(ctx, repo.BranchRefSpec()); err != nil {
		t.Fatal(err)
	}
	if got := remoteRef(t, remote, "main"); got != head(t, repo) {
		t.Fatalf("remote main %s, want %s", got, head(t, repo))
	}
	if got := remoteRef(t, remote, string(orblock.Ref)); got != l.Head() {
		t.Fatalf("remote lock %s, want the renewed %s", got, l.Head())
	}

	// The remote refuses the branch alone (the update hook judges each ref by itself): the lock,
	// which it would accept, does not move either.
	hook := "#!/bin/sh\n[ \"$1\" = refs/heads/main ] && exit 1\nexit 0\n"
	if err := os.WriteFile(filepath.Join(remote, "hooks", "update"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	lockBefore := remoteRef(t, remote, string(orblock.Ref))
	commitFile(t, repo, "state", "2")
	if err := l.Publish(ctx, repo.BranchRefSpec()); err == nil {
		t.Fatal("published against a refusing remote")
	}
	if got := remoteRef(t, remote, string(orblock.Ref)); got != lockBefore {
		t.Fatal("the lock moved although the push was refused")
	}
	os.Remove(filepath.Join(remote, "hooks", "update"))

	// Taken over: the old holder publishes nothing.
	other, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "b", TTL: time.Minute,
		Wait: 10 * time.Hour, Clock: jumpingClock(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	before := remoteRef(t, remote, "main")
	var lost *orblock.LostError
	if err := l.Publish(ctx, repo.BranchRefSpec()); !errors.As(err, &lost) || lost.By == nil || lost.By.Holder != "b" {
		t.Fatalf("publish after a takeover: %v", err)
	}
	if remoteRef(t, remote, "main") != before {
		t.Fatal("a run that lost its lock published")
	}
	if err := other.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// A lock marked with unpushed state stops every other checkout, however long it waits, until the
// checkout that holds the state takes it (and pushes), or an operator breaks it.
func TestMarkedLockStopsOtherCheckouts(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	mine := checkout(t, remote)
	l, err := orblock.Acquire(ctx, mine, orblock.Options{Holder: "a", RunID: "r1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	commitFile(t, mine, "state", "unpushed")
	if err := l.MarkUnpushed(ctx, orblock.Unpushed{Commit: head(t, mine), Checkout: "here:" + mine.Dir(), Holder: "a", RunID: "r1", Reason: "push refused"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("release of a marked lock: %v", err)
	}
	var unpushed *orblock.UnpushedError
	_, err = orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "b", TTL: time.Minute,
		Wait: 2 * time.Hour, Clock: jumpingClock(time.Hour)})
	if !errors.As(err, &unpushed) || unpushed.Info.Unpushed.RunID != "r1" || !strings.Contains(err.Error(), "orbctl unlock") {
		t.Fatalf("another checkout got %v", err)
	}
	again, err := orblock.Acquire(ctx, mine, orblock.Options{Holder: "a2", TTL: time.Minute})
	if err != nil {
		t.Fatalf("the checkout holding the state: %v", err)
	}
	if again.TookOver == nil || again.TookOver.Unpushed == nil {
		t.Fatalf("TookOver = %+v", again.TookOver)
	}
	if err := again.MarkUnpushed(ctx, orblock.Unpushed{Commit: head(t, mine), Checkout: "here", RunID: "r2"}); err != nil {
		t.Fatal(err)
	}
	commit, info, err := orblock.Inspect(ctx, checkout(t, remote))
	if err != nil || info == nil || info.Unpushed == nil {
		t.Fatalf("inspect: %v %v", info, err)
	}
	if err := orblock.Break(ctx, checkout(t, remote), l.Head()); err == nil {
		t.Fatal("broke a lock that changed since it was shown")
	}
	if err := orblock.Break(ctx, checkout(t, remote), commit); err != nil {
		t.Fatal(err)
	}
	if info, err := orblock.Read(ctx, checkout(t, remote)); err != nil || info != nil {
		t.Fatalf("after break: %v %v", info, err)
	}
}

// Release gives up on a remote that does not answer, instead of keeping the run waiting.
func TestReleaseDoesNotHangOnAStuckRemote(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "a", TTL: time.Minute, ReleaseTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	stuck := filepath.Join(t.TempDir(), "stuck")
	_ = os.WriteFile(stuck, nil, 0o644)
	t.Cleanup(func() { os.Remove(stuck) })
	hook := "#!/bin/sh\nwhile [ -e " + stuck + " ]; do sleep 0.1; done\n"
	if err := os.WriteFile(filepath.Join(remote, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Release(ctx) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("released through a remote that never answered")
		}
	case <-time.After(time.Minute):
		t.Fatal("Release hangs on a stuck remote")
	}
}

func commitFile(t *testing.T, r *gitrepo.Repo, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.Dir(), name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CommitAll("commit " + content); err != nil {
		t.Fatal(err)
	}
}

func head(t *testing.T, r *gitrepo.Repo) string {
	t.Helper()
	h, err := r.Head()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func remoteRef(t *testing.T, remote, ref string) string {
	t.Helper()
	return strings.TrimSpace(gittest.Git(t, remote, "rev-parse", ref))
}
