package kubeadm

import (
	"reflect"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/machine"
	"github.com/orbos/orbos/provider"
)

func TestOrder(t *testing.T) {
	for _, c := range []struct {
		cps, workers int
		want         [][]int
	}{
		{1, 0, [][]int{nil}},
		{3, 0, [][]int{nil, {0}, {1}}},
		// Workers wait for the last control plane only: they join in parallel.
		{3, 3, [][]int{nil, {0}, {1}, {2}, {2}, {2}}},
		{1, 2, [][]int{nil, {0}, {0}}},
	} {
		if got := Order(c.cps, c.workers); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Order(%d, %d) = %v, want %v", c.cps, c.workers, got, c.want)
		}
	}
}

// Never two control planes down, nor a control plane and a worker: simulate the engine running every
// node whose dependencies are done, in parallel, and check who runs together. (How many workers are
// drained at once is the provider's semaphore, tested there.)
func TestOrderKeepsOneControlPlaneDown(t *testing.T) {
	for _, c := range []struct{ cps, workers int }{{3, 5}, {5, 4}, {1, 3}} {
		deps := Order(c.cps, c.workers)
		done := make([]bool, len(deps))
		for round := 0; ; round++ {
			var running []int
			for i, ds := range deps {
				ready := !done[i]
				for _, d := range ds {
					ready = ready && done[d]
				}
				if ready {
					running = append(running, i)
				}
			}
			if len(running) == 0 {
				break
			}
			cps, workers := 0, 0
			for _, i := range running {
				if i < c.cps {
					cps++
				} else {
					workers++
				}
			}
			if cps > 1 || (cps > 0 && workers > 0) {
				t.Fatalf("%+v: round %d runs %v together", c, round, running)
			}
			for _, i := range running {
				done[i] = true
			}
		}
		for i, d := range done {
			if !d {
				t.Fatalf("%+v: node %d never ran", c, i)
			}
		}
	}
}

type mocks struct {
	mu  sync.Mutex
	reg map[string]pulumi.MockResourceArgs
}

func (m *mocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := a.Inputs.Copy()
	if a.TypeToken == provider.MachineType {
		m.reg["pin/"+a.Name] = a
		out["hostKey"] = resource.NewStringProperty("ssh-ed25519 AAAA" + a.Name)
		return a.Name, out, nil
	}
	m.reg[a.Name] = a
	return a.Name, out, nil
}

func (m *mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// The component registers one node per machine with its role, the right dependencies, the first
// control plane as `via` of every other node, and the SSH key as a secret.
func TestNewRegistersNodes(t *testing.T) {
	m := &mocks{reg: map[string]pulumi.MockResourceArgs{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		pins := map[string]*machine.Machine{}
		for _, a := range []machine.Args{
			{Name: "cp-1", Address: pulumi.String("10.0.0.1")}, {Name: "cp-2", Address: pulumi.String("10.0.0.2")},
			{Name: "w-1", Address: pulumi.String("34.1.2.3")},
		} {
			a.PrivateKey = pulumi.String("PRIVATE")
			pin, err := machine.New(ctx, a)
			if err != nil {
				return err
			}
			pins[a.Name] = pin
		}
		_, err := New(ctx, "orb", Args{
			Version: "v1.31.4", ControlPlaneEndpoint: pulumi.String("10.0.0.100:6443"), PodCIDR: "100.64.0.0/16", ServiceCIDR: "100.126.0.0/16",
			DNSDomain: "cluster.local", CNI: "calico",
			ControlPlanes: []Machine{{Name: "cp-1", Pool: "control", Address: pulumi.String("10.0.0.1"), Pin: pins["cp-1"]}, {Name: "cp-2", Pool: "control", Address: pulumi.String("10.0.0.2"), Pin: pins["cp-2"]}},
			Workers:       []Machine{{Name: "w-1", Pool: "workers", Address: pulumi.String("10.0.0.3"), Pin: pins["w-1"]}},
			Labels:        map[string]map[string]string{"workers": {"tier": "web"}},
		})
		return err
	}, pulumi.WithMocks("orbos", "test", m))
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{"cp-1": "init", "cp-2": "controlplane", "w-1": "worker"}
	for name, role := range roles {
		r, ok := m.reg[name]
		if !ok || r.TypeToken != provider.KubeadmNodeType {
			t.Fatalf("%s not registered as a KubeadmNode: %+v", name, r)
		}
		if got := r.Inputs["role"].StringValue(); got != role {
			t.Errorf("%s: role %s, want %s", name, got, role)
		}
		conn := r.Inputs["connection"].ObjectValue()
		if !conn["privateKey"].IsSecret() {
			t.Errorf("%s: the SSH key is not a secret", name)
		}
		if name == "cp-1" {
			if _, has := r.Inputs["via"]; has {
				t.Errorf("the first control plane has a via")
			}
			continue
		}
		via := r.Inputs["via"].ObjectValue()
		if via["machine"].StringValue() != "cp-1" || via["hostKey"].StringValue() != "ssh-ed25519 AAAAcp-1" {
			t.Errorf("%s: via %v", name, via)
		}
	}
	// Every node logs in with its machine's pin, the one resource that holds the machine's host key.
	for name := range roles {
		if got := m.reg[name].Inputs["connection"].ObjectValue()["hostKey"].StringValue(); got != "ssh-ed25519 AAAA"+name {
			t.Errorf("%s logs in with the host key %q, not its machine's pin", name, got)
		}
		if pin := m.reg["pin/"+name]; pin.Inputs["connection"].ObjectValue()["hostKey"].StringValue() != "" {
			t.Errorf("%s: a pin without a key in the spec has one as input", name)
		}
	}
	// Logged in at its SSH address, advertised at its private one.
	if c, a := m.reg["w-1"].Inputs["connection"].ObjectValue()["address"].StringValue(), m.reg["w-1"].Inputs["address"].StringValue(); c != "34.1.2.3" || a != "10.0.0.3" {
		t.Errorf("w-1 connects to %s, advertises %s", c, a)
	}
	labels := m.reg["w-1"].Inputs["labels"].ObjectValue()
	if labels["tier"].StringValue() != "web" || labels["orbos.io/pool"].StringValue() != "workers" {
		t.Errorf("w-1 labels %v", labels)
	}
}
