package provider

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// Checkpoint outputs decode into the node's state; secrets stay out, whatever they hold.
func TestDecodeNodeStateDropsSecrets(t *testing.T) {
	secret := map[string]any{sig.Key: sig.Secret, "ciphertext": "v1:abc"}
	outputs := map[string]any{
		"nodeName": "cp-1", "role": "init", "joined": true, "prepared": true, "certExpiry": "2027-01-01T00:00:00Z",
		"installed":  map[string]any{"kubelet": "v1.31.4"},
		"kubeconfig": secret,
		"connection": map[string]any{"machine": "m-1", "address": "10.0.0.1", "privateKey": secret},
		"hostKey":    "ssh-ed25519 AAAA",
	}
	st, ok, err := DecodeNodeState(KubeadmNodeType, outputs)
	if err != nil || !ok {
		t.Fatalf("decode: %v %v", ok, err)
	}
	if st.NodeName != "cp-1" || st.Role != "init" || !st.Joined || !st.Prepared || st.Installed.Kubelet != "v1.31.4" || st.CertExpiry == "" {
		t.Fatalf("state %+v", st)
	}
	if st.Kubeconfig != "" || st.Connection.PrivateKey != "" {
		t.Fatal("a secret was decoded")
	}
	if _, ok, _ := DecodeNodeState(FileType, outputs); ok {
		t.Fatal("a File decoded as a node")
	}
	if m, k, ok := DecodeHostKey(MachineType, outputs); !ok || m != "m-1" || k != "ssh-ed25519 AAAA" {
		t.Fatalf("host key %q %q %v", m, k, ok)
	}
	if _, _, ok := DecodeHostKey(FileType, outputs); ok {
		t.Fatal("a file's host key: only machines pin keys")
	}
	if _, _, ok := DecodeHostKey("kubernetes:core/v1:Namespace", outputs); ok {
		t.Fatal("a host key of another provider's resource")
	}
	if !IsSecret(secret) || IsSecret(map[string]any{"a": "b"}) {
		t.Fatal("IsSecret")
	}
}
