// Package recovery makes what an interrupted run left of Pulumi's file backend in a checkout whole
// again, so that it can be committed: it clears the backend's locks (after waiting for an engine of
// this machine that still runs), removes metadata sidecars cut off mid-write, and puts the newest
// whole checkpoint in place, never a cut-off one.
package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Worktree is what recovery needs of a checkout.
type Worktree interface {
	Dir() string
	// Changed lists the paths that differ from the last commit (untracked included, ignored excepted).
	Changed() ([]string, error)
	// Discard gives the paths match accepts their committed content back.
	Discard(match func(path string) bool) error
}

// Options of Leftovers.
type Options struct {
	// IsState tells the paths runs write from everything else; any other change is refused.
	IsState func(path string) bool
	// Progress says what recovery does; nil discards it.
	Progress func(format string, args ...any)
	// EngineWait is how long to wait for an engine of this machine that still holds the backend's
	// lock (2 minutes when 0).
	EngineWait time.Duration
}

// Leftovers prepares what an interrupted run left in the checkout and returns the changed paths,
// ready to be committed (none: nothing to recover). Changes to anything but state are refused.
func Leftovers(ctx context.Context, wt Worktree, opts Options) ([]string, error) {
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	if opts.EngineWait <= 0 {
		opts.EngineWait = 2 * time.Minute
	}
	if err := clearLocks(ctx, wt.Dir(), opts.EngineWait); err != nil {
		return nil, err
	}
	if err := removeCutOffSidecars(wt.Dir(), opts.Progress); err != nil {
		return nil, err
	}
	changed, err := wt.Changed()
	if err != nil || len(changed) == 0 {
		return nil, err
	}
	var foreign []string
	for _, p := range changed {
		if !opts.IsState(p) {
			foreign = append(foreign, p)
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("the checkout %s has changes orbctl did not make (%s): commit them to the ORB repository or remove them",
			wt.Dir(), strings.Join(foreign, ", "))
	}
	if err := repairCheckpoints(wt, changed, opts.Progress); err != nil {
		return nil, err
	}
	return wt.Changed()
}

// removeCutOffSidecars deletes the file backend's metadata sidecars (<blob>.attrs) that a killed run
// left cut off. The blob store writes them in place, not through a temporary file, and reading a blob
// whose sidecar is empty fails ("failed to load checkpoint: EOF"); a missing sidecar is fine.
func removeCutOffSidecars(dir string, progress func(string, ...any)) error {
	return filepath.WalkDir(filepath.Join(dir, ".pulumi"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".attrs") {
			return nil
		}
		if raw, err := os.ReadFile(path); err == nil && !json.Valid(raw) {
			rel, _ := filepath.Rel(dir, path)
			progress("removing %s, which an interrupted run left cut off\n", rel)
			return os.Remove(path)
		}
		return nil
	})
}

// tmpCheckpoint is a checkpoint being written (not the backup's, <stack>.json.bak.<n>.tmp).
var tmpCheckpoint = regexp.MustCompile(`^(.*\.json)\.[0-9a-f]+\.tmp$`)

// repairCheckpoints makes an interrupted run's checkpoint whole. The engine writes a checkpoint to a
// temporary file and renames it; a run killed in between leaves the newest complete checkpoint in the
// temporary file, and one killed earlier may leave a cut-off file.
func repairCheckpoints(wt Worktree, changed []string, progress func(string, ...any)) error {
	dir := wt.Dir()
	var tmps, checkpoints []string
	for _, p := range changed {
		if strings.HasPrefix(p, ".pulumi/stacks/") && strings.HasSuffix(p, ".json") {
			checkpoints = append(checkpoints, p)
		}
	}
	// Temporary files are ignored by Git, so look for them on disk.
	_ = filepath.WalkDir(filepath.Join(dir, ".pulumi", "stacks"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && tmpCheckpoint.MatchString(path) {
			rel, _ := filepath.Rel(dir, path)
			tmps = append(tmps, filepath.ToSlash(rel))
		}
		return nil
	})
	for _, p := range tmps {
		full := filepath.Join(dir, p)
		target := tmpCheckpoint.FindStringSubmatch(p)[1]
		if raw, err := os.ReadFile(full); err == nil && json.Valid(raw) {
			progress("the interrupted run's newest checkpoint was not yet in place: using %s\n", p)
			if err := os.Rename(full, filepath.Join(dir, target)); err != nil {
				return fmt.Errorf("recovering %s: %w", p, err)
			}
			checkpoints = slices.DeleteFunc(checkpoints, func(c string) bool { return c == target })
			continue
		}
		if err := os.Remove(full); err != nil {
			return fmt.Errorf("removing %s: %w", p, err)
		}
	}
	var broken []string
	for _, p := range checkpoints {
		raw, err := os.ReadFile(filepath.Join(dir, p))
		if err == nil && !json.Valid(raw) {
			broken = append(broken, p)
		}
	}
	if len(broken) == 0 {
		return nil
	}
	progress("the interrupted run's checkpoint %s was cut off: keeping the last committed state; "+
		"objects that run created are adopted by the next up\n", strings.Join(broken, ", "))
	return wt.Discard(func(p string) bool { return slices.Contains(broken, p) })
}

// backendLock is the part of a file-backend lock file (.pulumi/locks/...) that names its engine.
type backendLock struct {
	Pid      int    `json:"pid"`
	Hostname string `json:"hostname"`
}

// clearLocks removes the file-backend locks an interrupted run left, waiting up to wait for an
// engine of this machine that still runs.
func clearLocks(ctx context.Context, dir string, wait time.Duration) error {
	host, _ := os.Hostname()
	return filepath.WalkDir(filepath.Join(dir, ".pulumi", "locks"), func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		var lc backendLock
		if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &lc) == nil && lc.Hostname == host && processAlive(lc.Pid) {
			_, err := backoff.Retry(ctx, func() (struct{}, error) {
				if processAlive(lc.Pid) {
					return struct{}{}, fmt.Errorf("a Pulumi engine (pid %d) of an earlier run still holds %s", lc.Pid, path)
				}
				return struct{}{}, nil
			}, backoff.WithBackOff(backoff.NewConstantBackOff(200*time.Millisecond)), backoff.WithMaxElapsedTime(wait))
			if err != nil {
				return err
			}
		}
		return os.Remove(path)
	})
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
