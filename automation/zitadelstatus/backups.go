package zitadelstatus

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/stacks"
)

// backup is the part of CloudNativePG's Backup (postgresql.cnpg.io/v1) the status reads.
type backup struct {
	Metadata struct {
		Name              string    `json:"name"`
		CreationTimestamp time.Time `json:"creationTimestamp"`
	} `json:"metadata"`
	Spec struct {
		Cluster struct {
			Name string `json:"name"`
		} `json:"cluster"`
	} `json:"spec"`
	Status struct {
		Phase     string     `json:"phase"`
		StartedAt *time.Time `json:"startedAt"`
		StoppedAt *time.Time `json:"stoppedAt"`
		Error     string     `json:"error"`
	} `json:"status"`
}

// CloudNativePG's phases of a Backup that ended.
const (
	phaseCompleted = "completed"
	phaseFailed    = "failed"
)

// ended is when the backup ended: stoppedAt, else (a backup that failed before it started) when it
// was made.
func (b backup) ended() time.Time {
	if b.Status.StoppedAt != nil {
		return *b.Status.StoppedAt
	}
	return b.Metadata.CreationTimestamp
}

// readCNPGBackups lists the Backups of the live cluster (scheduled and on demand alike: every
// Backup names its cluster) and keeps the newest completed one, and the newest failed one when it
// is newer.
func readCNPGBackups(ctx context.Context, get Get, z *stacks.Zitadel, cluster string, s *record.BackupsStatus, now time.Time) {
	var list struct {
		Items []backup `json:"items"`
	}
	path := fmt.Sprintf("/apis/postgresql.cnpg.io/v1/namespaces/%s/backups", url.PathEscape(z.Namespace))
	found, err := getJSON(ctx, get, path, &list)
	switch {
	case err != nil:
		s.Unknown = fmt.Sprintf("reading the Backups in %s: %v", z.Namespace, err)
		return
	case !found:
		s.Unknown = "CloudNativePG's Backup resource is not installed yet"
		return
	}
	var completed, failed []backup
	for _, b := range list.Items {
		if b.Spec.Cluster.Name != cluster {
			continue // a backup of the cluster before a restore: not of the live database
		}
		switch b.Status.Phase {
		case phaseCompleted:
			if b.Status.StoppedAt != nil {
				completed = append(completed, b)
			}
		case phaseFailed:
			failed = append(failed, b)
		}
	}
	newest := func(bs []backup) *backup {
		if len(bs) == 0 {
			return nil
		}
		// Newest first; the name breaks a tie so that the answer never depends on the list's order.
		sort.Slice(bs, func(i, j int) bool {
			if !bs[i].ended().Equal(bs[j].ended()) {
				return bs[i].ended().After(bs[j].ended())
			}
			return bs[i].Metadata.Name > bs[j].Metadata.Name
		})
		return &bs[0]
	}
	entry := func(b *backup) *record.BackupRecord {
		return &record.BackupRecord{Name: b.Metadata.Name, Finished: b.ended().UTC(), Age: Age(now.Sub(b.ended()))}
	}
	ok, bad := newest(completed), newest(failed)
	if ok != nil {
		s.LastSuccessful = entry(ok)
	}
	if bad != nil && (ok == nil || bad.ended().After(ok.ended())) {
		s.LastFailed = entry(bad)
		s.LastFailed.Error = firstLine(bad.Status.Error)
	}
}

// readCockroachBackups says what can be said without SQL: CockroachDB keeps its backups in the
// bucket and its schedule's runs in its own tables, which only `SHOW BACKUPS` and `SHOW SCHEDULES`
// read. The Job that (re)made the schedule shows the schedule is in place.
func readCockroachBackups(ctx context.Context, get Get, z *stacks.Zitadel, s *record.BackupsStatus) {
	const why = "CockroachDB records its backups in its own tables (SHOW BACKUPS reads them; orbctl reads no SQL)"
	var jobs struct {
		Items []struct {
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Status struct {
				Succeeded      int        `json:"succeeded"`
				CompletionTime *time.Time `json:"completionTime"`
			} `json:"status"`
		} `json:"items"`
	}
	path := fmt.Sprintf("/apis/batch/v1/namespaces/%s/jobs", url.PathEscape(z.Namespace))
	found, err := getJSON(ctx, get, path, &jobs)
	if err != nil {
		s.Unknown = fmt.Sprintf("%s; reading the schedule's Job: %v", why, err)
		return
	}
	prefix := BaseName + "-backup-schedule-"
	var last string
	var at time.Time
	for _, j := range jobs.Items {
		if !found || !strings.HasPrefix(j.Metadata.Name, prefix) || j.Status.Succeeded == 0 || j.Status.CompletionTime == nil {
			continue
		}
		if j.Status.CompletionTime.After(at) {
			last, at = j.Metadata.Name, *j.Status.CompletionTime
		}
	}
	if last == "" {
		s.Unknown = why + "; the Job that makes the schedule has not succeeded yet"
		return
	}
	s.Unknown = fmt.Sprintf("%s; the schedule was made by Job %s at %s", why, last, at.UTC().Format(time.RFC3339))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
