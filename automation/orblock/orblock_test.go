package orblock_test

import (
	"context"
	"errors"
	"path/filepath"
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

func TestExpiredLeaseIsTakenOverAndOldHolderLearnsIt(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	// A holder whose clock says its lease ran out long ago, as if it died.
	dead, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "dead", TTL: time.Hour, Now: func() time.Time { return now.Add(-2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "new", TTL: time.Minute, Now: clock})
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if l.TookOver == nil || l.TookOver.Holder != "dead" {
		t.Fatalf("TookOver = %v, want the dead holder", l.TookOver)
	}
	if err := dead.Renew(ctx); err == nil {
		t.Fatal("the old holder renewed a lock it lost")
	}
	select {
	case <-dead.Lost():
	default:
		t.Fatal("Lost() not closed")
	}
	if err := dead.Release(ctx); err == nil {
		t.Fatal("the old holder released a lock it lost")
	}
	if info, _ := orblock.Read(ctx, checkout(t, remote)); info == nil || info.Holder != "new" {
		t.Fatalf("lock now %v, want new", info)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
