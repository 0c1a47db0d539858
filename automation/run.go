package automation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/components/static"
	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/stacks"
)

// Operation is what a run does.
type Operation string

const (
	Preview Operation = "preview"
	Up      Operation = "up"
	Refresh Operation = "refresh"
	Destroy Operation = "destroy"
	// Drift refreshes the state from the real resources in a preview and records what differs.
	Drift Operation = "drift"
)

// Outcomes of a run.
const (
	Succeeded   = "succeeded"
	Failed      = "failed"
	Interrupted = "interrupted"
)

// RunOptions tune one run.
type RunOptions struct {
	// ExpectNoChanges makes a preview that finds changes fail with ErrChangesPending.
	ExpectNoChanges bool
	// Message is added to the state commit.
	Message string
	// Refresh makes an up read the real resources first, so that it corrects drift.
	Refresh bool
	// NoPolicy skips orbos's policy pack, which previews and ups run by default.
	NoPolicy bool
}

// Result is what a run did; it is also orbctl's JSON output.
type Result struct {
	Orb           string         `json:"orb"`
	Operation     Operation      `json:"operation"`
	RunID         string         `json:"runID"`
	Outcome       string         `json:"outcome"`
	Changes       map[string]int `json:"changes"`
	Steps         []Step         `json:"steps"`
	DesiredCommit string         `json:"desiredCommit,omitempty"`
	// Commit is the state commit the run made; empty when it changed nothing.
	Commit string `json:"commit,omitempty"`
	Pushed bool   `json:"pushed"`
	// Recovered is the commit that saved an interrupted run's leftover state, if any.
	Recovered string `json:"recovered,omitempty"`
	// TookOver names the expired lock this run took over, if any.
	TookOver *orblock.Info `json:"tookOver,omitempty"`
	Started  time.Time     `json:"started"`
	// engineChanges counts every step the engine took, the stack's and providers' included.
	engineChanges int
	Seconds       float64 `json:"seconds"`
	Error         string  `json:"error,omitempty"`
}

// ChangeCount is the number of resources the run changed (or, for a preview, would change).
func (r *Result) ChangeCount() int {
	n := 0
	for _, c := range r.Changes {
		n += c
	}
	return n
}

func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// Run runs op on the ORB. Every run but a preview takes the ORB lock and, whatever happens once the
// engine has started, commits and pushes the state before it releases the lock.
func (o *Orb) Run(ctx context.Context, op Operation, ro RunOptions) (*Result, error) {
	now := time.Now()
	res := &Result{Orb: o.name(), Operation: op, RunID: newRunID(now), Started: now, Changes: map[string]int{}}
	err := o.run(ctx, op, ro, res)
	res.Seconds = time.Since(now).Round(time.Millisecond).Seconds()
	if err != nil {
		res.Error = o.Redact(err.Error())
		if res.Outcome == "" {
			res.Outcome = Failed
		}
	}
	return res, err
}

func (o *Orb) run(ctx context.Context, op Operation, ro RunOptions, res *Result) (err error) {
	if op == Preview {
		return o.preview(ctx, ro, res)
	}
	lock, recovered, err := o.lockAndSync(ctx, string(op), res.RunID)
	if err != nil {
		return err
	}
	res.TookOver, res.Recovered = lock.TookOver, recovered
	defer func() {
		if rerr := lock.Release(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()

	// Until the engine starts, a failure changes nothing; afterwards, the state is always saved.
	spec, err := o.loadSpec()
	if err == nil && op != Destroy {
		spec, err = o.ensureSSHKey(spec)
	}
	if err == nil && op != Destroy {
		err = o.preflight(ctx, spec)
	}
	if err != nil {
		return errors.Join(err, o.pushIfAhead(ctx))
	}
	if head, err := o.repo.Head(); err == nil {
		res.DesiredCommit = head.String()
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lock.Lost():
			o.progressf("the ORB lock was lost: %v; stopping the run\n", lock.Err())
			cancel()
		case <-runCtx.Done():
		}
	}()
	runErr := o.engine(runCtx, op, spec, res, ro)
	var blocked *PolicyError
	if errors.As(runErr, &blocked) && op == Up {
		// Refused before anything changed: like an invalid spec, nothing to record.
		res.Outcome = Failed
		return errors.Join(runErr, o.repo.Discard(isStatePath), o.pushIfAhead(ctx))
	}
	switch {
	case runErr == nil:
		res.Outcome = Succeeded
	case ctx.Err() != nil || lock.Err() != nil:
		res.Outcome = Interrupted
	default:
		res.Outcome = Failed
	}
	// Save the state even when the caller's context is done: that is when it matters most.
	saveCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer stop()
	if lock.Err() != nil {
		// Somebody else holds the ORB now; pushing could overwrite their state.
		if _, cerr := o.commit(res, spec, runErr); cerr != nil {
			return errors.Join(runErr, cerr)
		}
		return errors.Join(runErr, lock.Err(), fmt.Errorf("this run's state is committed in %s but not pushed", o.Checkout()))
	}
	return errors.Join(runErr, o.save(saveCtx, res, spec, runErr))
}

// lockAndSync takes the ORB lock and brings the checkout up to the remote, first committing what an
// interrupted run left behind (whose commit it returns). The caller releases the lock.
func (o *Orb) lockAndSync(ctx context.Context, purpose, runID string) (*orblock.Lock, string, error) {
	lock, err := orblock.Acquire(ctx, o.repo, orblock.Options{
		Holder: o.opts.Holder, Purpose: purpose, RunID: runID, TTL: o.opts.LockTTL, Wait: o.opts.LockWait,
		OnWait: func(i orblock.Info) { o.progressf("waiting for the ORB lock held by %s\n", i) },
	})
	if err != nil {
		return nil, "", err
	}
	if lock.TookOver != nil {
		o.progressf("took over the ORB lock of %s: its lease ran out or its process is gone\n", lock.TookOver)
	}
	recovered, err := o.syncLocked(ctx)
	if err != nil {
		return nil, "", errors.Join(err, lock.Release(context.WithoutCancel(ctx)))
	}
	return lock, recovered, nil
}

func (o *Orb) syncLocked(ctx context.Context) (string, error) {
	if err := o.repo.Fetch(ctx); err != nil {
		return "", err
	}
	recovered, err := o.recoverLeftovers(ctx)
	if err != nil {
		return "", err
	}
	_, err = o.repo.Sync(isStatePath)
	return recovered, err
}

func (o *Orb) preview(ctx context.Context, ro RunOptions, res *Result) error {
	if err := o.Sync(ctx); err != nil {
		return err
	}
	changed, err := o.repo.Changed()
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		o.progressf("note: this checkout holds state of an interrupted run that the next up will recover\n")
	} else {
		// A preview changes nothing: drop whatever the engine wrote.
		defer o.repo.Discard(isStatePath)
	}
	spec, err := o.loadSpec()
	if err != nil {
		return err
	}
	if head, err := o.repo.Head(); err == nil {
		res.DesiredCommit = head.String()
	}
	if err := o.engine(ctx, Preview, spec, res, ro); err != nil {
		res.Outcome = Failed
		return err
	}
	res.Outcome = Succeeded
	if ro.ExpectNoChanges && res.ChangeCount() > 0 {
		return fmt.Errorf("%w: %s", ErrChangesPending, DescribeChanges(res.Changes))
	}
	return nil
}

// loadSpec reads and validates the desired state and registers its secrets for redaction.
func (o *Orb) loadSpec() (*stacks.Spec, error) {
	f, raw, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	spec, err := stacks.Parse(o.name(), raw)
	if err != nil {
		return nil, err
	}
	c, err := o.crypter(f)
	if err != nil {
		return nil, err
	}
	secrets, err := f.DecryptAll(c)
	if err != nil {
		return nil, err
	}
	o.learnSecrets(f, c, secrets)
	return spec, nil
}

// ensureSSHKey gives an ORB that logs in to machines (GCE, or static machines it makes a cluster of)
// its own SSH key, generated with crypto/rand and stored encrypted in the desired state, as a commit
// of its own. Static machines must authorize its public key, which is printed.
func (o *Orb) ensureSSHKey(spec *stacks.Spec) (*stacks.Spec, error) {
	c := spec.File.Config
	gce := c.Orbiter.Providers != nil && c.Orbiter.Providers.GCE != nil
	if (!gce && !spec.MakesCluster()) || c.SSHKey.IsSet() {
		return spec, nil
	}
	f, _, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	cr, err := o.crypter(f)
	if err != nil {
		return nil, err
	}
	private, public, err := sshkey.Generate("orbos-" + o.name())
	if err != nil {
		return nil, err
	}
	if err := f.Set(stacks.KeySSHKey, private, true, cr); err != nil {
		return nil, err
	}
	raw, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return nil, fmt.Errorf("writing the desired state: %w", err)
	}
	o.progressf("generated the ORB's SSH key (%s, encrypted)\n", stacks.KeySSHKey)
	if !gce {
		o.progressf("the static machines must accept it: add this line to root's ~/.ssh/authorized_keys on each:\n  %s\n", public)
	}
	if _, err := o.repo.CommitAll(fmt.Sprintf("orbos config %s: generate the ORB's SSH key\n\n%s", o.name(), trailers(map[string]string{
		"Orbos-Operation": "config", "Orbos-Key": stacks.KeySSHKey, "Orbos-Value": "[secret]",
	}))); err != nil {
		return nil, err
	}
	return o.loadSpec()
}

// preflight checks, before the engine runs, that every static machine is reachable and presents its
// pinned host key.
func (o *Orb) preflight(ctx context.Context, spec *stacks.Spec) error {
	// Nodes orbos made would all be reset if the spec stopped asking orbos to make the cluster (a
	// kubeconfig added, the control plane or the static provider removed): only destroy does that.
	if nodes, err := readNodes(o.Checkout(), o.name()); err != nil {
		return err
	} else if len(nodes) > 0 && !spec.MakesCluster() {
		return &stacks.ValidationError{File: stacks.StackFileName(o.name()), Errors: []stacks.FieldError{{Path: "config." + stacks.KeyOrbiter,
			Message: fmt.Sprintf("orbos made this cluster on %d machines, and this spec would reset every one of them (it sets %s, or drops the control plane or the static provider); take the cluster down with `orbctl destroy` instead", len(nodes), stacks.KeyKubeconfig)}}}
	}
	p := spec.File.Config.Orbiter.Providers
	if p == nil || p.Static == nil {
		return nil
	}
	args := static.Args{Static: *p.Static}
	if cp := spec.Kubernetes().ControlPlane; cp != nil {
		args.ControlPlanePool, args.ControlPlaneNodes = cp.Pool, cp.Nodes
	}
	machines := static.Inventory(args)
	o.progressf("checking %d machines over SSH\n", len(machines))
	if err := static.Check(ctx, machines, 10*time.Second); err != nil {
		return fmt.Errorf("preflight: nothing was changed:\n%w", err)
	}
	return nil
}

// recoverLeftovers commits what an interrupted run left in the checkout (its state, never anything
// else), after making sure no engine of that run is still writing.
func (o *Orb) recoverLeftovers(ctx context.Context) (string, error) {
	if err := clearPulumiLocks(ctx, o.Checkout()); err != nil {
		return "", err
	}
	if err := o.removeCutOffSidecars(); err != nil {
		return "", err
	}
	changed, err := o.repo.Changed()
	if err != nil || len(changed) == 0 {
		return "", err
	}
	var foreign []string
	for _, p := range changed {
		if !isStatePath(p) {
			foreign = append(foreign, p)
		}
	}
	if len(foreign) > 0 {
		return "", fmt.Errorf("the checkout %s has changes orbctl did not make (%s): commit them to the ORB repository or remove them",
			o.Checkout(), strings.Join(foreign, ", "))
	}
	if err := o.repairCheckpoints(changed); err != nil {
		return "", err
	}
	if changed, err = o.repo.Changed(); err != nil || len(changed) == 0 {
		return "", err
	}
	o.progressf("recovering the state an interrupted run left in %s: %s\n", o.Checkout(), strings.Join(changed, ", "))
	msg := fmt.Sprintf("orbos recover %s: state of an interrupted run\n\n%s\n\n%s", o.name(), strings.Join(changed, "\n"), trailers(map[string]string{
		"Orbos-Operation": "recover", "Orbos-Outcome": Interrupted,
	}))
	h, err := o.repo.CommitAll(msg)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// removeCutOffSidecars deletes the file backend's metadata sidecars (<blob>.attrs) that a killed run
// left cut off. The blob store writes them in place, not through a temporary file, and reading a blob
// whose sidecar is empty fails ("failed to load checkpoint: EOF"); a missing sidecar is fine.
func (o *Orb) removeCutOffSidecars() error {
	return filepath.WalkDir(filepath.Join(o.Checkout(), ".pulumi"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".attrs") {
			return nil
		}
		if raw, err := os.ReadFile(path); err == nil && !json.Valid(raw) {
			rel, _ := filepath.Rel(o.Checkout(), path)
			o.progressf("removing %s, which an interrupted run left cut off\n", rel)
			return os.Remove(path)
		}
		return nil
	})
}

// tmpCheckpoint is a checkpoint being written (not the backup's, <stack>.json.bak.<n>.tmp).
var tmpCheckpoint = regexp.MustCompile(`^(.*\.json)\.[0-9a-f]+\.tmp$`)

// repairCheckpoints makes an interrupted run's checkpoint whole before it is committed. The engine
// writes a checkpoint to a temporary file and renames it; a run killed in between leaves the newest
// complete checkpoint in the temporary file, and one killed earlier may leave a cut-off file.
func (o *Orb) repairCheckpoints(changed []string) error {
	var tmps, checkpoints []string
	for _, p := range changed {
		if strings.HasPrefix(p, ".pulumi/stacks/") && strings.HasSuffix(p, ".json") {
			checkpoints = append(checkpoints, p)
		}
	}
	// Temporary files are ignored by Git, so look for them on disk.
	_ = filepath.WalkDir(filepath.Join(o.Checkout(), ".pulumi", "stacks"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && tmpCheckpoint.MatchString(path) {
			rel, _ := filepath.Rel(o.Checkout(), path)
			tmps = append(tmps, filepath.ToSlash(rel))
		}
		return nil
	})
	for _, p := range tmps {
		full := filepath.Join(o.Checkout(), p)
		target := tmpCheckpoint.FindStringSubmatch(p)[1]
		if raw, err := os.ReadFile(full); err == nil && json.Valid(raw) {
			o.progressf("the interrupted run's newest checkpoint was not yet in place: using %s\n", p)
			if err := os.Rename(full, filepath.Join(o.Checkout(), target)); err != nil {
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
		raw, err := os.ReadFile(filepath.Join(o.Checkout(), p))
		if err == nil && !json.Valid(raw) {
			broken = append(broken, p)
		}
	}
	if len(broken) == 0 {
		return nil
	}
	o.progressf("the interrupted run's checkpoint %s was cut off: keeping the last committed state; "+
		"objects that run created are adopted by the next up\n", strings.Join(broken, ", "))
	return o.repo.Discard(func(p string) bool { return slices.Contains(broken, p) })
}

// clearPulumiLocks removes the Pulumi file-backend locks an interrupted run left, waiting first for an
// engine of this machine that still runs.
func clearPulumiLocks(ctx context.Context, dir string) error {
	root := filepath.Join(dir, ".pulumi", "locks")
	host, _ := os.Hostname()
	deadline := time.Now().Add(2 * time.Minute)
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		var lc struct {
			Pid      int    `json:"pid"`
			Hostname string `json:"hostname"`
		}
		if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &lc) == nil && lc.Hostname == host {
			for processAlive(lc.Pid) {
				if time.Now().After(deadline) {
					return fmt.Errorf("a Pulumi engine (pid %d) of an earlier run still holds %s", lc.Pid, path)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(200 * time.Millisecond):
				}
			}
		}
		return os.Remove(path)
	})
}

// save writes status, commits and pushes the state of a run whose engine has started. A run that
// succeeded without changing anything leaves no commit.
func (o *Orb) save(ctx context.Context, res *Result, spec *stacks.Spec, runErr error) error {
	if res.Operation == Drift {
		return o.saveDrift(ctx, res, runErr)
	}
	if runErr == nil && res.engineChanges == 0 {
		if err := o.repo.Discard(isStatePath); err != nil {
			return err
		}
		return o.pushIfAhead(ctx)
	}
	h, err := o.commit(res, spec, runErr)
	if err != nil {
		return err
	}
	res.Commit = h
	if err := o.push(ctx); err != nil {
		return err
	}
	res.Pushed = true
	return nil
}

// saveDrift records a drift check in the status; a check that finds what the last one found makes
// no commit. The state itself is left as it was: a preview changes nothing.
func (o *Orb) saveDrift(ctx context.Context, res *Result, runErr error) error {
	if err := o.repo.Discard(isStatePath); err != nil {
		return err
	}
	if runErr != nil {
		return o.pushIfAhead(ctx)
	}
	var drifted []Step
	for _, s := range res.Steps {
		if s.Op != "refresh" && s.Op != "same" {
			drifted = append(drifted, s)
		}
	}
	st, err := ReadStatus(o.Checkout(), o.name())
	if err != nil || st == nil {
		return errors.Join(err, o.pushIfAhead(ctx))
	}
	if sameDrift(st.Drift, drifted) {
		return o.pushIfAhead(ctx)
	}
	st.Drift = nil
	if len(drifted) > 0 {
		st.Drift = &DriftReport{Checked: time.Now().UTC(), Resources: drifted}
	}
	if err := o.saveStatus(st); err != nil {
		return err
	}
	subject := fmt.Sprintf("orbos drift %s: %d resources drifted", o.name(), len(drifted))
	if len(drifted) == 0 {
		subject = fmt.Sprintf("orbos drift %s: drift gone", o.name())
	}
	h, err := o.repo.CommitAll(subject + "\n\n" + trailers(map[string]string{
		"Orbos-Operation": string(Drift), "Orbos-Outcome": Succeeded, "Orbos-Run": res.RunID,
		"Orbos-Changes": changesTrailer(res.Changes), "Orbos-Holder": o.holder(),
	}))
	if err != nil {
		return err
	}
	res.Commit = h.String()
	if err := o.push(ctx); err != nil {
		return err
	}
	res.Pushed = true
	return nil
}

func sameDrift(prev *DriftReport, now []Step) bool {
	var before []Step
	if prev != nil {
		before = prev.Resources
	}
	if len(before) != len(now) {
		return false
	}
	for i := range now {
		if before[i].URN != now[i].URN || before[i].Op != now[i].Op || len(before[i].Diffs) != len(now[i].Diffs) {
			return false
		}
		for j := range now[i].Diffs {
			if before[i].Diffs[j] != now[i].Diffs[j] {
				return false
			}
		}
	}
	return true
}

// RemoteHead returns the commit the remote's branch points at, reading refs only (no fetch).
func (o *Orb) RemoteHead(ctx context.Context) (string, error) {
	return o.repo.RemoteBranchHead(ctx)
}

// DesiredSpec brings the checkout up to the remote and returns its validated desired state and a
// digest of the desired-state file, which changes only when the desired state does (unlike the
// branch head, which every state commit moves).
func (o *Orb) DesiredSpec(ctx context.Context) (*stacks.Spec, string, error) {
	if err := o.Sync(ctx); err != nil {
		return nil, "", err
	}
	raw, err := os.ReadFile(o.stackFilePath())
	if err != nil {
		return nil, "", fmt.Errorf("reading the desired state: %w", err)
	}
	h := sha256.New()
	h.Write(raw)
	// A commit to the trigger file asks for a run without changing the desired state.
	if trigger, err := os.ReadFile(filepath.Join(o.Checkout(), TriggerPath(o.name()))); err == nil {
		h.Write([]byte{0})
		h.Write(trigger)
	}
	spec, err := o.loadSpec()
	return spec, hex.EncodeToString(h.Sum(nil)), err
}

// TriggerPath is the file whose every change makes the reconciler run up.
func TriggerPath(orb string) string { return filepath.Join("trigger", orb) }

// NoteReconciler records what the reconciler has to say in status/<orb>.yaml, as one commit, under
// the ORB lock; the same note twice makes no commit.
func (o *Orb) NoteReconciler(ctx context.Context, note string) error {
	lock, _, err := o.lockAndSync(ctx, "reconciler note", newRunID(time.Now()))
	if err != nil {
		return err
	}
	defer lock.Release(context.WithoutCancel(ctx))
	st, err := ReadStatus(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	if st == nil {
		st = &Status{Orb: o.name(), Resources: []Resource{}}
	}
	note = o.Redact(note)
	if st.Reconciler == note {
		return nil
	}
	st.Reconciler = note
	if err := o.saveStatus(st); err != nil {
		return err
	}
	subject := truncate(firstLine(note), 100)
	if note == "" {
		subject = "note cleared"
	}
	if _, err := o.repo.CommitAll(fmt.Sprintf("orbos reconciler %s: %s\n\n%s", o.name(), subject,
		trailers(map[string]string{"Orbos-Operation": "reconciler"}))); err != nil {
		return err
	}
	return o.push(ctx)
}

func (o *Orb) commit(res *Result, spec *stacks.Spec, runErr error) (string, error) {
	if err := o.writeStatus(res, spec, runErr); err != nil {
		return "", err
	}
	o.learnStateSecrets(context.Background()) // what this run made: the admin kubeconfig
	h, err := o.repo.CommitAll(o.Redact(o.commitMessage(res, runErr)))
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func (o *Orb) writeStatus(res *Result, spec *stacks.Spec, runErr error) error {
	prev, _ := ReadStatus(o.Checkout(), o.name())
	resources, outputs, err := readState(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	k := spec.Kubernetes()
	s := &Status{
		Orb: o.name(), DesiredCommit: res.DesiredCommit,
		Kubernetes: KubeStatus{DesiredVersion: k.Version, Namespace: k.Namespace},
		LastRun: RunRecord{
			Operation: string(res.Operation), RunID: res.RunID, Holder: o.holder(), Started: res.Started.UTC(),
			Finished: time.Now().UTC(), Outcome: res.Outcome, Changes: res.Changes,
		},
		Resources: resources, Outputs: outputs,
	}
	if s.Resources == nil {
		s.Resources = []Resource{}
	}
	if s.Nodes, err = readNodes(o.Checkout(), o.name()); err != nil {
		return err
	}
	for _, n := range s.Nodes {
		if n.CertExpiry != "" && (s.Kubernetes.CertExpiry == "" || n.CertExpiry < s.Kubernetes.CertExpiry) {
			s.Kubernetes.CertExpiry = n.CertExpiry
		}
	}
	if runErr != nil {
		s.LastRun.Error = o.Redact(firstLine(runErr.Error()))
	}
	if prev != nil {
		s.Drift = prev.Drift
		if res.Outcome != Succeeded {
			s.Reconciler = prev.Reconciler
		}
	}
	if res.Outcome == Succeeded {
		t := s.LastRun.Finished
		s.LastSuccess = &t
	} else if prev != nil {
		s.LastSuccess = prev.LastSuccess
	}
	return o.saveStatus(s)
}

func (o *Orb) holder() string {
	if o.opts.Holder != "" {
		return o.opts.Holder
	}
	return orblock.DefaultHolder()
}

func (o *Orb) commitMessage(res *Result, runErr error) string {
	subject := fmt.Sprintf("orbos %s %s: %s", res.Operation, o.name(), res.Outcome)
	if d := DescribeChanges(res.Changes); d != "" {
		subject += ", " + d
	}
	if runErr != nil {
		subject += ": " + truncate(o.Redact(firstLine(runErr.Error())), 120)
	}
	t := map[string]string{
		"Orbos-Operation": string(res.Operation), "Orbos-Outcome": res.Outcome, "Orbos-Run": res.RunID,
		"Orbos-Holder": o.holder(), "Orbos-Changes": changesTrailer(res.Changes),
	}
	if res.DesiredCommit != "" {
		t["Orbos-Desired"] = res.DesiredCommit
	}
	body := ""
	for _, s := range res.Steps {
		if s.Status != "" {
			body += fmt.Sprintf("%s %s %s: %s\n", s.Op, s.Type, s.Name, s.Status)
		}
	}
	if body != "" {
		body = "\n" + body
	}
	return subject + "\n" + body + "\n" + trailers(t)
}

func trailers(t map[string]string) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, t[k])
	}
	return b.String()
}

var opWords = map[string]string{
	string(apitype.OpCreate): "created", string(apitype.OpUpdate): "updated", string(apitype.OpDelete): "deleted",
	string(apitype.OpReplace): "replaced", string(apitype.OpRefresh): "refreshed", string(apitype.OpImport): "imported",
}

// DescribeChanges says "2 created, 1 updated"; empty when nothing changed.
func DescribeChanges(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		w := opWords[k]
		if w == "" {
			w = k
		}
		parts = append(parts, fmt.Sprintf("%d %s", c[k], w))
	}
	return strings.Join(parts, ", ")
}

func changesTrailer(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

// push pushes the state, merging the remote's new desired state when it moved meanwhile.
func (o *Orb) push(ctx context.Context) error {
	var err error
	for range 5 {
		if err = o.repo.Push(ctx); err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "non-fast-forward") {
			break
		}
		o.progressf("the remote moved meanwhile: merging it and pushing again\n")
		if ferr := o.repo.Fetch(ctx); ferr != nil {
			err = ferr
			break
		}
		if _, serr := o.repo.Sync(isStatePath); serr != nil {
			err = serr
			break
		}
	}
	head, _ := o.repo.Head()
	return &PushError{Commit: head.String(), Checkout: o.Checkout(), Err: err}
}

// pushIfAhead pushes commits an earlier run could not push.
func (o *Orb) pushIfAhead(ctx context.Context) error {
	ahead, err := o.repo.Ahead()
	if err != nil || !ahead {
		return err
	}
	o.progressf("pushing state an earlier run could not push\n")
	return o.push(ctx)
}

func (o *Orb) progressf(format string, args ...any) {
	if o.opts.Progress != nil {
		fmt.Fprint(o.opts.Progress, o.Redact(fmt.Sprintf(format, args...)))
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
