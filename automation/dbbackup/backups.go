package dbbackup

import (
	"context"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// CloudNativePG's plugin of the Barman Cloud backups, and the phases of a Backup.
const (
	BarmanPlugin   = "barman-cloud.cloudnative-pg.io"
	PhaseCompleted = "completed"
	PhaseFailed    = "failed"
	// OnDemandLabel marks the Backups orbctl takes; CloudNativePG marks those of a ScheduledBackup
	// with ScheduledLabel.
	OnDemandLabel  = "orbos.io/backup"
	ScheduledLabel = "cnpg.io/scheduled-backup"
)

// Methods of a backup: who asked for it.
const (
	Scheduled = "scheduled"
	OnDemand  = "on-demand"
)

// Backup is one backup as the cluster records it.
type Backup struct {
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	Phase   string `json:"phase"`
	// Method is scheduled or on-demand.
	Method  string     `json:"method"`
	Created time.Time  `json:"created"`
	Started *time.Time `json:"started,omitempty"`
	Stopped *time.Time `json:"stopped,omitempty"`
	// BackupID is the ID in the object store (Barman's), which a restore targets.
	BackupID string `json:"backupID,omitempty"`
	// Size in bytes when the engine records one; CloudNativePG's Backup does not (-1).
	Size  int64  `json:"size"`
	Error string `json:"error,omitempty"`
}

// Name is the name of an on-demand backup of cluster taken at now: <cluster>-<UTC yyyymmddhhmmss>.
func Name(cluster string, now time.Time) string {
	return cluster + "-" + now.UTC().Format("20060102150405")
}

// BackupObject is the CloudNativePG Backup orbctl creates: through the Barman Cloud plugin, of the
// live cluster, marked as on-demand.
func BackupObject(namespace, name, cluster string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
		"metadata": map[string]any{
			"name": name, "namespace": namespace,
			"labels": map[string]any{OnDemandLabel: OnDemand, "app.kubernetes.io/managed-by": "orbos"},
		},
		"spec": map[string]any{
			"cluster": map[string]any{"name": cluster}, "method": "plugin",
			"pluginConfiguration": map[string]any{"name": BarmanPlugin},
		},
	}}
}

// Create creates the Backup.
func (c *Client) Create(ctx context.Context, namespace, name, cluster string) error {
	_, err := c.Dynamic.Resource(BackupResource).Namespace(namespace).Create(ctx, BackupObject(namespace, name, cluster), metav1.CreateOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("creating the Backup %s/%s: the cluster does not know CloudNativePG's Backups (is the database installed? run orbctl up): %w", namespace, name, err)
	}
	if err != nil {
		return fmt.Errorf("creating the Backup %s/%s: %w", namespace, name, err)
	}
	return nil
}

// Get reads one Backup.
func (c *Client) Get(ctx context.Context, namespace, name string) (Backup, error) {
	u, err := c.Dynamic.Resource(BackupResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Backup{}, fmt.Errorf("no backup %s in %s (orbctl zitadel backups lists them)", name, namespace)
	}
	if err != nil {
		return Backup{}, fmt.Errorf("reading the Backup %s/%s: %w", namespace, name, err)
	}
	return fromObject(u), nil
}

// List lists the Backups in namespace, newest first (by start, else by creation).
func (c *Client) List(ctx context.Context, namespace string) ([]Backup, error) {
	l, err := c.Dynamic.Resource(BackupResource).Namespace(namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("listing the Backups in %s: the cluster does not know CloudNativePG's Backups (is the database installed?): %w", namespace, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the Backups in %s: %w", namespace, err)
	}
	out := make([]Backup, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, fromObject(&l.Items[i]))
	}
	Sort(out)
	return out, nil
}

// Sort orders backups newest first: by start, else by creation, then by name.
func Sort(b []Backup) {
	sort.SliceStable(b, func(i, j int) bool {
		ti, tj := b[i].When(), b[j].When()
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return b[i].Name > b[j].Name
	})
}

// When is when the backup started, or was asked for before it started.
func (b Backup) When() time.Time {
	if b.Started != nil {
		return *b.Started
	}
	return b.Created
}

// Latest is the newest completed backup of cluster.
func Latest(backups []Backup, cluster string) (Backup, bool) {
	for _, b := range backups {
		if b.Phase == PhaseCompleted && b.Cluster == cluster {
			return b, true
		}
	}
	return Backup{}, false
}

// Wait waits until the Backup has completed or failed, saying each phase it passes; a failed
// Backup is an error with the operator's reason.
func (c *Client) Wait(ctx context.Context, namespace, name string, progress func(format string, args ...any)) (Backup, error) {
	var b Backup
	phase := ""
	err := c.poll(ctx, func(ctx context.Context) (bool, error) {
		var err error
		if b, err = c.Get(ctx, namespace, name); err != nil {
			return false, err
		}
		if b.Phase != phase && b.Phase != "" && progress != nil {
			progress("backup %s: %s\n", name, b.Phase)
		}
		phase = b.Phase
		return b.Phase == PhaseCompleted || b.Phase == PhaseFailed, nil
	})
	if err != nil {
		return b, fmt.Errorf("waiting for the backup %s (phase %q): %w", name, phase, err)
	}
	if b.Phase == PhaseFailed {
		return b, &FailedError{Name: name, Reason: b.Error}
	}
	return b, nil
}

// FailedError is a backup the operator gave up on.
type FailedError struct{ Name, Reason string }

func (e *FailedError) Error() string {
	if e.Reason == "" {
		e.Reason = "the operator gave no reason: kubectl describe backup " + e.Name
	}
	return fmt.Sprintf("the backup %s failed: %s", e.Name, e.Reason)
}

func fromObject(u *unstructured.Unstructured) Backup {
	str := func(path ...string) string { s, _, _ := unstructured.NestedString(u.Object, path...); return s }
	tm := func(path ...string) *time.Time {
		t, err := time.Parse(time.RFC3339, str(path...))
		if err != nil {
			return nil
		}
		return &t
	}
	b := Backup{
		Name: u.GetName(), Cluster: str("spec", "cluster", "name"), Phase: str("status", "phase"),
		Created: u.GetCreationTimestamp().Time, Started: tm("status", "startedAt"), Stopped: tm("status", "stoppedAt"),
		BackupID: str("status", "backupId"), Error: str("status", "error"), Size: -1, Method: OnDemand,
	}
	if _, ok := u.GetLabels()[ScheduledLabel]; ok {
		b.Method = Scheduled
	}
	for _, o := range u.GetOwnerReferences() {
		if o.Kind == "ScheduledBackup" {
			b.Method = Scheduled
		}
	}
	return b
}
