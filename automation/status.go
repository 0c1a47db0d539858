package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
)

// Status is status/<orb>.yaml: a readable summary of the ORB's current state, written after every run
// that changed something. It never holds a secret.
type Status struct {
	Orb           string         `yaml:"orb" json:"orb"`
	DesiredCommit string         `yaml:"desiredCommit,omitempty" json:"desiredCommit,omitempty"`
	Kubernetes    KubeStatus     `yaml:"kubernetes" json:"kubernetes"`
	LastRun       RunRecord      `yaml:"lastRun" json:"lastRun"`
	LastSuccess   *time.Time     `yaml:"lastSuccess,omitempty" json:"lastSuccess,omitempty"`
	Resources     []Resource     `yaml:"resources" json:"resources"`
	Outputs       map[string]any `yaml:"outputs,omitempty" json:"outputs,omitempty"`
	// Nodes are the machines orbos made Kubernetes nodes of, as last read from them.
	Nodes []NodeStatus `yaml:"nodes,omitempty" json:"nodes,omitempty"`
	// Drift is what the last drift check found changed behind orbos's back.
	Drift *DriftReport `yaml:"drift,omitempty" json:"drift,omitempty"`
	// Reconciler is what the in-cluster reconciler last had to say (gave up, suspended, invalid spec).
	Reconciler string `yaml:"reconciler,omitempty" json:"reconciler,omitempty"`
}

// DriftReport lists the resources whose real state differs from the state orbos recorded.
type DriftReport struct {
	Checked   time.Time `yaml:"checked" json:"checked"`
	Resources []Step    `yaml:"resources" json:"resources"`
}

// KubeStatus is the cluster as desired and as deployed.
type KubeStatus struct {
	DesiredVersion string `yaml:"desiredVersion,omitempty" json:"desiredVersion,omitempty"`
	Namespace      string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	// CertExpiry is the earliest expiry of a control plane's API server certificate.
	CertExpiry string `yaml:"certExpiry,omitempty" json:"certExpiry,omitempty"`
}

// NodeStatus is one node as the provider last read it from its machine.
type NodeStatus struct {
	Name       string `yaml:"name" json:"name"`
	Role       string `yaml:"role" json:"role"`
	Kubelet    string `yaml:"kubelet" json:"kubelet"`
	Joined     bool   `yaml:"joined" json:"joined"`
	Prepared   bool   `yaml:"prepared" json:"prepared"`
	CertExpiry string `yaml:"certExpiry,omitempty" json:"certExpiry,omitempty"`
	// LastSnapshot is the etcd snapshot taken before the last upgrade, on the first control plane.
	LastSnapshot string `yaml:"lastSnapshot,omitempty" json:"lastSnapshot,omitempty"`
}

// RunRecord says what the last run did.
type RunRecord struct {
	Operation string         `yaml:"operation" json:"operation"`
	RunID     string         `yaml:"runID" json:"runID"`
	Holder    string         `yaml:"holder" json:"holder"`
	Started   time.Time      `yaml:"started" json:"started"`
	Finished  time.Time      `yaml:"finished" json:"finished"`
	Outcome   string         `yaml:"outcome" json:"outcome"`
	Changes   map[string]int `yaml:"changes,omitempty" json:"changes,omitempty"`
	Error     string         `yaml:"error,omitempty" json:"error,omitempty"`
}

// Resource is one managed resource of the state.
type Resource struct {
	Type string `yaml:"type" json:"type"`
	Name string `yaml:"name" json:"name"`
	ID   string `yaml:"id,omitempty" json:"id,omitempty"`
}

// StatusPath is where an ORB's status lives in its repository.
func StatusPath(orb string) string { return filepath.Join("status", orb+".yaml") }

// ReadStatus reads status/<orb>.yaml from a checkout; nil when no run has written it yet.
func ReadStatus(dir, orb string) (*Status, error) {
	raw, err := os.ReadFile(filepath.Join(dir, StatusPath(orb)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	var s Status
	if err := yaml.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("reading status: %w", err)
	}
	return &s, nil
}

func writeStatus(dir string, s *Status, redact func(string) string) error {
	raw, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding status: %w", err)
	}
	// The status never holds a secret: whatever a message quoted is masked.
	raw = []byte(redact(string(raw)))
	path := filepath.Join(dir, StatusPath(s.Orb))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	header := "# Written by orbctl after every run that changed something; read it with `orbctl status`.\n"
	return os.WriteFile(path, append([]byte(header), raw...), 0o644)
}

// secretSig marks a secret value in Pulumi's state.
const secretSig = "4dabf18193072939515e22adb298388d"

type checkpointFile struct {
	Checkpoint struct {
		Latest *deployment `json:"latest"`
	} `json:"checkpoint"`
}

// deployment is the part of a checkpoint orbos reads.
type deployment struct {
	PendingOperations []json.RawMessage `json:"pending_operations"`
	Resources         []struct {
		URN     string         `json:"urn"`
		Type    string         `json:"type"`
		ID      string         `json:"id"`
		Outputs map[string]any `json:"outputs"`
	} `json:"resources"`
}

// readCheckpoint returns the latest deployment of the checkout's checkpoint; nil without one yet.
func readCheckpoint(dir, orb string) (*deployment, error) {
	raw, err := os.ReadFile(filepath.Join(dir, StatePath(orb)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	var cp checkpointFile
	if err := json.Unmarshal(raw, &cp); err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return cp.Checkpoint.Latest, nil
}

// StatePath is the Pulumi checkpoint of an ORB inside its checkout.
func StatePath(orb string) string {
	return filepath.Join(".pulumi", "stacks", stacks.Project, orb+".json")
}

// readState lists the managed resources of the checkpoint and the stack's non-secret outputs.
func readState(dir, orb string) ([]Resource, map[string]any, error) {
	latest, err := readCheckpoint(dir, orb)
	if err != nil || latest == nil {
		return nil, nil, err
	}
	var res []Resource
	outputs := map[string]any{}
	for _, r := range latest.Resources {
		if r.Type == "pulumi:pulumi:Stack" {
			for k, v := range r.Outputs {
				if m, ok := v.(map[string]any); ok && m[secretSig] != nil {
					continue
				}
				outputs[k] = v
			}
			continue
		}
		if strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		res = append(res, Resource{Type: r.Type, Name: nameOf(r.URN), ID: r.ID})
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].Type != res[j].Type {
			return res[i].Type < res[j].Type
		}
		return res[i].Name < res[j].Name
	})
	if len(outputs) == 0 {
		outputs = nil
	}
	return res, outputs, nil
}

// readNodes lists the KubeadmNode resources of the checkpoint with what they last read.
func readNodes(dir, orb string) ([]NodeStatus, error) {
	latest, err := readCheckpoint(dir, orb)
	if err != nil || latest == nil {
		return nil, err
	}
	var out []NodeStatus
	for _, r := range latest.Resources {
		if r.Type != provider.KubeadmNodeType {
			continue
		}
		str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
		installed, _ := r.Outputs["installed"].(map[string]any)
		joined, _ := r.Outputs["joined"].(bool)
		prepared, _ := r.Outputs["prepared"].(bool)
		out = append(out, NodeStatus{
			Name: str(r.Outputs, "nodeName"), Role: str(r.Outputs, "role"), Kubelet: str(installed, "kubelet"),
			Joined: joined, Prepared: prepared, CertExpiry: str(r.Outputs, "certExpiry"), LastSnapshot: str(r.Outputs, "lastSnapshot"),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Inventory returns the machines recorded in the checkout's state (the stack output "inventory"):
// it needs no cloud access.
func Inventory(dir, orb string) ([]map[string]any, error) {
	_, outputs, err := readState(dir, orb)
	if err != nil {
		return nil, err
	}
	list, _ := outputs["inventory"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// pendingOperations counts the operations an interrupted engine left unfinished in the checkpoint.
func pendingOperations(dir, orb string) int {
	latest, err := readCheckpoint(dir, orb)
	if err != nil || latest == nil {
		return 0
	}
	return len(latest.PendingOperations)
}

// Kubeconfig returns the admin kubeconfig of the cluster orbos made (the stack output "kubeconfig",
// decrypted with the ORB's passphrase). It never prints it: the caller writes it where asked.
func (o *Orb) Kubeconfig(ctx context.Context) (string, error) {
	ws := o.workspace()
	s, err := ws.stack(ctx, o.name(), func(*pulumi.Context) error { return nil }, o.Redact)
	if err != nil {
		return "", err
	}
	out, err := s.Outputs(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the ORB's outputs: %s", o.Redact(err.Error()))
	}
	kc, _ := out["kubeconfig"].Value.(string)
	if kc == "" {
		return "", fmt.Errorf("the ORB %s has no kubeconfig output: orbos makes clusters on static machines without an orbos:kubeconfig, after a successful up", o.name())
	}
	return kc, nil
}
