// Package kubeadm makes machines a Kubernetes cluster with the orbos provider's KubeadmNode
// resources, ordered so that the engine runs them safely: the first control plane initializes, the
// other control planes join (and later upgrade) one at a time, then the workers join in parallel and
// are drained at most MaxUnavailable at a time. The same dependencies order deletes in reverse.
package kubeadm

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/machine"
	"github.com/orbos/orbos/host"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/provider"
)

// Machine is one machine of the cluster.
type Machine struct {
	Name string
	Pool string
	// Address is the machine's private address (the API server's advertise address).
	Address pulumi.StringInput
	// Pin is the machine's pinned host key: the node logs in with its connection.
	Pin *machine.Machine
	// RebootRequest and ReplaceRequest: a new value reboots, or removes and rejoins, the node once.
	RebootRequest, ReplaceRequest string
}

// Args describe the cluster.
type Args struct {
	Version string
	// ControlPlaneEndpoint is host:port of the kubeapi load balancer.
	ControlPlaneEndpoint pulumi.StringInput
	CertSANs             pulumi.StringArray
	PodCIDR              string
	ServiceCIDR          string
	DNSDomain            string
	CNI                  string
	// ControlPlanes are in order: the first initializes the cluster.
	ControlPlanes []Machine
	Workers       []Machine
	// Labels and Taints by pool.
	Labels map[string]map[string]string
	Taints map[string][]host.Taint
	// MaxUnavailable workers are drained and upgraded at the same time (default 1).
	MaxUnavailable int
	// DependsOn are what the first control plane waits for (the load balancer of its endpoint).
	DependsOn []pulumi.Resource
	// Runtime is where the nodes get Kubernetes and how they run it.
	Runtime host.Runtime
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	// Kubeconfig is the admin kubeconfig (secret).
	Kubeconfig pulumi.StringOutput
	// Nodes are the node resources: control planes first, in order, then workers.
	Nodes []*Node
}

// Node is a KubeadmNode resource as the program sees it.
type Node struct {
	pulumi.CustomResourceState
	Kubeconfig pulumi.StringOutput    `pulumi:"kubeconfig"`
	Joined     pulumi.BoolOutput      `pulumi:"joined"`
	Version    pulumi.StringOutput    `pulumi:"version"`
	CertExpiry pulumi.StringOutput    `pulumi:"certExpiry"`
	Installed  pulumi.StringMapOutput `pulumi:"installed"`
	// NodePodCIDR is the pod network the controller-manager gave the node.
	NodePodCIDR pulumi.StringOutput `pulumi:"nodePodCIDR"`
	// NodeUID is the node object's UID: another one after the machine joined anew.
	NodeUID pulumi.StringOutput `pulumi:"nodeUID"`
}

// Order returns, for each node, the nodes it waits for: control planes one after another, workers
// after the last control plane. Workers have no order among themselves: they join in parallel, and
// the provider lets at most maxUnavailable of them be drained at a time (upgrades, reboots).
func Order(controlPlanes, workers int) [][]int {
	deps := make([][]int, controlPlanes+workers)
	for i := 1; i < controlPlanes; i++ {
		deps[i] = []int{i - 1}
	}
	for j := 0; j < workers; j++ {
		if controlPlanes > 0 {
			deps[controlPlanes+j] = []int{controlPlanes - 1}
		}
	}
	return deps
}

// New registers the cluster's nodes.
func New(ctx *pulumi.Context, name string, a Args, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if len(a.ControlPlanes) == 0 {
		return nil, fmt.Errorf("cluster %s: no control-plane machine", name)
	}
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("orbos:kubeadm:Cluster", name, c, append(slices.Clip(opts), c.Recording(c))...); err != nil {
		return nil, err
	}
	all := append(append([]Machine{}, a.ControlPlanes...), a.Workers...)
	for _, m := range all {
		if m.Pin == nil {
			return nil, fmt.Errorf("cluster %s: machine %s has no host-key pin", name, m.Name)
		}
	}
	deps := Order(len(a.ControlPlanes), len(a.Workers))
	maxUnavailable := a.MaxUnavailable
	if maxUnavailable < 1 {
		maxUnavailable = 1
	}
	runtime, err := runtimeInput(a.Runtime)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	var via pulumi.Map
	for i, m := range all {
		role := host.RoleWorker
		switch {
		case i == 0:
			role = host.RoleInit
		case i < len(a.ControlPlanes):
			role = host.RoleControlPlane
		}
		inputs := pulumi.Map{
			"connection":           m.Pin.Connection(),
			"nodeName":             pulumi.String(m.Name),
			"role":                 pulumi.String(role),
			"version":              pulumi.String(a.Version),
			"address":              m.Address,
			"controlPlaneEndpoint": a.ControlPlaneEndpoint,
			"certSANs":             a.CertSANs,
			"podCIDR":              pulumi.String(a.PodCIDR),
			"serviceCIDR":          pulumi.String(a.ServiceCIDR),
			"dnsDomain":            pulumi.String(a.DNSDomain),
			"cni":                  pulumi.String(a.CNI),
			"labels":               pulumi.ToStringMap(labels(m, a.Labels[m.Pool])),
			"taints":               taints(a.Taints[m.Pool]),
			"maxUnavailable":       pulumi.Int(maxUnavailable),
			"runtime":              runtime,
		}
		if m.RebootRequest != "" {
			inputs["rebootRequest"] = pulumi.String(m.RebootRequest)
		}
		if m.ReplaceRequest != "" {
			inputs["replaceRequest"] = pulumi.String(m.ReplaceRequest)
		}
		if via != nil {
			inputs["via"] = via
		}
		nodeOpts := []pulumi.ResourceOption{
			pulumi.Parent(c), pulumi.Version(provider.Version),
			// The same machine cannot be a node twice: a replacement resets it before joining it again.
			pulumi.DeleteBeforeReplace(true),
		}
		var dependsOn []pulumi.Resource
		if i == 0 {
			dependsOn = append(dependsOn, a.DependsOn...)
		}
		for _, d := range deps[i] {
			dependsOn = append(dependsOn, c.Nodes[d])
		}
		if len(dependsOn) > 0 {
			nodeOpts = append(nodeOpts, pulumidep.On(dependsOn...))
		}
		n := &Node{}
		if err := ctx.RegisterResource(provider.KubeadmNodeType, m.Name, inputs, n, nodeOpts...); err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
		if i == 0 {
			// Every other node reaches the first control plane with its pinned host key.
			via = m.Pin.Connection()
			c.Kubeconfig = n.Kubeconfig
		}
	}
	if a.CNI == "hostgw" {
		if err := c.hostGWRoutes(ctx, all); err != nil {
			return nil, err
		}
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"kubeconfig": c.Kubeconfig})
}

// hostGWRoutes gives every node of a hostgw cluster the routes to the other nodes' pod networks: a
// routes file applied to the kernel, rewritten whenever a node comes or goes.
func (c *Cluster) hostGWRoutes(ctx *pulumi.Context, machines []Machine) error {
	var cidrs, addrs pulumi.StringArray
	var nodes []pulumi.Resource
	for i, n := range c.Nodes {
		cidrs = append(cidrs, n.NodePodCIDR)
		addrs = append(addrs, machines[i].Address)
		nodes = append(nodes, n)
	}
	for i, m := range machines {
		self := i
		content := pulumi.All(cidrs, addrs).ApplyT(func(v []any) (string, error) {
			cs, as := v[0].([]string), v[1].([]string)
			var routes []host.Route
			for j := range cs {
				if j != self && cs[j] != "" {
					routes = append(routes, host.Route{PodCIDR: cs[j], Via: as[j]})
				}
			}
			return host.HostGWRoutes(routes)
		}).(pulumi.StringOutput)
		var f pulumi.CustomResourceState
		if err := ctx.RegisterResource(provider.FileType, m.Name+"-hostgw-routes", pulumi.Map{
			"connection": m.Pin.Connection(),
			"path":       pulumi.String(host.HostGWRoutesPath),
			"content":    content,
			"apply":      pulumi.String(host.HostGWApplyScript()),
			// A node joined anew was reset, which removed its routes: write them again.
			"trigger": c.Nodes[i].NodeUID,
		}, &f, pulumi.Parent(c), pulumi.Version(provider.Version), pulumi.DependsOn(nodes)); err != nil {
			return err
		}
	}
	return nil
}

// runtimeInput passes the runtime settings as the provider's JSON reads them.
func runtimeInput(r host.Runtime) (pulumi.Map, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return pulumi.ToMap(m), nil
}

// labels adds orbos's own pool label to the pool's labels.
func labels(m Machine, pool map[string]string) map[string]string {
	out := map[string]string{"orbos.io/pool": m.Pool}
	for k, v := range pool {
		out[k] = v
	}
	return out
}

func taints(ts []host.Taint) pulumi.Array {
	sorted := append([]host.Taint{}, ts...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	out := pulumi.Array{}
	for _, t := range sorted {
		m := pulumi.Map{"key": pulumi.String(t.Key), "effect": pulumi.String(t.Effect)}
		if t.Value != "" {
			m["value"] = pulumi.String(t.Value)
		}
		out = append(out, m)
	}
	return out
}
