package provider

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/orbos/orbos/host"
	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/test/testenv"
)

// Secrets stay secret through decode and encode: the SSH key in, the kubeconfig out.
func TestCodecKeepsSecrets(t *testing.T) {
	in := property.NewMap(map[string]property.Value{
		"connection": property.New(map[string]property.Value{
			"machine":    property.New("cp-1"),
			"privateKey": property.New("KEY").WithSecret(true),
		}),
		"path":    property.New("/etc/x"),
		"content": property.New("pass").WithSecret(true),
		"mode":    property.New(420.0),
	})
	var a FileArgs
	if err := decode(in, &a); err != nil {
		t.Fatal(err)
	}
	if a.Connection.PrivateKey != "KEY" || a.Content != "pass" || a.Mode != 420 {
		t.Fatalf("decoded %+v", a)
	}
	out, err := encode(KubeadmNodeState{Kubeconfig: "admin", KubeadmNodeArgs: KubeadmNodeArgs{Connection: a.Connection}}, secretsOf(in))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Get("kubeconfig").Secret() || !out.Get("connection").AsMap().Get("privateKey").Secret() {
		t.Fatalf("secrets lost: %v", out)
	}
	fout, _ := encode(FileState{FileArgs: a}, secretsOf(in))
	if !fout.Get("content").Secret() || fout.Get("path").Secret() {
		t.Fatalf("a secret input's output is not secret, or a plain one is: %v", fout)
	}
}

func TestDiffRefusesWhatARunningClusterCannotTake(t *testing.T) {
	base := KubeadmNodeArgs{NodeName: "w-1", Role: "worker", Version: "v1.31.4", PodCIDR: "100.64.0.0/16", CNI: "calico"}
	st := KubeadmNodeState{KubeadmNodeArgs: base, Prepared: true}
	ctx := context.Background()
	for _, c := range []struct {
		change func(*KubeadmNodeArgs)
		err    string
		field  string
	}{
		{func(a *KubeadmNodeArgs) {}, "", ""},
		{func(a *KubeadmNodeArgs) { a.Version = "v1.32.1" }, "", "version"},
		{func(a *KubeadmNodeArgs) { a.Version = "v1.33.0" }, "skips a minor version", ""},
		{func(a *KubeadmNodeArgs) { a.Version = "v1.30.9" }, "never downgraded", ""},
		{func(a *KubeadmNodeArgs) { a.PodCIDR = "10.0.0.0/16" }, "the pod network cannot change", ""},
		{func(a *KubeadmNodeArgs) { a.Role = "controlplane" }, "a node's role cannot change", ""},
		{func(a *KubeadmNodeArgs) { a.Labels = map[string]string{"a": "b"} }, "", "labels"},
		{func(a *KubeadmNodeArgs) { a.RebootRequest = "2026-11-26T01:00:00Z" }, "", "rebootRequest"},
	} {
		in := base
		c.change(&in)
		d, err := (&KubeadmNode{}).Diff(ctx, DiffRequest[KubeadmNodeArgs, KubeadmNodeState]{State: st, Inputs: in})
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want %q", in, err, c.err)
			}
		case err != nil:
			t.Errorf("%+v: %v", in, err)
		case c.field == "" && d.HasChanges:
			t.Errorf("no change, but a diff %v", d.DetailedDiff)
		case c.field != "" && (!d.HasChanges || d.DetailedDiff[c.field].Kind == ""):
			t.Errorf("%s changed, diff %v", c.field, d.DetailedDiff)
		}
	}
	// A replace request replaces the node, deleting it first: one machine cannot be a node twice.
	in := base
	in.ReplaceRequest = "2026-11-26T01:00:00Z"
	if d, err := (&KubeadmNode{}).Diff(ctx, DiffRequest[KubeadmNodeArgs, KubeadmNodeState]{State: st, Inputs: in}); err != nil ||
		!d.DeleteBeforeReplace || d.DetailedDiff["replaceRequest"].Kind != p.UpdateReplace {
		t.Errorf("a replace request: %+v %v", d, err)
	}
	// A machine whose preparation drifted is prepared again.
	st.Prepared = false
	if d, _ := (&KubeadmNode{}).Diff(ctx, DiffRequest[KubeadmNodeArgs, KubeadmNodeState]{State: st, Inputs: base}); !d.HasChanges {
		t.Error("an unprepared machine shows no diff")
	}
}

// BenchmarkReadNode is the provider's Read of one prepared machine: connect, run the read script,
// parse it.
func BenchmarkReadNode(b *testing.B) {
	if os.Getenv(testenv.SkipEnv) == "1" {
		b.Skip()
	}
	h := testenv.StartHost(b, "bench", testenv.HostOptions{Address: "127.0.0.33"})
	args := KubeadmNodeArgs{
		Connection: Connection{Machine: "bench", Address: h.Address, Port: h.Port, User: "root", PrivateKey: h.ClientKey, HostKey: h.HostKey},
		NodeName:   "bench", Role: host.RoleWorker, Version: "v1.31.4", CNI: "calico",
	}
	c, err := sshexec.Dial(context.Background(), sshexec.Target{Name: "bench", Address: h.Address, Port: h.Port, User: "root", PrivateKey: h.ClientKey}, sshexec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Run(context.Background(), host.PrepareScript(args.node())+"\nmkdir -p /etc/kubernetes; touch /etc/kubernetes/kubelet.conf\n"); err != nil {
		b.Fatal(err)
	}
	c.Close()
	st := KubeadmNodeState{KubeadmNodeArgs: args}
	b.ResetTimer()
	for range b.N {
		res, err := (&KubeadmNode{}).Read(context.Background(), ReadRequest[KubeadmNodeArgs, KubeadmNodeState]{ID: "bench", Inputs: args, State: st})
		if err != nil {
			b.Fatal(err)
		}
		if res.ID == "" || !res.State.Prepared || res.State.Installed.Kubelet != "v1.31.4" {
			b.Fatalf("read %+v", res.State)
		}
	}
}

// At most n workers of a cluster are drained at once; other clusters do not wait for them.
func TestDisruptionSlots(t *testing.T) {
	ctx := context.Background()
	const n = 2
	var releases []func()
	for range n {
		r, err := acquire(ctx, "10.0.0.100:6443", n)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	// A third waits (here: until its context ends).
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := acquire(short, "10.0.0.100:6443", n); err == nil {
		t.Fatal("a third worker was let in with maxUnavailable 2")
	}
	// Another cluster is not held up.
	if r, err := acquire(short, "10.9.0.100:6443", n); err != nil {
		t.Fatalf("another cluster waited: %v", err)
	} else {
		r()
	}
	releases[0]()
	if r, err := acquire(short, "10.0.0.100:6443", n); err != nil {
		t.Fatalf("a freed slot was not given: %v", err)
	} else {
		r()
	}
	releases[1]()
}

// Scaling down is a disruption like an upgrade: a worker's delete waits for one of the cluster's
// maxUnavailable slots before it drains the node.
func TestWorkerDeleteTakesADisruptionSlot(t *testing.T) {
	ctx := context.Background()
	const cluster = "10.0.0.200:6443"
	held, err := acquire(ctx, cluster, 1)
	if err != nil {
		t.Fatal(err)
	}
	worker := KubeadmNodeState{KubeadmNodeArgs: KubeadmNodeArgs{
		NodeName: "w-9", Role: host.RoleWorker, ControlPlaneEndpoint: cluster, MaxUnavailable: 1,
		Connection: Connection{Machine: "w-9"}, Via: &Connection{Machine: "cp-1"},
	}}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (&KubeadmNode{}).Delete(short, DeleteRequest[KubeadmNodeState]{ID: "w-9", State: worker}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a worker was deleted while maxUnavailable workers were down: %v", err)
	}
	held()
	// With the slot free it goes on: to the machine, which it cannot reach without a pin here.
	var np *NotPinnedError
	if _, err := (&KubeadmNode{}).Delete(short, DeleteRequest[KubeadmNodeState]{ID: "w-9", State: worker}); !errors.As(err, &np) {
		t.Fatalf("a worker delete with a free slot: %v", err)
	}
}
