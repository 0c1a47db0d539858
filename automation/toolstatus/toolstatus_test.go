package toolstatus

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// api answers GETs from canned objects, as the API server would (the e2e tests read a real one).
func api(objects map[string]any) Get {
	return func(_ context.Context, path string) (int, []byte, error) {
		o, ok := objects[path]
		if !ok {
			return http.StatusNotFound, []byte(`{}`), nil
		}
		if err, ok := o.(error); ok {
			return 0, nil, err
		}
		b, _ := json.Marshal(o)
		return http.StatusOK, b, nil
	}
}

func deployment(generation, observed, replicas, updated, available int) map[string]any {
	return map[string]any{
		"metadata": map[string]any{"generation": generation},
		"spec":     map[string]any{"replicas": replicas},
		"status":   map[string]any{"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated, "availableReplicas": available},
	}
}

// releaseSecret is a Helm 3 release Secret as the API returns it.
func releaseSecret(name string, revision, status, manifest string) map[string]any {
	rec, _ := json.Marshal(map[string]any{"name": name, "manifest": manifest})
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(rec)
	_ = w.Close()
	helm := base64.StdEncoding.EncodeToString(gz.Bytes())
	return map[string]any{
		"metadata": map[string]any{"name": "sh.helm.release.v1." + name + ".v" + revision, "labels": map[string]any{"owner": "helm", "name": name, "status": status, "version": revision}},
		"data":     map[string]any{"release": base64.StdEncoding.EncodeToString([]byte(helm))},
	}
}

const secretsOfGateway = "/api/v1/namespaces/gw/secrets?labelSelector=owner%3Dhelm%2Cname%3Dgateway"

func TestReadiness(t *testing.T) {
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: envoy-gateway}\n"
	objects := map[string]any{
		"/apis/apps/v1/namespaces/mon/deployments/op":           deployment(2, 2, 1, 1, 1),
		"/apis/apps/v1/namespaces/mon/statefulsets/prom":        map[string]any{"metadata": map[string]any{"generation": 1}, "spec": map[string]any{"replicas": 2}, "status": map[string]any{"observedGeneration": 1, "updatedReplicas": 2, "readyReplicas": 1}},
		"/apis/apps/v1/namespaces/mon/daemonsets/node":          map[string]any{"metadata": map[string]any{"generation": 1}, "status": map[string]any{"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 3}},
		"/apis/apps/v1/namespaces/mon/deployments/stale":        deployment(3, 2, 1, 1, 1),
		"/apis/apps/v1/namespaces/gw/deployments/envoy-gateway": deployment(1, 1, 1, 1, 1),
		secretsOfGateway: map[string]any{"items": []any{
			releaseSecret("gateway", "2", "deployed", manifest),
			releaseSecret("gateway", "1", "superseded", ""),
		}},
		"/api/v1/namespaces/broken/secrets?labelSelector=owner%3Dhelm%2Cname%3Dgateway": errors.New("connection refused"),
	}
	tools := []Tool{
		{Name: "metrics", Chart: "kps", Version: "1", Namespace: "mon", Workloads: []Ref{{"Deployment", "mon", "op"}, {"DaemonSet", "mon", "node"}}},
		{Name: "slow", Namespace: "mon", Workloads: []Ref{{"StatefulSet", "mon", "prom"}, {"Deployment", "mon", "stale"}, {"Deployment", "mon", "gone"}}},
		{Name: "gateway", Namespace: "gw", Release: true},
		{Name: "gateway", Namespace: "nowhere", Release: true},
		{Name: "gateway", Namespace: "broken", Release: true},
	}
	got := Read(context.Background(), api(objects), tools)
	want := []struct {
		status, release  string
		workloads, ready int
		detail           string
	}{
		{"ready", "", 2, 2, ""},
		{"progressing", "", 3, 0, "StatefulSet mon/prom: 1 of 2 replicas updated and ready; Deployment mon/stale: its controller has not seen the latest change; Deployment mon/gone: missing"},
		{"ready", "deployed", 1, 1, ""},
		{"failed", "", 0, 0, "no Helm release gateway in nowhere"},
		{"unknown", "", 0, 0, "connection refused"},
	}
	for i, w := range want {
		g := got[i]
		if g.Status != w.status || g.Release != w.release || g.Workloads != w.workloads || g.Ready != w.ready || !strings.Contains(g.Detail, w.detail) {
			t.Errorf("tool %d: %+v, want %+v", i, g, w)
		}
	}
	if got[0].Chart != "kps" || got[0].Version != "1" || got[0].Namespace != "mon" {
		t.Errorf("chart and version: %+v", got[0])
	}
	for status, want := range map[string]string{"pending-install": "progressing", "failed": "failed"} {
		objects[secretsOfGateway] = map[string]any{"items": []any{releaseSecret("gateway", "1", status, manifest)}}
		if s := Read(context.Background(), api(objects), tools[2:3])[0]; s.Status != want || s.Release != status {
			t.Errorf("a release %s: %+v", status, s)
		}
	}
	revs, err := ReleaseSecrets(context.Background(), api(map[string]any{secretsOfGateway: map[string]any{"items": []any{
		releaseSecret("gateway", "10", "pending-upgrade", ""), releaseSecret("gateway", "9", "deployed", "")}}}), "gw", "gateway")
	if err != nil || len(revs) != 2 || revs[1].Revision != 10 || revs[1].Status != "pending-upgrade" || revs[1].Name != "sh.helm.release.v1.gateway.v10" {
		t.Errorf("revisions %+v %v", revs, err)
	}
}

// A chart's workloads are those of orbos's state under the tool's component, at any depth.
func TestWorkloadsFromState(t *testing.T) {
	urn := func(typ, name string) resource.URN {
		return resource.URN("urn:pulumi:orb::orbos::" + typ + "::" + name)
	}
	tool, other := urn("orbos:boom:Tool", "metrics"), urn("orbos:boom:Tool", "logs")
	chart := urn("orbos:boom:Tool$kubernetes:helm.sh/v4:Chart", "metrics")
	cp := &apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		{URN: tool, Type: "orbos:boom:Tool"},
		{URN: other, Type: "orbos:boom:Tool"},
		{URN: chart, Type: "kubernetes:helm.sh/v4:Chart", Parent: tool},
		{URN: urn("x$kubernetes:apps/v1:StatefulSet", "p"), Type: "kubernetes:apps/v1:StatefulSet", Parent: chart, ID: "monitoring/prometheus"},
		{URN: urn("x$kubernetes:apps/v1:Deployment", "o"), Type: "kubernetes:apps/v1:Deployment", Parent: chart, ID: "monitoring/operator"},
		{URN: urn("x$kubernetes:core/v1:ConfigMap", "c"), Type: "kubernetes:core/v1:ConfigMap", Parent: chart, ID: "monitoring/c"},
		{URN: urn("x$kubernetes:apps/v1:Deployment", "l"), Type: "kubernetes:apps/v1:Deployment", Parent: other, ID: "logging/loki"},
	}}
	got := FromState(cp, "metrics")
	if len(got) != 2 || got[0].String() != "Deployment monitoring/operator" || got[1].String() != "StatefulSet monitoring/prometheus" {
		t.Errorf("workloads %v", got)
	}
	if FromState(cp, "absent") != nil || FromState(nil, "metrics") != nil {
		t.Error("workloads of a tool not in the state")
	}
}

// A pending newest revision is deleted, whatever came before it; a settled release is left alone.
func TestRecoverPending(t *testing.T) {
	for _, tc := range []struct {
		revisions []map[string]any
		deleted   string
	}{
		{[]map[string]any{releaseSecret("gateway", "1", "pending-install", "")}, "sh.helm.release.v1.gateway.v1"},
		{[]map[string]any{releaseSecret("gateway", "1", "deployed", ""), releaseSecret("gateway", "2", "pending-upgrade", "")}, "sh.helm.release.v1.gateway.v2"},
		{[]map[string]any{releaseSecret("gateway", "3", "pending-rollback", ""), releaseSecret("gateway", "2", "failed", "")}, "sh.helm.release.v1.gateway.v3"},
		{[]map[string]any{releaseSecret("gateway", "1", "deployed", "")}, ""},
		{[]map[string]any{releaseSecret("gateway", "2", "failed", ""), releaseSecret("gateway", "1", "pending-install", "")}, ""},
		{nil, ""},
	} {
		var items []any
		for _, r := range tc.revisions {
			items = append(items, r)
		}
		var deleted []string
		del := func(_ context.Context, path string) (int, []byte, error) {
			deleted = append(deleted, path)
			return http.StatusOK, nil, nil
		}
		did, err := RecoverPending(context.Background(), api(map[string]any{secretsOfGateway: map[string]any{"items": items}}), del, "gw", "gateway")
		if err != nil {
			t.Fatal(err)
		}
		if tc.deleted == "" {
			if len(deleted) > 0 || did != "" {
				t.Errorf("%v: deleted %v (%s)", tc.revisions, deleted, did)
			}
			continue
		}
		if len(deleted) != 1 || deleted[0] != "/api/v1/namespaces/gw/secrets/"+tc.deleted || !strings.Contains(did, "interrupted run") {
			t.Errorf("deleted %v, want %s (%s)", deleted, tc.deleted, did)
		}
	}
}
