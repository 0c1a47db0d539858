package dbbackup

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/stacks"
)

// showBackupsScript lists the collection's backups as CSV: SHOW BACKUPS IN reads only the
// collection's directory names, so it needs the URI (by reference, quoted inside the container)
// and no passphrase.
const showBackupsScript = `exec cockroach sql --certs-dir=/tmp/certs --host=%s --format=csv --execute="SHOW BACKUPS IN $(q "$BACKUP_URI")"
`

// ListJob is a Job that prints the collection's backups (SHOW BACKUPS IN the schedule's
// destination) into its log, which ListCockroach reads through the API.
func (c CockroachJob) ListJob() *batchv1.Job {
	j := c.job("")
	ctr := &j.Spec.Template.Spec.Containers[0]
	ctr.Name = "backups"
	ctr.Command[2] = database.CockroachClientPrelude + fmt.Sprintf(showBackupsScript, c.Release+"-cockroachdb-public")
	ctr.Env = ctr.Env[:1]
	// ListCockroach deletes it once read; the TTL removes one it could not.
	ttl := int32(3600)
	j.Spec.TTLSecondsAfterFinished = &ttl
	j.Labels[OnDemandLabel] = "list"
	return j
}

// ListCockroach runs the list Job, reads its pod's log and returns the backups newest first; the
// Job is deleted afterwards. A Job that failed is a *FailedError.
func (c *Client) ListCockroach(ctx context.Context, job CockroachJob) ([]Backup, error) {
	j := job.ListJob()
	if _, err := c.RunJob(ctx, j, nil); err != nil {
		return nil, fmt.Errorf("listing CockroachDB's backups: %w", err)
	}
	defer func() {
		bg := metav1.DeletePropagationBackground
		_ = c.Kube.BatchV1().Jobs(j.Namespace).Delete(context.WithoutCancel(ctx), j.Name, metav1.DeleteOptions{PropagationPolicy: &bg})
	}()
	pods, err := c.Kube.CoreV1().Pods(j.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + j.Name})
	if err != nil {
		return nil, fmt.Errorf("finding the pod of the Job %s/%s: %w", j.Namespace, j.Name, err)
	}
	for _, p := range pods.Items {
		if p.Status.Phase != corev1.PodSucceeded {
			continue
		}
		raw, err := c.Kube.CoreV1().Pods(j.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: "backups"}).DoRaw(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the log of %s/%s: %w", j.Namespace, p.Name, err)
		}
		return ParseShowBackups(raw, job.Release)
	}
	return nil, fmt.Errorf("the Job %s/%s completed but no pod of it succeeded (its log lists the backups)", j.Namespace, j.Name)
}

// ParseShowBackups reads the CSV of SHOW BACKUPS IN (a header "path", then one subdirectory per
// row, like /2026/12/01-030000.00) into backups of cluster, newest first. A backup's name is its
// subdirectory without the leading slash, as a restore names it; it started at the time the
// subdirectory is named for (UTC). CockroachDB's listing has no size and does not say who took it.
func ParseShowBackups(raw []byte, cluster string) ([]Backup, error) {
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	var out []Backup
	header := true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading SHOW BACKUPS' output: %w", err)
		}
		if header {
			if len(rec) == 0 || rec[0] != "path" {
				return nil, fmt.Errorf("SHOW BACKUPS' output starts with %q, not the column path", strings.Join(rec, ","))
			}
			header = false
			continue
		}
		name := strings.TrimPrefix(strings.TrimSpace(rec[0]), "/")
		if !stacks.CockroachBackup(name) {
			return nil, fmt.Errorf("SHOW BACKUPS listed %q, which is no backup's subdirectory like /2026/12/01-030000.00", rec[0])
		}
		b := Backup{Name: name, Cluster: cluster, Phase: PhaseCompleted, Size: -1}
		if t, err := time.Parse("2006/01/02-150405.00", name); err == nil {
			b.Started, b.Created = &t, t
		}
		out = append(out, b)
	}
	if header {
		return nil, errors.New("SHOW BACKUPS printed nothing")
	}
	Sort(out)
	return out, nil
}
