package zitadelstatus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/stacks"
)

// api answers GETs from canned objects, as the API server would (TestOnTheAPIServer reads a real one).
func api(objects map[string]any) Get {
	return func(_ context.Context, path string) (int, []byte, error) {
		o, ok := objects[path]
		if !ok {
			return http.StatusNotFound, []byte(`{"kind":"Status","code":404}`), nil
		}
		if err, ok := o.(error); ok {
			return 0, nil, err
		}
		b, _ := json.Marshal(o)
		return http.StatusOK, b, nil
	}
}

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// spec is a Zitadel section with its defaults, as stacks fills them in.
func spec(engine string) *stacks.Zitadel {
	return &stacks.Zitadel{
		Enabled: true, Version: "v4.13.0", Namespace: "zitadel", Replicas: 3, ExternalDomain: "id.example.com",
		Database: stacks.Database{Engine: engine, Instances: 3, Backups: &stacks.DBBackups{
			Schedule: "0 3 * * *", Retention: "30d",
			ObjectStore: stacks.ObjectStore{Type: "s3", Bucket: "example-orb-backups", Path: "zitadel-demo",
				AccessKeyIDSecret: "backup-key-id", CredentialsSecret: "backup-secret-key"},
		}},
	}
}

func backupObject(name, cluster, phase string, stopped time.Time, errText string) map[string]any {
	st := map[string]any{"phase": phase, "startedAt": stopped.Add(-4 * time.Minute).Format(time.RFC3339)}
	if !stopped.IsZero() && phase != "running" {
		st["stoppedAt"] = stopped.Format(time.RFC3339)
	}
	if errText != "" {
		st["error"] = errText
	}
	return map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
		"metadata": map[string]any{"name": name, "namespace": "zitadel", "creationTimestamp": stopped.Add(-5 * time.Minute).Format(time.RFC3339)},
		"spec":     map[string]any{"cluster": map[string]any{"name": cluster}, "method": "plugin"},
		"status":   st,
	}
}

func deployment(generation, observed, updated, ready int) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"generation": generation},
		"spec":     map[string]any{"replicas": 3},
		"status":   map[string]any{"observedGeneration": observed, "updatedReplicas": updated, "readyReplicas": ready},
	}
}

func cnpgCluster(instances, ready int, condition string) map[string]any {
	return map[string]any{
		"spec": map[string]any{"instances": instances},
		"status": map[string]any{"instances": instances, "readyInstances": ready, "phase": "Cluster in healthy state",
			"conditions": []any{map[string]any{"type": "Ready", "status": condition, "message": "Cluster is Ready"}}},
	}
}

const (
	deploymentPath = "/apis/apps/v1/namespaces/zitadel/deployments/zitadel"
	backupsPath    = "/apis/postgresql.cnpg.io/v1/namespaces/zitadel/backups"
)

func asYAML(t *testing.T, s *record.ZitadelStatus) string {
	t.Helper()
	b, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// After a restore, the live cluster is zitadel-db-r2: its newest completed Backup is the last
// successful one (a newer Backup of the cluster before the restore is not the live database's), and
// a failed one newer than it is reported beside it; a running one is neither.
func TestPostgresStatusGolden(t *testing.T) {
	z := spec(stacks.EnginePostgres)
	z.Database.Restore = &stacks.Restore{Generation: 2, Backup: "zitadel-db-daily-20261130030000", ToTime: "2026-11-30T10:00:00Z"}
	objects := map[string]any{
		deploymentPath: deployment(4, 4, 3, 3),
		"/apis/postgresql.cnpg.io/v1/namespaces/zitadel/clusters/zitadel-db-r2": cnpgCluster(3, 3, "True"),
		backupsPath: map[string]any{"items": []any{
			backupObject("zitadel-db-r2-daily-20261201030000", "zitadel-db-r2", "completed", now.Add(-33*time.Hour), ""),
			backupObject("zitadel-db-r2-daily-20261202030000", "zitadel-db-r2", "completed", now.Add(-9*time.Hour+5*time.Minute), ""),
			backupObject("zitadel-db-daily-20261202030000", "zitadel-db", "completed", now.Add(-1*time.Hour), ""),
			backupObject("zitadel-db-r2-ondemand", "zitadel-db-r2", "failed", now.Add(-2*time.Hour), "can't upload: 403 Forbidden\nstack trace"),
			backupObject("zitadel-db-r2-running", "zitadel-db-r2", "running", now.Add(-time.Minute), ""),
		}},
	}
	s := Read(context.Background(), api(objects), z, now)
	golden.Assert(t, "postgres", asYAML(t, s))
	if s.Status != Ready || s.Database.Status != Ready {
		t.Errorf("readiness %s, database %s", s.Status, s.Database.Status)
	}
	if b := s.Backups.LastSuccessful; b == nil || b.Name != "zitadel-db-r2-daily-20261202030000" || b.Age != "8h55m" {
		t.Errorf("last successful %+v", b)
	}

	// A failure older than the last success is over: it is not reported.
	objects[backupsPath] = map[string]any{"items": []any{
		backupObject("old-failure", "zitadel-db-r2", "failed", now.Add(-40*time.Hour), "no"),
		backupObject("good", "zitadel-db-r2", "completed", now.Add(-3*time.Hour), ""),
	}}
	s = Read(context.Background(), api(objects), z, now)
	if s.Backups.LastFailed != nil || s.Backups.LastSuccessful.Name != "good" {
		t.Errorf("an old failure: %+v", s.Backups)
	}
	// No successful backup yet: the failure is reported alone.
	objects[backupsPath] = map[string]any{"items": []any{backupObject("first", "zitadel-db-r2", "failed", now.Add(-time.Hour), "")}}
	s = Read(context.Background(), api(objects), z, now)
	if s.Backups.LastSuccessful != nil || s.Backups.LastFailed == nil || s.Backups.LastFailed.Name != "first" {
		t.Errorf("only a failure: %+v", s.Backups)
	}
}

// What is not ready says what it waits for; a cluster that cannot be read is unknown, with why.
func TestNotReadyAndUnreadable(t *testing.T) {
	z := spec(stacks.EnginePostgres)
	objects := map[string]any{
		deploymentPath: deployment(2, 2, 3, 1),
		"/apis/postgresql.cnpg.io/v1/namespaces/zitadel/clusters/zitadel-db": cnpgCluster(3, 2, "False"),
	}
	s := Read(context.Background(), api(objects), z, now)
	if s.Status != Progressing || s.Detail != "1 of 3 replicas updated and ready" || s.Replicas != (record.Replicas{Wanted: 3, Ready: 1}) {
		t.Errorf("zitadel %s %q %+v", s.Status, s.Detail, s.Replicas)
	}
	if s.Database.Status != Progressing || !strings.HasPrefix(s.Database.Detail, "2 of 3 instances ready") {
		t.Errorf("database %s %q", s.Database.Status, s.Database.Detail)
	}
	if !strings.Contains(s.Backups.Unknown, "Backup resource is not installed") || s.Backups.LastSuccessful != nil {
		t.Errorf("backups without the CRD: %+v", s.Backups)
	}
	objects[deploymentPath] = deployment(3, 2, 3, 3)
	if s := Read(context.Background(), api(objects), z, now); s.Status != Progressing || !strings.Contains(s.Detail, "not seen the latest change") {
		t.Errorf("a change not yet seen: %s %q", s.Status, s.Detail)
	}

	down := errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")
	s = Read(context.Background(), func(context.Context, string) (int, []byte, error) { return 0, nil, down }, z, now)
	golden.Assert(t, "unreachable", asYAML(t, s))
	if s.Status != Unknown || s.Database.Status != Unknown || !strings.Contains(s.Backups.Unknown, "connection refused") {
		t.Errorf("unreachable: %+v", s)
	}
}

// CockroachDB: readiness from the chart's StatefulSet; its backups are not readable without SQL,
// which the status says, with the Job that made the schedule.
func TestCockroachDBStatusGolden(t *testing.T) {
	z := spec(stacks.EngineCockroachDB)
	z.Version = "v2.71.0"
	completed := now.Add(-48 * time.Hour).Format(time.RFC3339)
	objects := map[string]any{
		deploymentPath: deployment(1, 1, 3, 3),
		"/apis/apps/v1/namespaces/zitadel/statefulsets/zitadel-db-cockroachdb": map[string]any{
			"metadata": map[string]any{"generation": 1}, "spec": map[string]any{"replicas": 3},
			"status": map[string]any{"observedGeneration": 1, "updatedReplicas": 3, "readyReplicas": 3},
		},
		"/apis/batch/v1/namespaces/zitadel/jobs": map[string]any{"items": []any{
			map[string]any{"metadata": map[string]any{"name": "zitadel-db-backup-schedule-0a1b2c3d"}, "status": map[string]any{"succeeded": 1, "completionTime": completed}},
			map[string]any{"metadata": map[string]any{"name": "zitadel-db-backup-schedule-ffffffff"}, "status": map[string]any{"failed": 2}},
			map[string]any{"metadata": map[string]any{"name": "other"}, "status": map[string]any{"succeeded": 1, "completionTime": now.Format(time.RFC3339)}},
		}},
	}
	s := Read(context.Background(), api(objects), z, now)
	golden.Assert(t, "cockroachdb", asYAML(t, s))
	if s.Database.Status != Ready || !strings.Contains(s.Backups.Unknown, "zitadel-db-backup-schedule-0a1b2c3d") {
		t.Errorf("cockroachdb %+v %+v", s.Database, s.Backups)
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0m", 59 * time.Second: "0m", 45 * time.Minute: "45m", 3*time.Hour + 5*time.Minute: "3h5m", 2 * time.Hour: "2h",
		50 * time.Hour: "2d2h", 72*time.Hour + 3*time.Minute: "3d", -time.Hour: "0m",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%s) = %s, want %s", d, got, want)
		}
	}
}
