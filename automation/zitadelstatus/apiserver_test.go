package zitadelstatus

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/test/testenv"
)

// crdDir holds the trimmed CRDs of CloudNativePG that the kube-apiserver tier installs.
const crdDir = "../../test/e2e/testdata/charts/cloudnative-pg/crds"

// kube is the test's client of the real kube-apiserver.
type kube struct {
	t *testing.T
	a *testenv.APIServer
}

func (k kube) do(method, path string, obj any) []byte {
	k.t.Helper()
	body, err := json.Marshal(obj)
	if err != nil {
		k.t.Fatal(err)
	}
	code, out, err := k.a.Do(context.Background(), method, path, body)
	if err != nil || code >= 300 {
		k.t.Fatalf("%s %s: %d %s %v", method, path, code, out, err)
	}
	return out
}

// create makes an object, then sets its status through the status subresource, as a controller
// would (no operator runs here).
func (k kube) create(collection string, obj map[string]any) {
	k.t.Helper()
	status, hasStatus := obj["status"]
	delete(obj, "status")
	k.do(http.MethodPost, collection, obj)
	if hasStatus {
		name := obj["metadata"].(map[string]any)["name"].(string)
		k.do(http.MethodPatch, collection+"/"+name+"/status", map[string]any{"status": status})
	}
}

func (k kube) installCRDs() {
	k.t.Helper()
	for _, name := range []string{"clusters.yaml", "backups.yaml"} {
		raw, err := os.ReadFile(filepath.Join(crdDir, name))
		if err != nil {
			k.t.Fatalf("the trimmed CRDs of the kube-apiserver tier: %v", err)
		}
		var crd map[string]any
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			k.t.Fatal(err)
		}
		k.do(http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
	}
	// Served once established.
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range []string{"/apis/postgresql.cnpg.io/v1/clusters", "/apis/postgresql.cnpg.io/v1/backups"} {
		for {
			code, _, err := k.a.Get(context.Background(), p)
			if err == nil && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				k.t.Fatalf("%s is not served: %d %v", p, code, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// On a real kube-apiserver with CloudNativePG's (trimmed) CRDs: Backups made by the test, of the
// live cluster and of the one before a restore, in every phase; the status reads the newest
// completed Backup of the live cluster, the failed one after it, and the Cluster's and
// Deployment's readiness. Secrets in the namespace, filled with known values, never reach it.
func TestOnTheAPIServer(t *testing.T) {
	a := testenv.StartAPIServerForTest(t)
	k := kube{t, a}
	z := spec(stacks.EnginePostgres)
	z.Replicas = 2
	z.Database.Restore = &stacks.Restore{Generation: 1, Backup: "latest"}
	live := z.Database.ClusterName(BaseName)

	// Before the operator's CRDs and the database exist, the status says what is missing.
	s := Read(context.Background(), a.Get, z, time.Now())
	if s.Database.Status != Progressing || !strings.Contains(s.Database.Detail, "no Cluster zitadel/zitadel-db-r1") || s.Status != Progressing ||
		!strings.Contains(s.Backups.Unknown, "not installed") {
		t.Errorf("before the database: %+v %+v %+v", s, s.Database, s.Backups)
	}
	k.installCRDs()
	k.do(http.MethodPost, "/api/v1/namespaces", map[string]any{"metadata": map[string]any{"name": "zitadel"}})

	secrets := map[string]string{
		"ACCESS_KEY_ID": "AKIAKNOWNKEYID000001", "ACCESS_SECRET_KEY": "known-secret-access-key-7f3a9c",
		"masterkey": "KnownMasterkey0123456789abcdefgh", "password": "known-db-password-e51b",
	}
	for name, keys := range map[string][]string{
		"zitadel-db-backup-credentials": {"ACCESS_KEY_ID", "ACCESS_SECRET_KEY"}, "zitadel-masterkey": {"masterkey"}, "zitadel-db-r1-owner": {"password"},
	} {
		data := map[string]string{}
		for _, key := range keys {
			data[key] = secrets[key]
		}
		k.create("/api/v1/namespaces/zitadel/secrets", map[string]any{"metadata": map[string]any{"name": name}, "stringData": data})
	}

	k.create("/apis/postgresql.cnpg.io/v1/namespaces/zitadel/clusters", map[string]any{
		"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
		"metadata": map[string]any{"name": live},
		"spec":     map[string]any{"instances": 3, "storage": map[string]any{"size": "1Gi"}},
		"status": map[string]any{"instances": 3, "readyInstances": 3, "phase": "Cluster in healthy state",
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady", "message": "Cluster is Ready", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}},
	})
	k.create("/apis/apps/v1/namespaces/zitadel/deployments", map[string]any{
		"metadata": map[string]any{"name": "zitadel"},
		"spec": map[string]any{"replicas": 2, "selector": map[string]any{"matchLabels": map[string]any{"app": "zitadel"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "zitadel"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "zitadel", "image": "ghcr.io/zitadel/zitadel:v4.13.0"}}}}},
		"status": map[string]any{"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2},
	})

	now := time.Now().UTC().Truncate(time.Second)
	for _, b := range []struct {
		name, cluster, phase string
		ago                  time.Duration
	}{
		{"zitadel-db-r1-daily-1", live, "completed", 30 * time.Hour},
		{"zitadel-db-r1-daily-2", live, "completed", 6 * time.Hour},
		{"zitadel-db-r1-ondemand", live, "failed", 3 * time.Hour},
		{"zitadel-db-daily-9", "zitadel-db", "completed", time.Hour},
		{"zitadel-db-r1-running", live, "running", 0},
	} {
		obj := backupObject(b.name, b.cluster, b.phase, now.Add(-b.ago), "")
		if b.phase == "failed" {
			obj["status"].(map[string]any)["error"] = "can't upload to the bucket"
		}
		k.create("/apis/postgresql.cnpg.io/v1/namespaces/zitadel/backups", obj)
	}

	s = Read(context.Background(), a.Get, z, now)
	if s.Status != Ready || s.Replicas.Ready != 2 || s.Database.Status != Ready || s.Database.Instances.Ready != 3 || s.Database.Cluster != live {
		t.Errorf("readiness: %+v %+v", s, s.Database)
	}
	b := s.Backups
	if b.Unknown != "" || b.LastSuccessful == nil || b.LastSuccessful.Name != "zitadel-db-r1-daily-2" || !b.LastSuccessful.Finished.Equal(now.Add(-6*time.Hour)) || b.LastSuccessful.Age != "6h" {
		t.Errorf("last successful: %+v (%s)", b.LastSuccessful, b.Unknown)
	}
	if b.LastFailed == nil || b.LastFailed.Name != "zitadel-db-r1-ondemand" || b.LastFailed.Error != "can't upload to the bucket" {
		t.Errorf("last failed: %+v", b.LastFailed)
	}
	out, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for key, value := range secrets {
		if strings.Contains(string(out), value) {
			t.Errorf("the status holds %s:\n%s", key, out)
		}
	}
}
