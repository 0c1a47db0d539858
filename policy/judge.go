package policy

import (
	"encoding/json"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// Input is what the rules over the whole ORB read: its stack config as the engine hands it to the
// policy pack (plain values, sections as JSON, which keys are secrets), and the Kubernetes version
// the ORB runs now.
type Input struct {
	Orbiter *stacks.Orbiter `json:"orbos:orbiter"`
	Boom    *stacks.Boom    `json:"orbos:boom"`
	Zitadel *stacks.Zitadel `json:"orbos:zitadel"`
	// Values holds the config values of the judged keys; Secret marks the encrypted ones.
	Values  map[string]string
	Secret  map[string]bool
	Current string
}

// judgedKeys are the config keys the rules read.
var judgedKeys = []string{stacks.KeyKubeconfig, stacks.KeySSHKey, stacks.KeyOrbiter, stacks.KeyBoom, stacks.KeyZitadel, stacks.KeyNetworking}

// NewInput decodes the sections the rules read from the config values.
func NewInput(values map[string]string, secret map[string]bool, current string) (*Input, error) {
	in := &Input{Values: values, Secret: secret, Current: current}
	for _, key := range []string{stacks.KeyOrbiter, stacks.KeyBoom, stacks.KeyZitadel} {
		raw := values[key]
		if raw == "" || secret[key] {
			continue
		}
		var into any
		switch key {
		case stacks.KeyOrbiter:
			in.Orbiter = &stacks.Orbiter{}
			into = in.Orbiter
		case stacks.KeyBoom:
			in.Boom = &stacks.Boom{}
			into = in.Boom
		case stacks.KeyZitadel:
			in.Zitadel = &stacks.Zitadel{}
			into = in.Zitadel
		}
		if err := json.Unmarshal([]byte(raw), into); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return in, nil
}

// InputFromStackFile is the Input of a desired-state file (Pulumi.<orb>.yaml) as the engine would
// hand it to the pack: sections as JSON, a secure value marked secret and never decrypted (the rules
// do not read secrets' values, only whether a value is one).
func InputFromStackFile(raw []byte, current string) (*Input, error) {
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("reading the desired state for the policies: %w", err)
	}
	values, secret := map[string]string{}, map[string]bool{}
	for _, key := range judgedKeys {
		v, ok := file.Config[key]
		if !ok || v == nil {
			continue
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			values[key], secret[key] = "[secret]", true
			continue
		}
		if s, ok := v.(string); ok {
			values[key] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("reading %s for the policies: %w", key, err)
		}
		values[key] = string(b)
	}
	return NewInput(values, secret, current)
}

// rule is one policy over the whole ORB.
type rule struct {
	name, description string
	check             func(*Input) []string
}

// stackRules are judged on the desired state alone: by the pack after the program, and by orbctl
// before the engine starts.
var stackRules = []rule{
	{VersionStep, "Kubernetes moves at most one minor version per run, and never down", (*Input).versionStep},
	{ControlPlanes, "The control plane has 1, 3 or 5 nodes", (*Input).controlPlanes},
	{PlaintextSecrets, "No secret-looking value is stored in plaintext", (*Input).plaintextSecrets},
	{WorldOpen, "SSH and the Kubernetes API are not open to the whole internet unless the spec says so", (*Input).worldOpen},
	{PinnedCharts, "Every Helm chart version is pinned", (*Input).pinnedCharts},
	{ZitadelBackups, "Zitadel has scheduled backups", (*Input).zitadelBackups},
	{BackupsOffCluster, "Zitadel's backups leave the cluster: object storage, not a volume", (*Input).zitadelBackupsOffCluster},
	{ExposedTLS, "Once BOOM's certificates are on, no tool is exposed without TLS", (*Input).exposedWithTLS},
	{DurableMetrics, "Prometheus keeps its data on a persistent volume in a production ORB", (*Input).durableMetrics},
	{GatewayHTTPS, "Once BOOM's certificates are on, the Gateway serves nothing over plain HTTP but the HTTPS redirect", (*Input).gatewayHTTPS},
}

// Violation is one broken rule.
type Violation struct {
	Policy  string `json:"policy"`
	Message string `json:"message"`
}

func (v Violation) String() string { return v.Policy + ": " + v.Message }

// Judge applies the rules over the whole ORB to in, in the pack's order; nil when it complies.
func Judge(in *Input) []Violation {
	var out []Violation
	for _, r := range stackRules {
		msgs := r.check(in)
		sort.Strings(msgs)
		for _, m := range msgs {
			out = append(out, Violation{Policy: r.name, Message: m})
		}
	}
	return out
}
