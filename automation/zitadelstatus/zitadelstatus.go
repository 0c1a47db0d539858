// Package zitadelstatus reads Zitadel, its database and its backups back from the cluster for the
// status: the Deployment's ready replicas, the database cluster's readiness (CloudNativePG's
// Cluster, or CockroachDB's StatefulSet), and the newest successful and failed backups that
// CloudNativePG recorded as Backup objects. It reads through GETs only, so it is tested against
// canned API responses and against a real kube-apiserver alike.
package zitadelstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/toolstatus"
	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/internal/cronperiod"
	"github.com/orbos/orbos/stacks"
)

// Get reads an API path of the cluster: status code and body.
type Get = toolstatus.Get

// BaseName is the database cluster's name before any restore (components/zitadel names it).
const BaseName = "zitadel-db"

// DeploymentName is Zitadel's Deployment: the chart's full name for the release zitadel.
const DeploymentName = "zitadel"

// Statuses of Zitadel and its database.
const (
	Ready       = "ready"
	Progressing = "progressing"
	Unknown     = "unknown"
)

// Read reads the status of the Zitadel z (with its defaults) at now. It never fails: what cannot
// be read is "unknown", with why.
func Read(ctx context.Context, get Get, z *stacks.Zitadel, now time.Time) *record.ZitadelStatus {
	d := z.Database
	s := &record.ZitadelStatus{
		Version: z.Version, ExternalURL: "https://" + z.ExternalDomain, Namespace: z.Namespace,
		Replicas: record.Replicas{Wanted: z.Replicas},
		Database: record.DatabaseStatus{Engine: d.Engine, Cluster: d.ClusterName(BaseName)},
	}
	if r := d.Restore; r != nil {
		s.RestoredFrom = &record.RestoredFrom{Generation: r.Generation, Backup: r.Backup, ToTime: r.ToTime}
	}
	readZitadel(ctx, get, z, s)
	switch d.Engine {
	case stacks.EngineCockroachDB:
		readCockroachDB(ctx, get, z, s)
	default:
		readCNPGCluster(ctx, get, z, s)
	}
	if b := d.Backups; b != nil {
		s.Backups = &record.BackupsStatus{Schedule: b.Schedule, Destination: database.DestinationPath(b.ObjectStore), Checked: now.UTC()}
		if p, err := cronperiod.Period(b.Schedule); err == nil {
			s.Backups.Period = Age(p)
		}
		switch d.Engine {
		case stacks.EngineCockroachDB:
			readCockroachBackups(ctx, get, z, s.Backups)
		default:
			readCNPGBackups(ctx, get, z, s.Database.Cluster, s.Backups, now)
		}
	}
	return s
}

// readZitadel reads the Deployment's rollout: ready when every wanted replica runs the current
// generation and is ready.
func readZitadel(ctx context.Context, get Get, z *stacks.Zitadel, s *record.ZitadelStatus) {
	var dep struct {
		Metadata struct {
			Generation int64 `json:"generation"`
		} `json:"metadata"`
		Status struct {
			ObservedGeneration int64 `json:"observedGeneration"`
			UpdatedReplicas    int   `json:"updatedReplicas"`
			ReadyReplicas      int   `json:"readyReplicas"`
		} `json:"status"`
	}
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", url.PathEscape(z.Namespace), DeploymentName)
	found, err := getJSON(ctx, get, path, &dep)
	switch {
	case err != nil:
		s.Status, s.Detail = Unknown, fmt.Sprintf("reading Deployment %s/%s: %v", z.Namespace, DeploymentName, err)
		return
	case !found:
		s.Status, s.Detail = Progressing, fmt.Sprintf("no Deployment %s/%s yet", z.Namespace, DeploymentName)
		return
	}
	s.Replicas.Ready = dep.Status.ReadyReplicas
	switch {
	case dep.Status.ObservedGeneration < dep.Metadata.Generation:
		s.Status, s.Detail = Progressing, "its controller has not seen the latest change"
	case dep.Status.UpdatedReplicas < z.Replicas || dep.Status.ReadyReplicas < z.Replicas:
		s.Status, s.Detail = Progressing, fmt.Sprintf("%d of %d replicas updated and ready", min(dep.Status.UpdatedReplicas, dep.Status.ReadyReplicas), z.Replicas)
	default:
		s.Status = Ready
	}
}

// readCNPGCluster reads CloudNativePG's Cluster: ready when its Ready condition is True and every
// instance is ready.
func readCNPGCluster(ctx context.Context, get Get, z *stacks.Zitadel, s *record.ZitadelStatus) {
	db := &s.Database
	var c struct {
		Spec struct {
			Instances int `json:"instances"`
		} `json:"spec"`
		Status struct {
			Instances      int         `json:"instances"`
			ReadyInstances int         `json:"readyInstances"`
			Phase          string      `json:"phase"`
			Conditions     []condition `json:"conditions"`
		} `json:"status"`
	}
	path := fmt.Sprintf("/apis/postgresql.cnpg.io/v1/namespaces/%s/clusters/%s", url.PathEscape(z.Namespace), url.PathEscape(db.Cluster))
	db.Instances.Wanted = z.Database.Instances
	found, err := getJSON(ctx, get, path, &c)
	switch {
	case err != nil:
		db.Status, db.Detail = Unknown, fmt.Sprintf("reading Cluster %s/%s: %v", z.Namespace, db.Cluster, err)
		return
	case !found:
		db.Status, db.Detail = Progressing, fmt.Sprintf("no Cluster %s/%s yet", z.Namespace, db.Cluster)
		return
	}
	if c.Spec.Instances > 0 {
		db.Instances.Wanted = c.Spec.Instances
	}
	db.Instances.Ready = c.Status.ReadyInstances
	ready := conditionOf(c.Status.Conditions, "Ready")
	switch {
	case ready.Status == "True" && db.Instances.Ready >= db.Instances.Wanted:
		db.Status = Ready
	default:
		db.Status = Progressing
		db.Detail = fmt.Sprintf("%d of %d instances ready", db.Instances.Ready, db.Instances.Wanted)
		if c.Status.Phase != "" {
			db.Detail += "; " + c.Status.Phase
		}
		if ready.Message != "" {
			db.Detail += ": " + ready.Message
		}
	}
}

// readCockroachDB reads the chart's StatefulSet: ready when rolled out (kubectl rollout status).
func readCockroachDB(ctx context.Context, get Get, z *stacks.Zitadel, s *record.ZitadelStatus) {
	db := &s.Database
	name := db.Cluster + "-cockroachdb"
	var sts struct {
		Metadata struct {
			Generation int64 `json:"generation"`
		} `json:"metadata"`
		Spec struct {
			Replicas *int `json:"replicas"`
		} `json:"spec"`
		Status struct {
			ObservedGeneration int64 `json:"observedGeneration"`
			UpdatedReplicas    int   `json:"updatedReplicas"`
			ReadyReplicas      int   `json:"readyReplicas"`
		} `json:"status"`
	}
	db.Instances.Wanted = z.Database.Instances
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/statefulsets/%s", url.PathEscape(z.Namespace), url.PathEscape(name))
	found, err := getJSON(ctx, get, path, &sts)
	switch {
	case err != nil:
		db.Status, db.Detail = Unknown, fmt.Sprintf("reading StatefulSet %s/%s: %v", z.Namespace, name, err)
		return
	case !found:
		db.Status, db.Detail = Progressing, fmt.Sprintf("no StatefulSet %s/%s yet", z.Namespace, name)
		return
	}
	if sts.Spec.Replicas != nil {
		db.Instances.Wanted = *sts.Spec.Replicas
	}
	db.Instances.Ready = sts.Status.ReadyReplicas
	switch {
	case sts.Status.ObservedGeneration < sts.Metadata.Generation:
		db.Status, db.Detail = Progressing, "its controller has not seen the latest change"
	case sts.Status.UpdatedReplicas < db.Instances.Wanted || sts.Status.ReadyReplicas < db.Instances.Wanted:
		db.Status, db.Detail = Progressing, fmt.Sprintf("%d of %d instances updated and ready", min(sts.Status.UpdatedReplicas, sts.Status.ReadyReplicas), db.Instances.Wanted)
	default:
		db.Status = Ready
	}
}

type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

func conditionOf(cs []condition, typ string) condition {
	for _, c := range cs {
		if c.Type == typ {
			return c
		}
	}
	return condition{}
}

// getJSON GETs path into v; false when it is not there (404).
func getJSON(ctx context.Context, get Get, path string, v any) (bool, error) {
	code, body, err := get(ctx, path)
	if err != nil {
		return false, err
	}
	switch code {
	case http.StatusOK:
	case http.StatusNotFound:
		return false, nil
	default:
		return false, fmt.Errorf("HTTP %d", code)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", path, err)
	}
	return true, nil
}

// Age says how long d is, to the minute: 45m, 3h5m, 2d4h (days drop the minutes).
func Age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%dh%dm", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%dh", hours)
	}
	return fmt.Sprintf("%dm", mins)
}
