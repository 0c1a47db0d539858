package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/orbos/orbos/host"
	"github.com/orbos/orbos/internal/kubeversion"
	"github.com/orbos/orbos/internal/sshexec"
)

// KubeadmNode is one machine as a Kubernetes node: prepared (swap, modules, sysctls, containerd,
// kubeadm/kubelet/kubectl), then initialized as the first control plane or joined as a control plane
// or worker. Updates upgrade its version (drain, kubeadm upgrade, kubelet, uncordon), re-prepare a
// machine whose preparation drifted, and change its labels and taints. Delete drains it, resets it
// and removes the node object. Read reports what the machine really runs.
type KubeadmNode struct{}

// Taint is a node taint.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// KubeadmNodeArgs are the node's desired state.
type KubeadmNodeArgs struct {
	Connection Connection `json:"connection"`
	// Via is the first control plane: joins fetch their token there, and kubectl (drain, labels)
	// runs there. Empty for the first control plane itself.
	Via                  *Connection       `json:"via,omitempty"`
	NodeName             string            `json:"nodeName"`
	Role                 string            `json:"role"`
	Version              string            `json:"version"`
	Address              string            `json:"address"`
	ControlPlaneEndpoint string            `json:"controlPlaneEndpoint"`
	CertSANs             []string          `json:"certSANs,omitempty"`
	PodCIDR              string            `json:"podCIDR"`
	ServiceCIDR          string            `json:"serviceCIDR"`
	DNSDomain            string            `json:"dnsDomain"`
	CNI                  string            `json:"cni"`
	Labels               map[string]string `json:"labels,omitempty"`
	Taints               []Taint           `json:"taints,omitempty"`
	// MaxUnavailable workers of the cluster are drained at the same time (default 1).
	MaxUnavailable int `json:"maxUnavailable,omitempty"`
	// RebootRequest: a new value drains, reboots and uncordons the node once.
	RebootRequest string `json:"rebootRequest,omitempty"`
	// ReplaceRequest: a new value removes the node and joins the machine anew.
	ReplaceRequest string `json:"replaceRequest,omitempty"`
	// Runtime is where the node gets Kubernetes and how it runs it.
	Runtime host.Runtime `json:"runtime"`
}

// Installed is what ReadScript found installed.
type Installed struct {
	Kubeadm    string `json:"kubeadm"`
	Kubelet    string `json:"kubelet"`
	Kubectl    string `json:"kubectl"`
	Containerd string `json:"containerd"`
}

// KubeadmNodeState is the node as last seen.
type KubeadmNodeState struct {
	KubeadmNodeArgs
	LegacyPin
	Installed Installed `json:"installed"`
	// Prepared: swap off, the kernel modules file, systemd cgroups for containerd.
	Prepared bool `json:"prepared"`
	Joined   bool `json:"joined"`
	// Kubeconfig is the admin kubeconfig (first control plane only).
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// CertExpiry is when the API server certificate expires (control planes).
	CertExpiry string `json:"certExpiry,omitempty"`
	// LastSnapshot is the etcd snapshot taken before the last upgrade (first control plane).
	LastSnapshot string `json:"lastSnapshot,omitempty"`
	// KubeletActive: the kubelet runs (a joined node whose kubelet stopped is repaired by an update).
	KubeletActive bool `json:"kubeletActive"`
	// NodePodCIDR is the pod network the controller-manager gave this node.
	NodePodCIDR string `json:"nodePodCIDR"`
	// NodeUID is the node object's: a node joined anew (replaced, reset) has another.
	NodeUID string `json:"nodeUID"`
}

func (a KubeadmNodeArgs) node() host.Node {
	n := host.Node{
		Name: a.NodeName, Role: a.Role, Version: a.Version, Address: a.Address, ControlPlaneEndpoint: a.ControlPlaneEndpoint,
		CertSANs: a.CertSANs, PodCIDR: a.PodCIDR, ServiceCIDR: a.ServiceCIDR, DNSDomain: a.DNSDomain, CNI: a.CNI, Labels: a.Labels,
		Runtime: a.Runtime,
	}
	for _, t := range a.Taints {
		n.Taints = append(n.Taints, host.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}
	return n
}

func (a KubeadmNodeArgs) validate() error {
	var errs []string
	switch a.Role {
	case host.RoleInit:
		if a.Via != nil {
			errs = append(errs, "role init: via must be empty (the first control plane is its own)")
		}
	case host.RoleControlPlane, host.RoleWorker:
		if a.Via == nil {
			errs = append(errs, "role "+a.Role+": via (the first control plane) is required")
		}
	default:
		errs = append(errs, fmt.Sprintf("role: %q is not init, controlplane or worker", a.Role))
	}
	if !strings.HasPrefix(a.Version, "v") || strings.Count(a.Version, ".") != 2 {
		errs = append(errs, fmt.Sprintf("version: %q is not like v1.31.4", a.Version))
	}
	if a.CNI != "calico" && a.CNI != "cilium" && a.CNI != "hostgw" {
		errs = append(errs, fmt.Sprintf("cni: %q is not calico, cilium or hostgw", a.CNI))
	}
	if _, err := a.Runtime.HostsFiles(); err != nil {
		errs = append(errs, "runtime: "+err.Error())
	}
	if a.NodeName == "" {
		errs = append(errs, "nodeName: required")
	}
	if len(errs) > 0 {
		return fmt.Errorf("node %s: %s", a.NodeName, strings.Join(errs, "; "))
	}
	return nil
}

// disruption waits for a worker's turn to be drained (control planes are ordered by the component's
// dependencies, one at a time).
func (a KubeadmNodeArgs) disruption(ctx context.Context) (release func(), err error) {
	if a.Role != host.RoleWorker {
		return func() {}, nil
	}
	return acquire(ctx, a.ControlPlaneEndpoint, a.MaxUnavailable)
}

// via is where kubectl runs with admin credentials: the first control plane.
func (a KubeadmNodeArgs) via() Connection {
	if a.Via != nil {
		return *a.Via
	}
	return a.Connection
}

// Create prepares the machine and makes it a node.
func (*KubeadmNode) Create(ctx context.Context, req CreateRequest[KubeadmNodeArgs]) (CreateResponse[KubeadmNodeState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	st := KubeadmNodeState{KubeadmNodeArgs: a}
	if req.DryRun {
		return CreateResponse[KubeadmNodeState]{ID: a.NodeName, Output: st}, nil
	}
	s, err := connect(ctx, a.Connection)
	if err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	defer s.Close()
	n := a.node()
	if _, err := s.run(ctx, host.PrepareScript(n)); err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	if a.Role == host.RoleInit {
		if err := s.Upload(ctx, host.InitConfigPath, []byte(host.InitConfig(n)), 0o600); err != nil {
			return CreateResponse[KubeadmNodeState]{}, err
		}
		if _, err := s.run(ctx, host.InitScript(n)); err != nil {
			return CreateResponse[KubeadmNodeState]{}, err
		}
	} else if err := join(ctx, s, a); err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	if _, err := onVia(ctx, a, host.LabelScript(n, nil, nil), s); err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	if err := read(ctx, s, &st); err != nil {
		return CreateResponse[KubeadmNodeState]{}, err
	}
	return CreateResponse[KubeadmNodeState]{ID: a.NodeName, Output: st}, nil
}

// join fetches a fresh token (and certificate key for control planes) from the first control plane
// and joins the machine with it. The token lives 30 minutes and the join configuration holding it is
// deleted after the join.
func join(ctx context.Context, s *session, a KubeadmNodeArgs) error {
	out, err := onVia(ctx, a, host.JoinTokenScript(a.Role == host.RoleControlPlane), s)
	if err != nil {
		return err
	}
	lines := strings.Fields(out)
	want := 2
	if a.Role == host.RoleControlPlane {
		want = 3
	}
	if len(lines) != want {
		return fmt.Errorf("node %s: the first control plane printed %d values for the join, not %d", a.NodeName, len(lines), want)
	}
	j := host.Join{Token: lines[0], CACertHash: lines[1]}
	if want == 3 {
		j.CertificateKey = lines[2]
	}
	secrets.Add(j.Token, j.CertificateKey)
	if err := s.Upload(ctx, host.JoinConfigPath, []byte(host.JoinConfig(a.node(), j)), 0o600); err != nil {
		return err
	}
	_, err = s.run(ctx, host.JoinScript(a.node()))
	return err
}

// onVia runs script on the first control plane and returns its output; self is the node's own
// session, reused when it is the first control plane.
func onVia(ctx context.Context, a KubeadmNodeArgs, script string, self *session) (string, error) {
	if a.Via == nil && self != nil {
		return self.run(ctx, script)
	}
	v, err := connect(ctx, a.via())
	if err != nil {
		return "", fmt.Errorf("reaching the first control plane for node %s: %w", a.NodeName, err)
	}
	defer v.Close()
	return v.run(ctx, script)
}

// read fills the state from what the machine reports.
func read(ctx context.Context, s *session, st *KubeadmNodeState) error {
	out, err := s.run(ctx, host.ReadScript(st.node()))
	if err != nil {
		return err
	}
	f := host.ParseFacts(out)
	st.Installed = Installed{Kubeadm: f["kubeadm"], Kubelet: f["kubelet"], Kubectl: f["kubectl"], Containerd: f["containerd"]}
	st.Joined = f["joined"] == "true"
	st.Prepared = f["swap"] == "off" && strings.Contains(f["modules"], "br_netfilter") && f["cgroup"] == st.Runtime.Cgroup()
	st.KubeletActive = f["kubeletActive"] == "active"
	st.NodePodCIDR = f["podCIDR"]
	st.NodeUID = f["nodeUID"]
	st.CertExpiry = f["apiserverCertExpiry"]
	if st.Role == host.RoleInit && st.Joined {
		kc, err := base64.StdEncoding.DecodeString(f["adminKubeconfig"])
		if err != nil || len(kc) == 0 {
			return fmt.Errorf("node %s: the first control plane has no readable %s", st.NodeName, host.AdminKubeconfig)
		}
		st.Kubeconfig = string(kc)
		secrets.AddKubeconfig(st.Kubeconfig)
	}
	return nil
}

// Read reports the machine as it is. A machine that is no longer joined is gone as a node: the next
// up joins it again. The desired version is normalized to the running kubelet's, so a version changed
// behind orbos's back shows as a diff.
func (*KubeadmNode) Read(ctx context.Context, req ReadRequest[KubeadmNodeArgs, KubeadmNodeState]) (ReadResponse[KubeadmNodeArgs, KubeadmNodeState], error) {
	st := req.State
	st.Connection = st.pinned(st.Connection)
	s, err := connect(ctx, st.Connection)
	if err != nil {
		return ReadResponse[KubeadmNodeArgs, KubeadmNodeState]{}, err
	}
	defer s.Close()
	if err := read(ctx, s, &st); err != nil {
		return ReadResponse[KubeadmNodeArgs, KubeadmNodeState]{}, err
	}
	if !st.Joined {
		return ReadResponse[KubeadmNodeArgs, KubeadmNodeState]{}, nil
	}
	inputs := req.Inputs
	if st.Installed.Kubelet != "" {
		st.Version = st.Installed.Kubelet
		inputs.Version = st.Installed.Kubelet
	}
	return ReadResponse[KubeadmNodeArgs, KubeadmNodeState]{ID: req.ID, Inputs: inputs, State: st}, nil
}

// immutable are the fields a running node cannot change, with what they are: a change is refused.
var immutable = []struct {
	field, what string
	get         func(KubeadmNodeArgs) string
}{
	{"nodeName", "a node's name", func(a KubeadmNodeArgs) string { return a.NodeName }},
	{"role", "a node's role", func(a KubeadmNodeArgs) string { return a.Role }},
	{"address", "a node's address", func(a KubeadmNodeArgs) string { return a.Address }},
	{"podCIDR", "the pod network", func(a KubeadmNodeArgs) string { return a.PodCIDR }},
	{"serviceCIDR", "the service network", func(a KubeadmNodeArgs) string { return a.ServiceCIDR }},
	{"dnsDomain", "the cluster's DNS domain", func(a KubeadmNodeArgs) string { return a.DNSDomain }},
	{"cni", "the CNI", func(a KubeadmNodeArgs) string { return a.CNI }},
	{"controlPlaneEndpoint", "the API endpoint", func(a KubeadmNodeArgs) string { return a.ControlPlaneEndpoint }},
}

// Diff says what an update does: upgrade, re-prepare, relabel; it refuses changes a running cluster
// cannot take (version steps that skip or go down, the networks, the role).
func (*KubeadmNode) Diff(ctx context.Context, req DiffRequest[KubeadmNodeArgs, KubeadmNodeState]) (DiffResponse, error) {
	old, new := req.State, req.Inputs
	d := map[string]p.PropertyDiff{}
	upd := p.PropertyDiff{Kind: p.Update, InputDiff: true}
	for _, f := range immutable {
		if was, is := f.get(old.KubeadmNodeArgs), f.get(new); was != is {
			return DiffResponse{}, fmt.Errorf("node %s: %s cannot change on a running cluster (%s: %q => %q); replace the machine instead",
				old.NodeName, f.what, f.field, was, is)
		}
	}
	if old.Version != new.Version {
		if err := kubeversion.Step(old.Version, new.Version); err != nil {
			return DiffResponse{}, fmt.Errorf("node %s: %w", old.NodeName, err)
		}
		d["version"] = upd
	}
	if !maps.Equal(old.Labels, new.Labels) {
		d["labels"] = upd
	}
	if !slices.Equal(old.Taints, new.Taints) {
		d["taints"] = upd
	}
	if !slices.Equal(old.CertSANs, new.CertSANs) {
		d["certSANs"] = upd
	}
	if old.Connection != new.Connection {
		d["connection"] = upd
	}
	if !reflect.DeepEqual(old.Via, new.Via) {
		d["via"] = upd
	}
	if !old.Prepared {
		d["prepared"] = p.PropertyDiff{Kind: p.Update}
	}
	if old.Joined && !old.KubeletActive {
		d["kubeletActive"] = p.PropertyDiff{Kind: p.Update}
	}
	if !reflect.DeepEqual(old.Runtime, new.Runtime) {
		d["runtime"] = upd
	}
	if old.RebootRequest != new.RebootRequest {
		d["rebootRequest"] = upd
	}
	if old.MaxUnavailable != new.MaxUnavailable {
		d["maxUnavailable"] = upd
	}
	if old.ReplaceRequest != new.ReplaceRequest {
		d["replaceRequest"] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
		return DiffResponse{HasChanges: true, DeleteBeforeReplace: true, DetailedDiff: d}, nil
	}
	return DiffResponse{HasChanges: len(d) > 0, DetailedDiff: d}, nil
}

// Update upgrades, re-prepares and relabels. An upgrade drains the node first (respecting
// PodDisruptionBudgets), snapshots etcd on the first control plane, and uncordons the node once it
// is Ready again; the component orders nodes so that one control plane at a time is down.
func (*KubeadmNode) Update(ctx context.Context, req UpdateRequest[KubeadmNodeArgs, KubeadmNodeState]) (UpdateResponse[KubeadmNodeState], error) {
	old, a := req.State, req.Inputs
	st := old
	st.KubeadmNodeArgs = a
	st.LegacyPin = LegacyPin{}
	if err := a.validate(); err != nil {
		return UpdateResponse[KubeadmNodeState]{}, err
	}
	if req.DryRun {
		return UpdateResponse[KubeadmNodeState]{Output: st}, nil
	}
	s, err := connect(ctx, a.Connection)
	if err != nil {
		return UpdateResponse[KubeadmNodeState]{}, err
	}
	defer s.Close()
	n := a.node()
	// Preparing again repairs drift on the machine (a stopped kubelet too) and applies new package
	// sources and registries.
	if !old.Prepared || (old.Joined && !old.KubeletActive) || !reflect.DeepEqual(old.Runtime, a.Runtime) {
		if _, err := s.run(ctx, host.PrepareScript(n)); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, err
		}
	}
	if old.Version != a.Version {
		if err := kubeversion.Step(old.Version, a.Version); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, fmt.Errorf("node %s: %w", a.NodeName, err)
		}
		if err := upgrade(ctx, s, a, old.Version, &st); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, err
		}
	}
	if old.RebootRequest != a.RebootRequest && a.RebootRequest != "" {
		if err := reboot(ctx, s, a); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, err
		}
		// The session died with the machine: read it back on a new one.
		if s, err = connect(ctx, a.Connection); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, err
		}
		defer s.Close()
	}
	if !maps.Equal(old.Labels, a.Labels) || !slices.Equal(old.Taints, a.Taints) {
		var goneLabels []string
		for k := range old.Labels {
			if _, ok := a.Labels[k]; !ok {
				goneLabels = append(goneLabels, k)
			}
		}
		slices.Sort(goneLabels)
		var goneTaints []host.Taint
		for _, t := range old.Taints {
			if !slices.ContainsFunc(a.Taints, func(n Taint) bool { return n.Key == t.Key && n.Effect == t.Effect }) {
				goneTaints = append(goneTaints, host.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
			}
		}
		if _, err := onVia(ctx, a, host.LabelScript(n, goneLabels, goneTaints), s); err != nil {
			return UpdateResponse[KubeadmNodeState]{}, err
		}
	}
	if err := read(ctx, s, &st); err != nil {
		return UpdateResponse[KubeadmNodeState]{}, err
	}
	return UpdateResponse[KubeadmNodeState]{Output: st}, nil
}

func upgrade(ctx context.Context, s *session, a KubeadmNodeArgs, from string, st *KubeadmNodeState) error {
	release, err := a.disruption(ctx)
	if err != nil {
		return err
	}
	defer release()
	n := a.node()
	if a.Role == host.RoleInit {
		tag := from + "-to-" + a.Version + "-" + time.Now().UTC().Format("20060102T150405Z")
		out, err := s.run(ctx, host.EtcdSnapshotScript(tag))
		if err != nil {
			return fmt.Errorf("node %s: no upgrade without an etcd snapshot: %w", a.NodeName, err)
		}
		st.LastSnapshot = strings.TrimSpace(out)
	}
	if _, err := onVia(ctx, a, host.DrainScript(a.NodeName), s); err != nil {
		return err
	}
	if _, err := s.run(ctx, host.UpgradeScript(n)); err != nil {
		return err
	}
	_, err = onVia(ctx, a, host.UncordonScript(a.NodeName), s)
	return err
}

// rebootWait bounds how long a rebooting machine may take to come back with its kubelet.
var rebootWait = 10 * time.Minute

// reboot drains the node, reboots the machine, waits until it is back (a new boot ID) with its
// kubelet active, and uncordons it.
func reboot(ctx context.Context, s *session, a KubeadmNodeArgs) error {
	release, err := a.disruption(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := onVia(ctx, a, host.DrainScript(a.NodeName), nil); err != nil {
		return err
	}
	out, err := s.run(ctx, host.RebootScript(a.node()))
	if err != nil {
		return err
	}
	s.Close()
	before := strings.TrimSpace(out)
	deadline := time.Now().Add(rebootWait)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
		if b, err := connect(ctx, a.Connection); err == nil {
			res, err := b.Run(ctx, host.BootIDScript())
			b.Close()
			f := host.ParseFacts(res.Stdout)
			if err == nil && f["bootID"] != "" && f["bootID"] != before && f["kubelet"] == "active" {
				break
			}
		} else if errors.As(err, new(*sshexec.HostKeyError)) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s did not come back from its reboot with an active kubelet within %s", a.NodeName, rebootWait)
		}
	}
	_, err = onVia(ctx, a, host.UncordonScript(a.NodeName), nil)
	return err
}

// Delete drains the node, resets the machine and removes the node object. The first control plane
// goes last (the component's dependencies see to it) and takes the cluster with it. A worker's
// delete (scale down, replace) is a disruption like an upgrade's: it takes one of the cluster's
// maxUnavailable slots.
func (*KubeadmNode) Delete(ctx context.Context, req DeleteRequest[KubeadmNodeState]) (DeleteResponse, error) {
	st := req.State
	release, err := st.disruption(ctx)
	if err != nil {
		return DeleteResponse{}, err
	}
	defer release()
	s, err := connect(ctx, st.pinned(st.Connection))
	var hostKeyErr *sshexec.HostKeyError
	var connectErr *sshexec.ConnectError
	switch {
	case err == nil:
		defer s.Close()
	case st.Role != host.RoleInit && (errors.As(err, &hostKeyErr) || errors.As(err, &connectErr)):
		// The machine is gone or was reinstalled: nothing of this node is left on it to reset, and
		// a machine with another identity is not orbos's to touch. Its node object still goes.
		p.GetLogger(ctx).Warning(secrets.String(fmt.Sprintf("node %s: not resetting the machine (%v); removing its node object only", st.NodeName, err)))
		s = nil
	default:
		return DeleteResponse{}, err
	}
	if st.Role != host.RoleInit && s != nil {
		if _, err := onVia(ctx, st.KubeadmNodeArgs, host.DrainScript(st.NodeName), s); err != nil {
			return DeleteResponse{}, err
		}
	}
	if s != nil {
		if _, err := s.run(ctx, host.ResetScript(st.node())); err != nil {
			return DeleteResponse{}, err
		}
	}
	if st.Role != host.RoleInit {
		if _, err := onVia(ctx, st.KubeadmNodeArgs, host.DeleteNodeScript(st.NodeName), s); err != nil {
			return DeleteResponse{}, err
		}
	}
	return DeleteResponse{}, nil
}
