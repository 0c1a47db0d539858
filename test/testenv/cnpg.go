package testenv

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// CNPG is a STAND-IN for the CloudNativePG operator and its Barman Cloud plugin (docs/TESTING.md):
// the real ones run PostgreSQL in pods, which a control plane without nodes cannot. It does what
// orbctl's backup and restore commands wait for: a Backup it sees is completed (startedAt,
// stoppedAt, a Barman backupId), a Cluster gets the condition Ready once the stand-in has seen it
// a second time (its first update made after it saw it: an order, not a delay). It records every
// event it saw, with the object's resourceVersion, so that tests can order them.
type CNPG struct {
	dyn dynamic.Interface
	ns  string
	// Clock stamps the backups; time.Now when nil.
	Clock func() time.Time

	mu     sync.Mutex
	events []CNPGEvent
	stop   context.CancelFunc
	done   chan struct{}
	err    error
}

// CNPGEvent is one watch event the stand-in saw.
type CNPGEvent struct {
	Kind, Name, Type string
	// ResourceVersion of the object at the event; the apiserver's etcd revision orders them.
	ResourceVersion string
	// Ready is a Cluster's Ready condition at the event; Phase a Backup's phase.
	Ready bool
	Phase string
}

// Group versions the stand-in serves.
var (
	CNPGBackups  = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "backups"}
	CNPGClusters = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}
	crds         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// InstallCNPGCRDs installs trimmed copies of CloudNativePG's Backup, Cluster and ScheduledBackup
// CRDs (any spec, a status subresource) unless the cluster has them already (from a stand-in
// chart), and waits until they are served.
func InstallCNPGCRDs(ctx context.Context, dyn dynamic.Interface) error {
	for _, k := range []struct{ kind, plural string }{{"Backup", "backups"}, {"Cluster", "clusters"}, {"ScheduledBackup", "scheduledbackups"}} {
		name := k.plural + ".postgresql.cnpg.io"
		crd := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": name},
			"spec": map[string]any{
				"group": "postgresql.cnpg.io", "scope": "Namespaced",
				"names": map[string]any{"kind": k.kind, "plural": k.plural, "singular": k.plural[:len(k.plural)-1], "listKind": k.kind + "List"},
				"versions": []any{map[string]any{
					"name": "v1", "served": true, "storage": true, "subresources": map[string]any{"status": map[string]any{}},
					"schema": map[string]any{"openAPIV3Schema": map[string]any{
						"type": "object", "x-kubernetes-preserve-unknown-fields": true,
					}},
				}},
			},
		}}
		_, err := dyn.Resource(crds).Create(ctx, crd, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("installing the CRD %s: %w", name, err)
		}
	}
	for _, r := range []schema.GroupVersionResource{CNPGBackups, CNPGClusters} {
		for {
			_, err := dyn.Resource(r).List(ctx, metav1.ListOptions{Limit: 1})
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s to be served: %w", r.Resource, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// StartCNPG starts the stand-in on namespace; Stop ends it.
func StartCNPG(ctx context.Context, dyn dynamic.Interface, namespace string) (*CNPG, error) {
	c := &CNPG{dyn: dyn, ns: namespace, done: make(chan struct{})}
	ctx, c.stop = context.WithCancel(ctx)
	bw, err := dyn.Resource(CNPGBackups).Namespace(namespace).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("stand-in CNPG: watching Backups: %w", err)
	}
	cw, err := dyn.Resource(CNPGClusters).Namespace(namespace).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		bw.Stop()
		c.stop()
		return nil, fmt.Errorf("stand-in CNPG: watching Clusters: %w", err)
	}
	go func() {
		defer close(c.done)
		defer bw.Stop()
		defer cw.Stop()
		for {
			var ev watch.Event
			var ok bool
			select {
			case <-ctx.Done():
				return
			case ev, ok = <-bw.ResultChan():
			case ev, ok = <-cw.ResultChan():
			}
			if !ok {
				c.fail(fmt.Errorf("a watch ended"))
				return
			}
			u, isObj := ev.Object.(*unstructured.Unstructured)
			if !isObj {
				continue
			}
			c.record(ev.Type, u)
			if ev.Type == watch.Deleted {
				continue
			}
			var err error
			switch u.GetKind() {
			case "Backup":
				err = c.completeBackup(ctx, u)
			case "Cluster":
				err = c.readyCluster(ctx, u, ev.Type)
			}
			if err != nil && ctx.Err() == nil {
				c.fail(err)
			}
		}
	}()
	return c, nil
}

func (c *CNPG) record(typ watch.EventType, u *unstructured.Unstructured) {
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, CNPGEvent{Kind: u.GetKind(), Name: u.GetName(), Type: string(typ), ResourceVersion: u.GetResourceVersion(), Ready: clusterReady(u), Phase: phase})
}

func (c *CNPG) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *CNPG) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

// completeBackup completes a Backup that has no phase yet, as the operator and the plugin do once
// barman-cloud-backup ended.
func (c *CNPG) completeBackup(ctx context.Context, u *unstructured.Unstructured) error {
	if p, _, _ := unstructured.NestedString(u.Object, "status", "phase"); p != "" {
		return nil
	}
	now := c.now().UTC()
	u = u.DeepCopy()
	_ = unstructured.SetNestedMap(u.Object, map[string]any{
		"phase": "completed", "method": "plugin", "backupId": now.Format("20060102T150405"),
		"startedAt": now.Format(time.RFC3339), "stoppedAt": now.Format(time.RFC3339),
	}, "status")
	_, err := c.dyn.Resource(CNPGBackups).Namespace(c.ns).UpdateStatus(ctx, u, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("stand-in CNPG: completing the Backup %s: %w", u.GetName(), err)
	}
	return nil
}

// readyCluster marks a Cluster Ready on the first event after the one that made it: the stand-in
// first sets status.phase (as the operator does while it bootstraps), and Ready when it sees that.
func (c *CNPG) readyCluster(ctx context.Context, u *unstructured.Unstructured, typ watch.EventType) error {
	if clusterReady(u) {
		return nil
	}
	u = u.DeepCopy()
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	status := map[string]any{"phase": "Setting up primary", "instances": int64(0)}
	if phase != "" {
		instances, _, _ := unstructured.NestedInt64(u.Object, "spec", "instances")
		status = map[string]any{"phase": "Cluster in healthy state", "instances": instances, "readyInstances": instances,
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
				"message": "Cluster is Ready", "lastTransitionTime": c.now().UTC().Format(time.RFC3339)}}}
	}
	_ = unstructured.SetNestedMap(u.Object, status, "status")
	_, err := c.dyn.Resource(CNPGClusters).Namespace(c.ns).UpdateStatus(ctx, u, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return nil // a newer version is on its way to the watch
	}
	if err != nil {
		return fmt.Errorf("stand-in CNPG: the Cluster %s's status: %w", u.GetName(), err)
	}
	return nil
}

func clusterReady(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// Events are the events the stand-in saw, in order.
func (c *CNPG) Events() []CNPGEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CNPGEvent(nil), c.events...)
}

// Stop ends the stand-in and returns the first error it met.
func (c *CNPG) Stop() error {
	c.stop()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
