package dbbackup

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/orbos/orbos/test/testenv"
)

// cluster starts a real kube-apiserver with CloudNativePG's CRDs (trimmed copies) and a namespace.
func cluster(t *testing.T, ns string) (*Client, context.Context) {
	t.Helper()
	a := testenv.StartAPIServerForTest(t)
	raw, err := os.ReadFile(a.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := FromKubeconfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	c.Poll = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if err := testenv.InstallCNPGCRDs(ctx, c.Dynamic); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c, ctx
}

// A backup is a Backup of the live cluster through the Barman Cloud plugin; waiting for it sees it
// completed with its Barman ID; the list is newest first and tells scheduled from on-demand
// backups; a failed backup is an error with the operator's reason.
func TestBackupsOnARealAPIServer(t *testing.T) {
	c, ctx := cluster(t, "zitadel")
	cnpg, err := testenv.StartCNPG(ctx, c.Dynamic, "zitadel")
	if err != nil {
		t.Fatal(err)
	}
	// The stand-in stamps each backup an hour after the one before: their order is known.
	clock := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	cnpg.Clock = func() time.Time { clock = clock.Add(time.Hour); return clock }
	defer func() {
		if err := cnpg.Stop(); err != nil {
			t.Error(err)
		}
	}()
	var names []string
	for i := range 3 {
		name := Name("zitadel-db", time.Date(2026, 12, 1, 10, 0, i, 0, time.UTC))
		names = append(names, name)
		if err := c.Create(ctx, "zitadel", name, "zitadel-db"); err != nil {
			t.Fatal(err)
		}
		b, err := c.Wait(ctx, "zitadel", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Phase != PhaseCompleted || b.BackupID == "" || b.Cluster != "zitadel-db" || b.Method != OnDemand || b.Size != -1 {
			t.Errorf("backup %+v", b)
		}
	}
	if names[0] != "zitadel-db-20261201100000" {
		t.Errorf("name %s", names[0])
	}
	// One made by a ScheduledBackup, as CloudNativePG labels it.
	sched := BackupObject("zitadel", "zitadel-db-daily-1", "zitadel-db")
	sched.SetLabels(map[string]string{ScheduledLabel: "zitadel-db-daily"})
	if _, err := c.Dynamic.Resource(BackupResource).Namespace("zitadel").Create(ctx, sched, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(ctx, "zitadel", "zitadel-db-daily-1", nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.List(ctx, "zitadel")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"zitadel-db-daily-1", names[2], names[1], names[0]}
	if len(got) != len(want) {
		t.Fatalf("listed %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i] {
			t.Errorf("position %d: %s, want %s", i, got[i].Name, want[i])
		}
	}
	if got[0].Method != Scheduled || got[1].Method != OnDemand {
		t.Errorf("methods %s %s", got[0].Method, got[1].Method)
	}
	if l, ok := Latest(got, "zitadel-db"); !ok || l.Name != "zitadel-db-daily-1" {
		t.Errorf("latest %+v", l)
	}
	if _, ok := Latest(got, "zitadel-db-r1"); ok {
		t.Error("a latest backup of a cluster without backups")
	}
	if _, err := c.Get(ctx, "zitadel", "nope"); err == nil {
		t.Error("no error for a missing backup")
	}
}

func TestFailedBackup(t *testing.T) {
	c, ctx := cluster(t, "zitadel")
	// No operator here: the test plays it, failing the backup.
	if err := c.Create(ctx, "zitadel", "zitadel-db-1", "zitadel-db"); err != nil {
		t.Fatal(err)
	}
	u, err := c.Dynamic.Resource(BackupResource).Namespace("zitadel").Get(ctx, "zitadel-db-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedMap(u.Object, map[string]any{"phase": "failed", "error": "no space left in the bucket"}, "status")
	if _, err := c.Dynamic.Resource(BackupResource).Namespace("zitadel").UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Wait(ctx, "zitadel", "zitadel-db-1", nil)
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Reason != "no space left in the bucket" {
		t.Errorf("error %v", err)
	}
}

// Scaling Zitadel to zero goes through the scale subresource; waiting for the pods ends only once
// none is left. The test control plane runs no ReplicaSet controller: the test makes and removes
// the pods itself.
func TestScaleToZero(t *testing.T) {
	c, ctx := cluster(t, "zitadel")
	two := int32(2)
	labels := map[string]string{"app.kubernetes.io/name": "zitadel"}
	pod := corev1.PodSpec{Containers: []corev1.Container{{Name: "zitadel", Image: "ghcr.io/zitadel/zitadel:v4.13.0"}}}
	_, err := c.Kube.AppsV1().Deployments("zitadel").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "zitadel"},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zitadel-a", "zitadel-b"} {
		if _, err := c.Kube.CoreV1().Pods("zitadel").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: pod}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := c.ScaleToZero(ctx, "zitadel", "zitadel")
	if err != nil || before != 2 {
		t.Fatalf("scaled from %d: %v", before, err)
	}
	d, err := c.Kube.AppsV1().Deployments("zitadel").Get(ctx, "zitadel", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 0 {
		t.Fatalf("replicas %v: %v", d.Spec.Replicas, err)
	}
	// With pods left, the wait does not end by itself.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = c.WaitNoPods(short, "zitadel", "zitadel", nil)
	cancel()
	if err == nil {
		t.Fatal("the wait ended while Zitadel's pods exist")
	}
	for _, name := range []string{"zitadel-a", "zitadel-b"} {
		zero := int64(0)
		if err := c.Kube.CoreV1().Pods("zitadel").Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.WaitNoPods(ctx, "zitadel", "zitadel", nil); err != nil {
		t.Fatal(err)
	}
	if again, err := c.ScaleToZero(ctx, "zitadel", "zitadel"); err != nil || again != 0 {
		t.Errorf("again: %d %v", again, err)
	}
	if _, err := c.ScaleToZero(ctx, "zitadel", "missing"); err == nil {
		t.Error("no error for a missing Deployment")
	}
}
