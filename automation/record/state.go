package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
)

// StatePath is the Pulumi checkpoint of an ORB inside its checkout.
func StatePath(orb string) string {
	return filepath.Join(".pulumi", "stacks", stacks.Project, orb+".json")
}

// Checkpoint is the latest deployment of the checkout's Pulumi checkpoint; nil before the first run.
type Checkpoint struct{ *apitype.DeploymentV3 }

// ReadCheckpoint reads the checkout's checkpoint of orb in Pulumi's own format (apitype).
func ReadCheckpoint(dir, orb string) (Checkpoint, error) {
	raw, err := os.ReadFile(filepath.Join(dir, StatePath(orb)))
	if errors.Is(err, os.ErrNotExist) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reading state: %w", err)
	}
	return ParseCheckpoint(raw, StatePath(orb))
}

// ParseCheckpoint decodes a checkpoint file's content (read at path, named in errors); MISSION reads
// them from commits rather than from a checkout.
func ParseCheckpoint(raw []byte, path string) (Checkpoint, error) {
	var v apitype.VersionedCheckpoint
	if err := json.Unmarshal(raw, &v); err != nil {
		return Checkpoint{}, fmt.Errorf("reading state %s: %w", path, err)
	}
	if v.Version != 3 {
		return Checkpoint{}, fmt.Errorf("reading state %s: checkpoint version %d, orbos reads version 3", path, v.Version)
	}
	var cp apitype.CheckpointV3
	if err := json.Unmarshal(v.Checkpoint, &cp); err != nil {
		return Checkpoint{}, fmt.Errorf("reading state %s: %w", path, err)
	}
	return Checkpoint{cp.Latest}, nil
}

// PendingOperations counts the operations an interrupted engine left unfinished.
func (c Checkpoint) PendingOperations() int {
	if c.DeploymentV3 == nil {
		return 0
	}
	return len(c.DeploymentV3.PendingOperations)
}

// Resources lists the managed resources (Pulumi's own excepted), sorted by type and name.
func (c Checkpoint) Resources() []Resource {
	if c.DeploymentV3 == nil {
		return nil
	}
	var out []Resource
	for _, r := range c.DeploymentV3.Resources {
		if strings.HasPrefix(string(r.Type), "pulumi:") {
			continue
		}
		out = append(out, Resource{Type: string(r.Type), Name: r.URN.Name(), ID: string(r.ID)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Outputs are the stack's outputs, secrets left out; nil when there are none.
func (c Checkpoint) Outputs() map[string]any {
	if c.DeploymentV3 == nil {
		return nil
	}
	out := map[string]any{}
	for _, r := range c.DeploymentV3.Resources {
		if r.Type != "pulumi:pulumi:Stack" {
			continue
		}
		for k, v := range r.Outputs {
			if !provider.IsSecret(v) {
				out[k] = v
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Nodes lists the Kubernetes nodes orbos made, as the provider last read them, sorted by name.
func (c Checkpoint) Nodes() ([]NodeStatus, error) {
	if c.DeploymentV3 == nil {
		return nil, nil
	}
	var out []NodeStatus
	for _, r := range c.DeploymentV3.Resources {
		n, ok, err := provider.DecodeNodeState(string(r.Type), r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.URN, err)
		}
		if !ok {
			continue
		}
		out = append(out, NodeStatus{
			Name: n.NodeName, Role: n.Role, Kubelet: n.Installed.Kubelet, Joined: n.Joined, Prepared: n.Prepared,
			CertExpiry: n.CertExpiry, LastSnapshot: n.LastSnapshot,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// HostKey is the host key the provider trusts for a machine, "" when none yet.
func (c Checkpoint) HostKey(machine string) string {
	if c.DeploymentV3 == nil {
		return ""
	}
	for _, r := range c.DeploymentV3.Resources {
		if m, key, ok := provider.DecodeHostKey(string(r.Type), r.Outputs); ok && m == machine {
			return key
		}
	}
	return ""
}

// Inventory returns the machines recorded in the stack output "inventory": it needs no cloud access.
func (c Checkpoint) Inventory() []map[string]any {
	list, _ := c.Outputs()["inventory"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
