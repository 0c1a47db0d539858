package orblock_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/internal/gittest"
)

// holderEnv makes the test binary a lock holder that prints "held" and then waits to be killed.
const holderEnv = "ORBLOCK_TEST_HOLD_REMOTE"

func TestMain(m *testing.M) {
	if remote := os.Getenv(holderEnv); remote != "" {
		dir, _ := os.MkdirTemp("", "holder")
		r, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(dir, "co"), URL: remote})
		if err == nil {
			_, err = orblock.Acquire(context.Background(), r, orblock.Options{Holder: "doomed", Purpose: "up", TTL: time.Hour})
		}
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

// A holder on this machine killed with SIGKILL: its lock is taken over at once, not after its
// hour-long lease.
func TestLockOfAKilledLocalHolderIsTakenOverAtOnce(t *testing.T) {
	remote := gittest.BareRemote(t, map[string]string{"README": "x"})
	holder := exec.Command(os.Args[0], "-test.run", "^$")
	holder.Env = append(os.Environ(), holderEnv+"="+remote)
	out, err := holder.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("holder said %q", line)
	}
	ctx := context.Background()
	// Alive, it keeps the lock.
	if _, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "next", TTL: time.Minute}); err == nil {
		t.Fatal("took the lock of a live holder")
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	l, err := orblock.Acquire(ctx, checkout(t, remote), orblock.Options{Holder: "next", TTL: time.Minute})
	if err != nil {
		t.Fatalf("the dead holder's lock was not taken over: %v", err)
	}
	if l.TookOver == nil || l.TookOver.Holder != "doomed" || l.TookOver.PID != holder.Process.Pid {
		t.Fatalf("TookOver = %+v", l.TookOver)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
