package automation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/dbbackup"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/stacks"
)

// Operations and trailers of Zitadel's backup and restore commits. orbctl history shows the
// operation and the subject, which names the backup.
const (
	OpZitadelBackup  = "zitadel backup"
	OpZitadelRestore = "zitadel restore"
	// KeyZitadelBackup names the backup a commit took or restored.
	KeyZitadelBackup = "Orbos-Zitadel-Backup"
	// KeyZitadelRestore is the restore's generation: the live database cluster is <name>-r<N>.
	KeyZitadelRestore = "Orbos-Zitadel-Restore"
	// ZitadelDeployment is the Deployment of the zitadel chart's release "zitadel" (its fullname).
	ZitadelDeployment = "zitadel"
	// DatabaseBase is the name of Zitadel's database cluster before any restore (components/zitadel).
	DatabaseBase = "zitadel-db"
)

// ZitadelBackupOptions tune ZitadelBackup.
type ZitadelBackupOptions struct {
	// Wait for the backup to complete (or fail).
	Wait bool
	// Now names the backup; time.Now when nil.
	Now func() time.Time
}

// ZitadelBackupResult is what ZitadelBackup did; it is also orbctl's JSON output.
type ZitadelBackupResult struct {
	Orb       string          `json:"orb"`
	Namespace string          `json:"namespace"`
	Backup    dbbackup.Backup `json:"backup"`
	// Commit records the backup in the ORB repository.
	Commit string `json:"commit"`
}

// zitadelDB is the ORB's Zitadel with backups, and a client of its cluster.
func (o *Orb) zitadelDB(ctx context.Context, spec *stacks.Spec) (*stacks.Zitadel, *dbbackup.Client, error) {
	z := spec.ZitadelOn()
	if z == nil {
		return nil, nil, fmt.Errorf("the ORB %s runs no Zitadel (%s.enabled)", o.name(), stacks.KeyZitadel)
	}
	if z.Database.Backups == nil {
		return nil, nil, fmt.Errorf("Zitadel's database has no backups: set %s.database.backups (a schedule and an object store)", stacks.KeyZitadel)
	}
	kubeconfig, err := o.clusterKubeconfig(ctx, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("reaching the ORB's cluster: %w", err)
	}
	o.redactor.Add(kubeconfig)
	c, err := dbbackup.FromKubeconfig([]byte(kubeconfig))
	if err != nil {
		return nil, nil, err
	}
	return z, c, nil
}

// ZitadelBackup takes a backup of Zitadel's database now, in one transaction of the ORB: a
// CloudNativePG Backup of the live cluster, waited for with opts.Wait, recorded in
// status/<orb>.zitadel-backups.yaml and one commit whose trailers name it. A failed backup is
// recorded too, and is an error with the operator's reason.
func (o *Orb) ZitadelBackup(ctx context.Context, opts ZitadelBackupOptions) (_ *ZitadelBackupResult, err error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	runID := newRunID(now())
	t, err := o.begin(ctx, OpZitadelBackup, runID)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, t.End(context.WithoutCancel(ctx))) }()
	spec, err := o.loadSpec()
	if err != nil {
		return nil, err
	}
	z, c, err := o.zitadelDB(ctx, spec)
	if err != nil {
		return nil, err
	}
	cluster := z.Database.ClusterName(DatabaseBase)
	name := dbbackup.Name(cluster, now())
	res := &ZitadelBackupResult{Orb: o.name(), Namespace: z.Namespace,
		Backup: dbbackup.Backup{Name: name, Cluster: cluster, Method: dbbackup.OnDemand, Size: -1, Created: now().UTC()}}
	var waitErr error
	if z.Database.Engine == stacks.EngineCockroachDB {
		// A Job with the cockroach client: BACKUP INTO the schedule's destination, encrypted alike.
		job := dbbackup.CockroachJob{Namespace: z.Namespace, Name: name, Release: DatabaseBase, Image: database.CockroachImage}
		o.progressf("running the backup Job %s/%s\n", z.Namespace, name)
		res.Backup, waitErr = c.RunJob(ctx, job.BackupJob(), o.progressf)
		res.Backup.Cluster = cluster
		if res.Backup.Name == "" {
			return nil, waitErr
		}
	} else if err := c.Create(ctx, z.Namespace, name, cluster); err != nil {
		return nil, err
	} else {
		o.progressf("asked for the backup %s of the database cluster %s/%s\n", name, z.Namespace, cluster)
	}
	if opts.Wait && z.Database.Engine == stacks.EnginePostgres {
		res.Backup, waitErr = c.Wait(ctx, z.Namespace, name, o.progressf)
		if res.Backup.Name == "" {
			res.Backup = dbbackup.Backup{Name: name, Cluster: cluster, Method: dbbackup.OnDemand, Size: -1}
		}
	}
	outcome, subject := Succeeded, fmt.Sprintf("orbos zitadel backup %s: %s", o.name(), name)
	switch {
	case waitErr != nil:
		outcome, subject = Failed, subject+": "+truncate(firstLine(waitErr.Error()), 120)
	case res.Backup.Phase == "":
		subject += " asked for"
	default:
		subject += " " + res.Backup.Phase
	}
	if err := o.noteBackup(res.Backup); err != nil {
		return res, errors.Join(waitErr, err)
	}
	h, err := o.repo.CommitAll(o.Redact(record.Message(subject, "", record.Trailers{
		record.KeyOperation: OpZitadelBackup, record.KeyOutcome: outcome, record.KeyRun: runID, record.KeyHolder: o.holder(),
		KeyZitadelBackup: name,
	})))
	if err != nil {
		return res, errors.Join(waitErr, err)
	}
	res.Commit = h.String()
	return res, errors.Join(waitErr, t.Publish(ctx))
}

// BackupsFile is status/<orb>.zitadel-backups.yaml: the backups orbctl took on demand, newest
// first, as their commits left them. It names backups and times, never a credential.
func BackupsFile(orb string) string { return filepath.Join("status", orb+".zitadel-backups.yaml") }

// maxNotedBackups bounds the file: the cluster's list (orbctl zitadel backups) is the full one.
const maxNotedBackups = 50

func (o *Orb) noteBackup(b dbbackup.Backup) error {
	path := filepath.Join(o.Checkout(), BackupsFile(o.name()))
	var noted struct {
		Backups []dbbackup.Backup `yaml:"backups"`
	}
	if raw, err := os.ReadFile(path); err == nil {
		if err := yaml.Unmarshal(raw, &noted); err != nil {
			return fmt.Errorf("%s: %w", BackupsFile(o.name()), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	noted.Backups = append([]dbbackup.Backup{b}, noted.Backups...)
	if len(noted.Backups) > maxNotedBackups {
		noted.Backups = noted.Backups[:maxNotedBackups]
	}
	raw, err := yaml.Marshal(&noted)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(o.Redact(string(raw))), 0o644)
}

// ZitadelBackups lists the backups of Zitadel's database the cluster records, newest first.
func (o *Orb) ZitadelBackups(ctx context.Context) ([]dbbackup.Backup, error) {
	if err := o.Sync(ctx); err != nil {
		return nil, err
	}
	spec, err := o.loadSpec()
	if err != nil {
		return nil, err
	}
	z, c, err := o.zitadelDB(ctx, spec)
	if err != nil {
		return nil, err
	}
	if z.Database.Engine == stacks.EngineCockroachDB {
		return o.cockroachBackups(ctx, z, c)
	}
	return c.List(ctx, z.Namespace)
}

// ZitadelRestoreOptions tune ZitadelRestore.
type ZitadelRestoreOptions struct {
	// From is a backup's name or latest.
	From string
	// ToTime is an RFC 3339 time to restore to (point in time), or empty.
	ToTime string
	// Run tunes the up that restores (its Prepare and Trailers are the restore's).
	Run RunOptions
}

// ZitadelRestoreResult is what ZitadelRestore did; it is also orbctl's JSON output.
type ZitadelRestoreResult struct {
	*Result
	Restore stacks.Restore `json:"restore"`
	// Backup is the backup restored (for latest, the newest completed one when the restore began).
	Backup string `json:"backup"`
	// From and To are the database clusters before and after.
	From string `json:"fromCluster"`
	To   string `json:"toCluster"`
	// Replicas Zitadel had, which the up gives it back.
	Replicas int32 `json:"replicas"`
	// RestoreCommit is the desired-state commit that asked for the restore.
	RestoreCommit string `json:"restoreCommit,omitempty"`
}

// ZitadelStoppedError is a restore whose up failed after Zitadel was scaled to zero: Zitadel
// stays stopped until an up succeeds.
type ZitadelStoppedError struct{ Err error }

func (e *ZitadelStoppedError) Error() string {
	return fmt.Sprintf("the restore's up failed: Zitadel stays at zero replicas, and the desired state asks for the restore; fix the cause and run orbctl up (it finishes the restore and starts Zitadel), or see `orbctl status`: %v", e.Err)
}

func (e *ZitadelStoppedError) Unwrap() error { return e.Err }

// ZitadelRestore restores Zitadel's database from a backup in one transaction of the ORB: Zitadel
// scaled to zero through its scale subresource and waited for until no pod of it runs; the restore
// written into the desired state (database.restore: the next generation, the backup, its Barman ID,
// the time) and committed; then the ORB's up, in which the program makes the new cluster from the
// backup, waits until it is Ready and only then upgrades Zitadel back to its replicas, connected to
// it. The up's state commit names the backup now live. The replaced cluster stays, retained.
func (o *Orb) ZitadelRestore(ctx context.Context, opts ZitadelRestoreOptions) (*ZitadelRestoreResult, error) {
	if opts.From == "" {
		return nil, errors.New("name the backup to restore from, or latest")
	}
	if opts.ToTime != "" {
		if _, err := time.Parse(time.RFC3339, opts.ToTime); err != nil {
			return nil, fmt.Errorf("--to-time %q is not an RFC 3339 time like 2026-12-01T10:00:00Z", opts.ToTime)
		}
	}
	out := &ZitadelRestoreResult{}
	ro := opts.Run
	ro.Trailers = record.Trailers{}
	ro.Prepare = func(ctx context.Context) error {
		return o.prepareRestore(ctx, opts, out, ro.Trailers)
	}
	res, err := o.Run(ctx, Up, ro)
	out.Result = res
	if err != nil && out.RestoreCommit != "" {
		return out, &ZitadelStoppedError{Err: err}
	}
	return out, err
}

// prepareRestore stops Zitadel and commits the restore into the desired state (under the up's lock).
func (o *Orb) prepareRestore(ctx context.Context, opts ZitadelRestoreOptions, out *ZitadelRestoreResult, trailers record.Trailers) error {
	spec, err := o.loadSpec()
	if err != nil {
		return err
	}
	z, c, err := o.zitadelDB(ctx, spec)
	if err != nil {
		return err
	}
	r := stacks.Restore{Generation: 1, Backup: opts.From, ToTime: opts.ToTime}
	if prev := z.Database.Restore; prev != nil {
		r.Generation = prev.Generation + 1
	}
	cockroach := z.Database.Engine == stacks.EngineCockroachDB
	if cockroach {
		if err := resolveCockroachRestore(z, &r, out); err != nil {
			return err
		}
	} else if err := resolvePostgresRestore(ctx, c, z, opts, &r, out); err != nil {
		return err
	}
	out.Restore = r

	// Zitadel first: no write may reach the database between the backup's end and the restore.
	if out.Replicas, err = c.ScaleToZero(ctx, z.Namespace, ZitadelDeployment); err != nil {
		return err
	}
	o.progressf("scaled Zitadel (%s/%s) from %d replicas to zero\n", z.Namespace, ZitadelDeployment, out.Replicas)
	if err := c.WaitNoPods(ctx, z.Namespace, ZitadelDeployment, o.progressf); err != nil {
		return fmt.Errorf("%w; Zitadel is scaled to zero: orbctl up brings it back unchanged", err)
	}
	o.progressf("no Zitadel pod runs; restoring %s into %s\n", out.Backup, out.To)

	f, _, err := o.StackFile()
	if err != nil {
		return err
	}
	if err := WriteRestore(f, r); err != nil {
		return err
	}
	raw, err := f.Bytes()
	if err != nil {
		return err
	}
	if _, err := stacks.Parse(o.name(), raw); err != nil {
		return fmt.Errorf("refusing the restore (Zitadel is scaled to zero: orbctl up brings it back): %w", err)
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return fmt.Errorf("writing the desired state: %w", err)
	}
	what := out.Backup
	if opts.From == "latest" && out.Backup != "latest" {
		what = "latest (" + out.Backup + ")"
	}
	if r.ToTime != "" {
		what += " to " + r.ToTime
	}
	body := fmt.Sprintf("Zitadel scaled from %d replicas to zero; the up that follows makes %s from the backup and starts Zitadel on it. %s stays, retained.", out.Replicas, out.To, out.From)
	if cockroach {
		body = fmt.Sprintf("Zitadel scaled from %d replicas to zero; the up that follows restores the backup into the database %s (RESTORE DATABASE) and starts Zitadel on it. The database %s stays.", out.Replicas, out.To, out.From)
	}
	h, err := o.repo.CommitAll(record.Message(fmt.Sprintf("orbos zitadel restore %s: %s into %s", o.name(), what, out.To), body,
		record.Trailers{record.KeyOperation: OpZitadelRestore, record.KeyHolder: o.holder(), KeyZitadelBackup: out.Backup,
			KeyZitadelRestore: strconv.Itoa(r.Generation)}))
	if err != nil {
		return err
	}
	out.RestoreCommit = h.String()
	trailers[KeyZitadelBackup] = out.Backup
	trailers[KeyZitadelRestore] = strconv.Itoa(r.Generation)
	return nil
}

// resolvePostgresRestore finds the backup of the live CloudNativePG cluster to restore (the newest
// completed one for latest) and its Barman backup ID, and names the new cluster.
func resolvePostgresRestore(ctx context.Context, c *dbbackup.Client, z *stacks.Zitadel, opts ZitadelRestoreOptions, r *stacks.Restore, out *ZitadelRestoreResult) error {
	out.From = z.Database.ClusterName(DatabaseBase)
	backups, err := c.List(ctx, z.Namespace)
	if err != nil {
		return err
	}
	if opts.From == "latest" {
		b, ok := dbbackup.Latest(backups, out.From)
		if !ok {
			return fmt.Errorf("the live database cluster %s has no completed backup yet: take one with orbctl zitadel backup", out.From)
		}
		out.Backup = b.Name
	} else {
		b, err := c.Get(ctx, z.Namespace, opts.From)
		if err != nil {
			return err
		}
		switch {
		case b.Phase != dbbackup.PhaseCompleted:
			return fmt.Errorf("the backup %s is %s, not completed: only a completed backup restores", b.Name, phaseWord(b.Phase))
		case b.Cluster != out.From:
			return fmt.Errorf("the backup %s is of the database cluster %s; the live one is %s: restore from one of its backups (orbctl zitadel backups)", b.Name, b.Cluster, out.From)
		case b.BackupID == "":
			return fmt.Errorf("the backup %s records no backup ID (status.backupId): the operator did not finish it", b.Name)
		}
		out.Backup, r.BackupID = b.Name, b.BackupID
	}
	out.To = fmt.Sprintf("%s-r%d", DatabaseBase, r.Generation)
	return nil
}

// WriteRestore writes r as orbos:zitadel.database.restore into the desired state, leaving out
// what is empty (and removing what an earlier restore set).
func WriteRestore(f *stackconfig.File, r stacks.Restore) error {
	p := stacks.KeyZitadel + ".database.restore."
	for _, kv := range [][2]string{{"generation", strconv.Itoa(r.Generation)}, {"backup", r.Backup}, {"backupID", r.BackupID}, {"toTime", r.ToTime}} {
		var err error
		if kv[1] == "" {
			err = f.Delete(p + kv[0])
		} else {
			err = f.Set(p+kv[0], kv[1], false, nil)
		}
		if err != nil {
			return fmt.Errorf("writing the restore into the desired state: %w", err)
		}
	}
	return nil
}

func phaseWord(p string) string {
	if p == "" {
		return "not started"
	}
	return p
}
