package automation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/automation/txn"
	"github.com/orbos/orbos/stacks"
)

// Options of Open.
type Options struct {
	// Config is the loaded orbconfig.
	Config *orbconfig.Config
	// Checkout is the local working copy of the ORB repository; DefaultCheckout when empty.
	Checkout string
	// LockWait is how long to wait for another holder of the ORB lock; 0 fails at once.
	LockWait time.Duration
	// LockTTL is the lease of the ORB lock, renewed every third of it while a run lasts.
	LockTTL time.Duration
	// Holder names this process in the lock; user@host pid N when empty.
	Holder string
	// Progress receives progress lines while the engine works; nil discards them.
	Progress io.Writer
	// PulumiHome is the Pulumi CLI's home (plugins, workspaces); $PULUMI_HOME or ~/.pulumi when empty.
	PulumiHome string
	// Redactor is the run's redactor, which learns every secret of the ORB; a new one when nil. Pass
	// the one your own logs go through.
	Redactor *Redactor
}

// Orb is an open ORB: its checkout, held exclusively by this process until Close.
type Orb struct {
	opts     Options
	repo     *gitrepo.Repo
	flock    *os.File
	redactor *Redactor
	// readOnly marks a Snapshot's checkout: it is brought to the remote once, when it is opened.
	readOnly bool
	// progress passes progress on in order (see progressQueue); made on first use.
	progress     *progressQueue
	progressOnce sync.Once
	// opening is when Open began and opened how long it took, until the first run counts them.
	opening time.Time
	opened  time.Duration
}

// DefaultCheckout is the checkout orbctl keeps for an ORB: one per ORB and repository URL.
func DefaultCheckout(c *orbconfig.Config) string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(c.Repository + "\x00" + c.Branch))
	return filepath.Join(base, "orbos", "checkouts", c.Orb+"-"+hex.EncodeToString(sum[:4]))
}

// Open clones or fetches the ORB's repository into the checkout and takes the checkout for this
// process (a second orbctl on the same checkout waits for it).
func Open(ctx context.Context, opts Options) (*Orb, error) {
	start := time.Now()
	if opts.Config == nil {
		return nil, errors.New("automation: no orbconfig")
	}
	if opts.Checkout == "" {
		opts.Checkout = DefaultCheckout(opts.Config)
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = 2 * time.Minute
	}
	auth, err := opts.Config.Auth()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(opts.Checkout), 0o700); err != nil {
		return nil, fmt.Errorf("creating checkout directory: %w", err)
	}
	flock, err := lockFile(ctx, opts.Checkout+".lock")
	if err != nil {
		return nil, err
	}
	repo, err := gitrepo.Open(ctx, gitrepo.Options{
		Dir: opts.Checkout, URL: opts.Config.Repository, Branch: opts.Config.Branch, Auth: auth,
	})
	if err != nil {
		flock.Close()
		return nil, err
	}
	if opts.Redactor == nil {
		opts.Redactor = &Redactor{}
	}
	o := &Orb{opts: opts, repo: repo, flock: flock, redactor: opts.Redactor, opening: start, opened: time.Since(start)}
	o.redactor.Add(opts.Config.Passphrase)
	return o, nil
}

// lockFile takes an exclusive flock on path, waiting while another local process holds it.
func lockFile(ctx context.Context, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening checkout lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking checkout: %w", err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another orbctl using the checkout %s: %w", strings.TrimSuffix(path, ".lock"), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Close releases the checkout.
func (o *Orb) Close() error { return o.flock.Close() }

// Checkout is the local working copy.
func (o *Orb) Checkout() string { return o.repo.Dir() }

// Repo is the ORB's Git checkout.
func (o *Orb) Repo() *gitrepo.Repo { return o.repo }

// Redact removes the ORB's known secrets from s.
func (o *Orb) Redact(s string) string { return o.redactor.String(s) }

// Name is the ORB's name, which is also its stack name.
func (o *Orb) Name() string { return o.opts.Config.Orb }

func (o *Orb) name() string { return o.opts.Config.Orb }

func (o *Orb) stackFilePath() string {
	return filepath.Join(o.repo.Dir(), stacks.StackFileName(o.name()))
}

// StackFile reads and parses the desired-state file of the checkout.
func (o *Orb) StackFile() (*stackconfig.File, []byte, error) {
	raw, err := os.ReadFile(o.stackFilePath())
	if err != nil {
		return nil, nil, fmt.Errorf("reading the desired state: %w", err)
	}
	f, err := stackconfig.Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return f, raw, nil
}

// Crypter opens the ORB's secrets with the orbconfig's passphrase.
func (o *Orb) crypter(f *stackconfig.File) (config.Crypter, error) {
	c, err := stackconfig.NewCrypter(o.opts.Config.Passphrase, f.EncryptionSalt())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", stacks.StackFileName(o.name()), err)
	}
	return c, nil
}

// Sync fetches the remote and brings the checkout up to it, without taking the ORB lock: for
// read-only commands. A checkout whose unpushed state cannot be merged keeps its own view (the next
// run says what to do).
func (o *Orb) Sync(ctx context.Context) error {
	if o.readOnly {
		return nil
	}
	if err := o.repo.Fetch(ctx); err != nil {
		return err
	}
	changed, err := o.repo.Changed()
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		// An interrupted run's state waits here for the next locked run to commit it.
		return nil
	}
	_, err = o.repo.Sync(txn.IsState)
	var conflict *gitrepo.ConflictError
	if errors.As(err, &conflict) {
		o.progressf("note: this checkout holds state that was never pushed, and the remote's state moved on: showing this checkout's view\n")
		return nil
	}
	return err
}
