package record

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"github.com/orbos/orbos/provider"
)

// A checkpoint in Pulumi's format reads as resources, outputs without secrets, nodes as the
// provider decodes them, host keys and pending operations.
func TestReadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	secret := `{"` + sig.Key + `":"` + sig.Secret + `","ciphertext":"v1:AAAA"}`
	raw := `{"version":3,"checkpoint":{"stack":"x","latest":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""},
"resources":[
 {"urn":"urn:pulumi:x::orbos::pulumi:pulumi:Stack::orbos-x","custom":false,"type":"pulumi:pulumi:Stack",
  "outputs":{"endpoint":"10.0.0.1:6443","kubeconfig":` + secret + `,"inventory":[{"id":"m-1"}]}},
 {"urn":"urn:pulumi:x::orbos::` + provider.KubeadmNodeType + `::cp-1","custom":true,"id":"cp-1","type":"` + provider.KubeadmNodeType + `",
  "outputs":{"nodeName":"cp-1","role":"init","joined":true,"installed":{"kubelet":"v1.31.4"},"kubeconfig":` + secret + `,
   "connection":{"machine":"m-1","address":"10.0.0.1","privateKey":` + secret + `},"hostKey":"ssh-ed25519 AAAA"}},
 {"urn":"urn:pulumi:x::orbos::` + provider.MachineType + `::m-1","custom":true,"id":"m-1","type":"` + provider.MachineType + `",
  "outputs":{"connection":{"machine":"m-1","address":"10.0.0.1"},"hostKey":"ssh-ed25519 BBBB"}},
 {"urn":"urn:pulumi:x::orbos::kubernetes:core/v1:Namespace::ns","custom":true,"id":"orb-x","type":"kubernetes:core/v1:Namespace"}],
"pending_operations":[{"resource":{"urn":"urn:pulumi:x::orbos::kubernetes:core/v1:ConfigMap::orb","custom":true,"type":"kubernetes:core/v1:ConfigMap"},"type":"creating"}]}}}`
	path := filepath.Join(dir, StatePath("x"))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	cp, err := ReadCheckpoint(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got := cp.Resources(); !slices.Equal(got, []Resource{{Type: "kubernetes:core/v1:Namespace", Name: "ns", ID: "orb-x"}, {Type: provider.KubeadmNodeType, Name: "cp-1", ID: "cp-1"}, {Type: provider.MachineType, Name: "m-1", ID: "m-1"}}) {
		t.Fatalf("resources %v", got)
	}
	out := cp.Outputs()
	if _, ok := out["kubeconfig"]; ok || out["endpoint"] != "10.0.0.1:6443" {
		t.Fatalf("outputs %v", out)
	}
	nodes, err := cp.Nodes()
	if err != nil || len(nodes) != 1 || nodes[0] != (NodeStatus{Name: "cp-1", Role: "init", Kubelet: "v1.31.4", Joined: true}) {
		t.Fatalf("nodes %v %v", nodes, err)
	}
	// The machine's pin, not what a node's state (from before pins) trusted.
	if cp.HostKey("m-1") != "ssh-ed25519 BBBB" || cp.HostKey("m-2") != "" {
		t.Fatal("host keys")
	}
	if cp.PendingOperations() != 1 || len(cp.Inventory()) != 1 {
		t.Fatal("pending operations or inventory")
	}
	if none, err := ReadCheckpoint(t.TempDir(), "x"); err != nil || none.Resources() != nil || none.PendingOperations() != 0 {
		t.Fatalf("no checkpoint: %v", err)
	}
}
