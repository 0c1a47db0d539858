package dbbackup

import (
	"context"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/orbos/orbos/components/database"
)

// CockroachJob is what a Job that runs SQL on CockroachDB needs: the database's objects as
// components/database names them.
type CockroachJob struct {
	Namespace, Name string
	// Release is the database's release (zitadel-db): the root client certificate is the Secret
	// <release>-root, the backup destination and passphrase the Secret <release>-backup-target,
	// the service <release>-cockroachdb-public.
	Release string
	// Image is the cockroach client's image.
	Image string
}

// TargetSecret is the Secret components/database writes for CockroachDB's backups: the
// destination URI with its credentials (key uri) and the passphrase (key passphrase, empty when
// the backups are not encrypted). Neither ever appears in a Job's spec.
func TargetSecret(release string) string { return database.BackupTargetSecret(release) }

// RunJob creates the Job and waits until it completed or failed; a failed Job is a *FailedError.
func (c *Client) RunJob(ctx context.Context, job *batchv1.Job, progress func(format string, args ...any)) (Backup, error) {
	jobs := c.Kube.BatchV1().Jobs(job.Namespace)
	if _, err := jobs.Create(ctx, job, metav1.CreateOptions{}); err != nil {
		return Backup{}, fmt.Errorf("creating the Job %s/%s: %w", job.Namespace, job.Name, err)
	}
	b := Backup{Name: job.Name, Method: OnDemand, Size: -1, Created: time.Now().UTC()}
	err := c.poll(ctx, func(ctx context.Context) (bool, error) {
		j, err := jobs.Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading the Job %s/%s: %w", job.Namespace, job.Name, err)
		}
		for _, cond := range j.Status.Conditions {
			if cond.Status != corev1.ConditionTrue {
				continue
			}
			switch cond.Type {
			case batchv1.JobComplete:
				b.Phase = PhaseCompleted
			case batchv1.JobFailed:
				b.Phase, b.Error = PhaseFailed, cond.Message
			}
		}
		if j.Status.StartTime != nil {
			t := j.Status.StartTime.Time
			b.Started = &t
		}
		if j.Status.CompletionTime != nil {
			t := j.Status.CompletionTime.Time
			b.Stopped = &t
		}
		return b.Phase != "", nil
	})
	if err != nil {
		return b, fmt.Errorf("waiting for the backup Job %s: %w", job.Name, err)
	}
	if progress != nil {
		progress("backup %s: %s\n", job.Name, b.Phase)
	}
	if b.Phase == PhaseFailed {
		return b, &FailedError{Name: job.Name, Reason: b.Error + " (kubectl -n " + job.Namespace + " logs job/" + job.Name + ")"}
	}
	return b, nil
}

// cockroachScript runs SQL_PREFIX with the URI and passphrase quoted as SQL strings inside the
// container (database.CockroachClientPrelude): they come from the environment, never from the
// Job's spec.
const cockroachScript = `sql="%s $(q "$BACKUP_URI")"
if [ -n "${BACKUP_PASSPHRASE:-}" ]; then sql="$sql WITH encryption_passphrase = $(q "$BACKUP_PASSPHRASE")"; fi
exec cockroach sql --certs-dir=/tmp/certs --host=%s --execute="$sql"
`

// BackupJob is a Job that takes a full backup of the cluster into the destination now, with the
// root client certificate, the URI and passphrase from their Secrets.
func (c CockroachJob) BackupJob() *batchv1.Job {
	return c.job("BACKUP INTO")
}

func (c CockroachJob) job(statement string) *batchv1.Job {
	host := c.Release + "-cockroachdb-public"
	backoff, ttl := int32(2), int32(7*24*3600)
	env := func(name, key string, optional bool) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: TargetSecret(c.Release)}, Key: key, Optional: &optional}}}
	}
	mode := int32(0o400)
	return &batchv1.Job{
		TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace,
			Labels: map[string]string{OnDemandLabel: OnDemand, "app.kubernetes.io/managed-by": "orbos"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: &backoff, TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{
					Name: "backup", Image: c.Image,
					Command:      []string{"sh", "-c", database.CockroachClientPrelude + fmt.Sprintf(cockroachScript, statement, host)},
					Env:          []corev1.EnvVar{env("BACKUP_URI", "uri", false), env("BACKUP_PASSPHRASE", "passphrase", true)},
					VolumeMounts: []corev1.VolumeMount{{Name: "root-tls", MountPath: "/root-tls", ReadOnly: true}},
				}},
				Volumes: []corev1.Volume{{Name: "root-tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
					SecretName: c.Release + "-root", DefaultMode: &mode}}}},
			}},
		},
	}
}
