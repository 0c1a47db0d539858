package provider

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// The decoding of what this provider writes into a stack's state, for readers of a checkpoint
// (status, node commands) that must not know its property names. Outputs come as a checkpoint stores
// them: a secret is an object marked with Pulumi's secret signature whose value stays encrypted; it is
// dropped here, never decrypted.

// DecodeNodeState returns the state of a KubeadmNode (type KubeadmNodeType) from its checkpoint
// outputs, without its secrets; ok is false for resources of other types.
func DecodeNodeState(typ string, outputs map[string]any) (state KubeadmNodeState, ok bool, err error) {
	if typ != KubeadmNodeType {
		return KubeadmNodeState{}, false, nil
	}
	if err := decodeOutputs(outputs, &state); err != nil {
		return KubeadmNodeState{}, false, fmt.Errorf("the state of a %s: %w", typ, err)
	}
	return state, true, nil
}

// DecodeHostKey returns the machine an orbos:host:Machine resource pins and its pinned host key; ok
// is false for resources of other types (nodes and files log in with their machine's pin) and for
// machines that pin no key yet.
func DecodeHostKey(typ string, outputs map[string]any) (machine, hostKey string, ok bool) {
	var st struct {
		Connection Connection `json:"connection"`
		HostKey    string     `json:"hostKey"`
	}
	if typ != MachineType || decodeOutputs(outputs, &st) != nil || st.HostKey == "" {
		return "", "", false
	}
	return st.Connection.Machine, st.HostKey, true
}

// IsSecret reports whether a value of a checkpoint is a secret (Pulumi's secret signature).
func IsSecret(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[sig.Key] == sig.Secret
}

func decodeOutputs(outputs map[string]any, into any) error {
	b, err := json.Marshal(withoutSecrets(outputs))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// withoutSecrets copies v with every secret replaced by nothing.
func withoutSecrets(v any) any {
	if IsSecret(v) {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = withoutSecrets(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutSecrets(e)
		}
		return out
	}
	return v
}
