// Package gitrepo is orbos's thin layer over go-git: a working checkout of an ORB repository that can
// be committed, synchronised with its remote (fast-forward or merge) and pushed.
package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/crypto/ssh/knownhosts"
)

// RemoteName is the only remote orbos configures in a checkout.
const RemoteName = "origin"

// ErrEmptyRemote means the remote has no commit on the branch yet.
var ErrEmptyRemote = errors.New("the remote repository has no commits on this branch")

// ErrHostKeyMismatch means an SSH remote presented a host key other than the pinned one.
var ErrHostKeyMismatch = errors.New("the SSH host key of the remote does not match the pinned one (knownHosts in the orbconfig): " +
	"it was replaced or the connection is intercepted; nothing was sent")

// Explain turns go-git transport errors into ones a user can act on.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	var keyErr *knownhosts.KeyError
	if errors.As(err, &keyErr) {
		if len(keyErr.Want) > 0 {
			return fmt.Errorf("%w (%v)", ErrHostKeyMismatch, err)
		}
		return fmt.Errorf("the SSH host key of the remote is not in the orbconfig's knownHosts; add it (ssh-keyscan HOST): %w", err)
	}
	// x/crypto/ssh has no error type for a refused key: its message is all there is.
	if strings.Contains(err.Error(), "ssh: unable to authenticate") {
		return fmt.Errorf("the remote refused the deploy key of the orbconfig: %w", err)
	}
	return err
}

// Options locate a repository.
type Options struct {
	Dir    string               // the local checkout
	URL    string               // the remote
	Branch string               // the branch holding the desired state
	Auth   transport.AuthMethod // nil for local paths and file:// remotes
	// Author of the commits orbos makes.
	AuthorName, AuthorEmail string
}

// Repo is a checkout of an ORB repository.
type Repo struct {
	opts Options
	repo *git.Repository
}

func (o *Options) defaults() {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.AuthorName == "" {
		o.AuthorName = "orbos"
	}
	if o.AuthorEmail == "" {
		o.AuthorEmail = "orbos@localhost"
	}
}

func (o Options) branchRef() plumbing.ReferenceName { return plumbing.NewBranchReferenceName(o.Branch) }
func (o Options) remoteRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(RemoteName, o.Branch)
}

// Open opens the checkout in opts.Dir, cloning the remote when the directory holds no repository.
// An existing checkout must point at the same remote URL.
func Open(ctx context.Context, opts Options) (*Repo, error) {
	opts.defaults()
	r, err := git.PlainOpen(opts.Dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(filepath.Dir(opts.Dir), 0o700); err != nil {
			return nil, fmt.Errorf("creating checkout directory: %w", err)
		}
		r, err = git.PlainCloneContext(ctx, opts.Dir, false, &git.CloneOptions{
			URL:           opts.URL,
			Auth:          opts.Auth,
			RemoteName:    RemoteName,
			ReferenceName: opts.branchRef(),
			SingleBranch:  true,
		})
		if errors.Is(err, transport.ErrEmptyRemoteRepository) {
			_ = os.RemoveAll(opts.Dir)
			return nil, fmt.Errorf("cloning %s: %w", opts.URL, ErrEmptyRemote)
		}
		if err != nil {
			_ = os.RemoveAll(opts.Dir)
			return nil, fmt.Errorf("cloning %s: %w", opts.URL, Explain(err))
		}
		return &Repo{opts: opts, repo: r}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening checkout %s: %w", opts.Dir, err)
	}
	remote, err := r.Remote(RemoteName)
	if err != nil {
		return nil, fmt.Errorf("checkout %s has no remote %q: %w", opts.Dir, RemoteName, err)
	}
	if got := remote.Config().URLs[0]; got != opts.URL {
		return nil, fmt.Errorf("checkout %s belongs to %s, not %s: remove it or pass another --checkout", opts.Dir, got, opts.URL)
	}
	return &Repo{opts: opts, repo: r}, nil
}

// OpenLocal opens the checkout in dir as it is, whatever its remote, without touching the network.
func OpenLocal(dir, branch string) (*Repo, error) {
	opts := Options{Dir: dir, Branch: branch}
	opts.defaults()
	r, err := git.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("opening checkout %s: %w", dir, err)
	}
	return &Repo{opts: opts, repo: r}, nil
}

// Init creates a new repository in opts.Dir whose origin is opts.URL, for a remote that is still empty.
func Init(opts Options) (*Repo, error) {
	opts.defaults()
	r, err := git.PlainInitWithOptions(opts.Dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: opts.branchRef()},
	})
	if err != nil {
		return nil, fmt.Errorf("initialising %s: %w", opts.Dir, err)
	}
	if _, err := r.CreateRemote(&config.RemoteConfig{Name: RemoteName, URLs: []string{opts.URL}}); err != nil {
		return nil, fmt.Errorf("adding remote: %w", err)
	}
	return &Repo{opts: opts, repo: r}, nil
}

// Dir is the checkout's directory.
func (r *Repo) Dir() string { return r.opts.Dir }

// Git exposes the underlying repository to sibling packages (the lock).
func (r *Repo) Git() *git.Repository { return r.repo }

// Options returns the options the repo was opened with.
func (r *Repo) Options() Options { return r.opts }

// Head returns the commit the branch points at locally (zero hash before the first commit).
func (r *Repo) Head() (plumbing.Hash, error) {
	ref, err := r.repo.Reference(r.opts.branchRef(), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading %s: %w", r.opts.branchRef(), err)
	}
	return ref.Hash(), nil
}

// RemoteHead returns the branch's commit as last fetched (zero hash when unknown).
func (r *Repo) RemoteHead() (plumbing.Hash, error) {
	ref, err := r.repo.Reference(r.opts.remoteRef(), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading %s: %w", r.opts.remoteRef(), err)
	}
	return ref.Hash(), nil
}

// Fetch updates the remote-tracking branch.
func (r *Repo) Fetch(ctx context.Context) error {
	spec := config.RefSpec(fmt.Sprintf("+%s:%s", r.opts.branchRef(), r.opts.remoteRef()))
	err := r.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: RemoteName,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       r.opts.Auth,
		Tags:       git.NoTags,
	})
	if errors.Is(err, git.NoMatchingRefSpecError{}) {
		return nil // an empty remote
	}
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetching %s from %s: %w", r.opts.Branch, r.opts.URL, Explain(err))
	}
	return nil
}

// RemoteBranchHead asks the remote where the branch points, reading refs only; "" for an empty remote.
func (r *Repo) RemoteBranchHead(ctx context.Context) (string, error) {
	remote, err := r.repo.Remote(RemoteName)
	if err != nil {
		return "", fmt.Errorf("reading remote: %w", err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: r.opts.Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("listing %s: %w", r.opts.URL, Explain(err))
	}
	for _, ref := range refs {
		if ref.Name() == r.opts.branchRef() {
			return ref.Hash().String(), nil
		}
	}
	return "", nil
}

// Changed lists the paths that differ from the last commit (modified, added, deleted or untracked,
// ignored files excepted), sorted.
func (r *Repo) Changed() ([]string, error) {
	wt, err := r.repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("opening worktree: %w", err)
	}
	st, err := wt.StatusWithOptions(git.StatusOptions{Strategy: git.Preload})
	if err != nil {
		return nil, fmt.Errorf("reading worktree status: %w", err)
	}
	var paths []string
	for p, s := range st {
		if s.Worktree != git.Unmodified || s.Staging != git.Unmodified {
			paths = append(paths, p)
		}
	}
	sortStrings(paths)
	return paths, nil
}

// CommitAll commits every change in the worktree (respecting .gitignore). It returns the zero hash
// and no error when nothing changed.
func (r *Repo) CommitAll(message string) (plumbing.Hash, error) {
	changed, err := r.Changed()
	if err != nil || len(changed) == 0 {
		return plumbing.ZeroHash, err
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("opening worktree: %w", err)
	}
	for _, p := range changed {
		if _, err := os.Lstat(filepath.Join(r.opts.Dir, p)); errors.Is(err, os.ErrNotExist) {
			if _, err := wt.Remove(p); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("staging removal of %s: %w", p, err)
			}
			continue
		}
		if _, err := wt.Add(p); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("staging %s: %w", p, err)
		}
	}
	h, err := wt.Commit(message, &git.CommitOptions{Author: r.signature(), AllowEmptyCommits: false})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("committing: %w", err)
	}
	return h, nil
}

func (r *Repo) signature() *object.Signature {
	return &object.Signature{Name: r.opts.AuthorName, Email: r.opts.AuthorEmail, When: time.Now()}
}

// Commit is one entry of the log.
type Commit struct {
	Hash    string    `json:"hash"`
	Author  string    `json:"author"`
	When    time.Time `json:"when"`
	Message string    `json:"message"`
}

// Log lists up to max commits of the local branch, newest first.
func (r *Repo) Log(max int) ([]Commit, error) {
	head, err := r.Head()
	if err != nil || head.IsZero() {
		return nil, err
	}
	iter, err := r.repo.Log(&git.LogOptions{From: head})
	if err != nil {
		return nil, fmt.Errorf("reading log: %w", err)
	}
	var out []Commit
	err = iter.ForEach(func(c *object.Commit) error {
		if max > 0 && len(out) >= max {
			return errStop
		}
		out = append(out, Commit{Hash: c.Hash.String(), Author: c.Author.Name, When: c.Author.When, Message: c.Message})
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("reading log: %w", err)
	}
	return out, nil
}

var errStop = errors.New("stop")

func sortStrings(s []string) { slices.Sort(s) }

// Discard drops the worktree's changes to the paths match accepts: tracked files get their committed
// content back, untracked ones are removed.
func (r *Repo) Discard(match func(path string) bool) error {
	changed, err := r.Changed()
	if err != nil || len(changed) == 0 {
		return err
	}
	var tree *object.Tree
	if head, err := r.Head(); err != nil {
		return err
	} else if !head.IsZero() {
		c, err := r.repo.CommitObject(head)
		if err != nil {
			return fmt.Errorf("reading commit %s: %w", head, err)
		}
		if tree, err = c.Tree(); err != nil {
			return fmt.Errorf("reading tree: %w", err)
		}
	}
	for _, p := range changed {
		if !match(p) {
			continue
		}
		full := filepath.Join(r.opts.Dir, p)
		var f *object.File
		if tree != nil {
			f, err = tree.File(p)
		}
		if tree == nil || errors.Is(err, object.ErrFileNotFound) {
			if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("discarding %s: %w", p, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if err := writeTreeFile(full, f); err != nil {
			return fmt.Errorf("discarding %s: %w", p, err)
		}
	}
	return nil
}

// writeTreeFile writes a file of a commit's tree to full in the worktree, with its mode.
func writeTreeFile(full string, f *object.File) error {
	content, err := f.Contents()
	if err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	mode, _ := f.Mode.ToOSFileMode()
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	return os.WriteFile(full, []byte(content), mode.Perm())
}

// Reset moves the branch and the worktree to h, dropping local commits after it (a commit that must
// never be pushed once its own push failed, such as a passphrase rotation).
func (r *Repo) Reset(h plumbing.Hash) error { return r.resetTo(h) }
