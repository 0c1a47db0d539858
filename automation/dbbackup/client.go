// Package dbbackup takes, lists and waits for backups of Zitadel's database in the ORB's cluster,
// and stops Zitadel before a restore: CloudNativePG's Backup objects through the dynamic client,
// Zitadel's Deployment through its scale subresource. It reads and writes objects only; what the
// database becomes after a restore is the program's (components/database).
package dbbackup

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// BackupResource is CloudNativePG's Backup.
var BackupResource = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "backups"}

// Client talks to the ORB's cluster.
type Client struct {
	Dynamic dynamic.Interface
	Kube    kubernetes.Interface
	// Poll is how often a wait looks again; a second when zero.
	Poll time.Duration
}

// New is a Client of the cluster cfg reaches.
func New(cfg *rest.Config) (*Client, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("a client of the cluster: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("a client of the cluster: %w", err)
	}
	return &Client{Dynamic: dyn, Kube: kube}, nil
}

// FromKubeconfig is a Client of the current context of a kubeconfig (the ORB's admin one).
func FromKubeconfig(kubeconfig []byte) (*Client, error) {
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// The kubeconfig holds credentials: say what is wrong, not what it holds.
		return nil, errors.New("the ORB's kubeconfig is not usable: no current context with a cluster and user")
	}
	return New(cfg)
}

func (c *Client) poll(ctx context.Context, cond wait.ConditionWithContextFunc) error {
	every := c.Poll
	if every <= 0 {
		every = time.Second
	}
	return wait.PollUntilContextCancel(ctx, every, true, cond)
}

// ScaleToZero scales the Deployment to zero replicas through its scale subresource and returns
// how many it had, so that the caller can say what the next up brings back.
func (c *Client) ScaleToZero(ctx context.Context, namespace, name string) (int32, error) {
	d := c.Kube.AppsV1().Deployments(namespace)
	scale, err := d.GetScale(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, fmt.Errorf("Zitadel's Deployment %s/%s does not exist: is Zitadel installed (orbctl up)?", namespace, name)
	}
	if err != nil {
		return 0, fmt.Errorf("reading the scale of %s/%s: %w", namespace, name, err)
	}
	before := scale.Spec.Replicas
	if before == 0 {
		return 0, nil
	}
	scale.Spec.Replicas = 0
	if _, err := d.UpdateScale(ctx, name, scale, metav1.UpdateOptions{}); err != nil {
		return before, fmt.Errorf("scaling %s/%s to zero: %w", namespace, name, err)
	}
	return before, nil
}

// WaitNoPods waits until no pod of the Deployment exists (terminating ones included): only then
// has the last connection to the database closed.
func (c *Client) WaitNoPods(ctx context.Context, namespace, name string, progress func(format string, args ...any)) error {
	dep, err := c.Kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading the Deployment %s/%s: %w", namespace, name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil {
		return fmt.Errorf("the Deployment %s/%s's selector: %w", namespace, name, err)
	}
	last := -1
	err = c.poll(ctx, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return false, fmt.Errorf("listing Zitadel's pods: %w", err)
		}
		if n := len(pods.Items); n != last && n > 0 && progress != nil {
			progress("waiting for %d pods of %s/%s to end\n", n, namespace, name)
			last = n
		}
		return len(pods.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for Zitadel's pods to end: %w", err)
	}
	return nil
}
