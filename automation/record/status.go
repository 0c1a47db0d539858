// Package record is what the ORB repository records about its runs, in one place: status/<orb>.yaml
// (the readable current state), the commit messages and their trailers (written and parsed side by
// side), the history read back from them, and the reading of Pulumi's checkpoint they summarise.
package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
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
	// Tools are BOOM's enabled tools as read from the cluster after the last run or drift check.
	Tools []ToolStatus `yaml:"tools,omitempty" json:"tools,omitempty"`
	// Zitadel is Zitadel, its database and its backups as read from the cluster after the last run.
	Zitadel *ZitadelStatus `yaml:"zitadel,omitempty" json:"zitadel,omitempty"`
	// Drift is what the last drift check found changed behind orbos's back.
	Drift *DriftReport `yaml:"drift,omitempty" json:"drift,omitempty"`
	// Reconciler is what the in-cluster reconciler last had to say (gave up, suspended, invalid spec).
	Reconciler string `yaml:"reconciler,omitempty" json:"reconciler,omitempty"`
}

// Step is one resource operation of a run, as the engine reported it.
type Step struct {
	Op      string  `json:"op"`
	Type    string  `json:"type"`
	Name    string  `json:"name"`
	URN     string  `json:"urn"`
	Status  string  `json:"status"` // planned, done or failed
	Seconds float64 `json:"seconds,omitempty"`
	Diffs   []Diff  `json:"diffs,omitempty"`
}

// Diff is one changed property of an update.
type Diff struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

func (d Diff) String() string {
	switch d.Kind {
	case "add", "add-replace":
		return fmt.Sprintf("+ %s: %s", d.Path, d.New)
	case "delete", "delete-replace":
		return fmt.Sprintf("- %s: %s", d.Path, d.Old)
	}
	return fmt.Sprintf("~ %s: %s => %s", d.Path, d.Old, d.New)
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

// ToolStatus is one of BOOM's tools: its pinned chart and whether it is ready.
type ToolStatus struct {
	Name      string `yaml:"name" json:"name"`
	Chart     string `yaml:"chart" json:"chart"`
	Version   string `yaml:"version" json:"version"`
	Namespace string `yaml:"namespace" json:"namespace"`
	// Release is the Helm release's status (deployed, failed, pending-install...) for a tool
	// installed as a release; "" for a rendered chart.
	Release string `yaml:"release,omitempty" json:"release,omitempty"`
	// Workloads counts its Deployments, StatefulSets and DaemonSets, and how many have rolled out.
	Workloads int `yaml:"workloads" json:"workloads"`
	Ready     int `yaml:"ready" json:"ready"`
	// Status sums it up: ready, progressing, failed or unknown (the cluster could not be read).
	Status string `yaml:"status" json:"status"`
	// Detail names what is not ready, or why the cluster could not be read.
	Detail string `yaml:"detail,omitempty" json:"detail,omitempty"`
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
	// NoPolicy is set when the run skipped the policy pack.
	NoPolicy bool `yaml:"noPolicy,omitempty" json:"noPolicy,omitempty"`
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

// WriteStatus writes status/<orb>.yaml into a checkout, passed through redact first: the status
// never holds a secret, whatever a message quoted.
func WriteStatus(dir string, s *Status, redact func(string) string) error {
	raw, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding status: %w", err)
	}
	raw = []byte(redact(string(raw)))
	path := filepath.Join(dir, StatusPath(s.Orb))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	header := "# Written by orbctl after every run that changed something; read it with `orbctl status`.\n"
	return os.WriteFile(path, append([]byte(header), raw...), 0o644)
}
