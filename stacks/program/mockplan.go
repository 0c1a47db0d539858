package program

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/networking"
	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
)

// Planned is a resource the program would create, with its inputs flattened to path=value lines.
type Planned struct {
	Type   string   `json:"type"`
	Name   string   `json:"name"`
	Inputs []string `json:"inputs"`
}

// mockCloud stands in for every provider: it records each resource and answers with its inputs.
type mockCloud struct {
	mu   sync.Mutex
	plan []Planned
}

func (m *mockCloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lines []string
	flatten("", resource.NewObjectProperty(args.Inputs), &lines)
	sort.Strings(lines)
	m.plan = append(m.plan, Planned{Type: args.TypeToken, Name: args.Name, Inputs: lines})
	out := args.Inputs.Copy()
	if args.TypeToken == "gcp:compute/instance:Instance" {
		nics := out["networkInterfaces"].ArrayValue()
		if len(nics) > 0 {
			nic := nics[0].ObjectValue().Copy()
			nic["networkIp"] = resource.NewStringProperty("(known after up)")
			out["networkInterfaces"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(nic)})
		}
	}
	if args.TypeToken == provider.MachineType {
		if k := out["connection"].ObjectValue()["hostKey"]; !k.IsString() || k.StringValue() == "" {
			out["hostKey"] = resource.NewStringProperty("(pinned at the first up)")
		} else {
			out["hostKey"] = k
		}
	}
	if args.TypeToken == provider.KubeadmNodeType {
		// The first control plane's admin kubeconfig, which the footprint's provider takes.
		out["kubeconfig"] = resource.MakeSecret(resource.NewStringProperty("(known after up)"))
	}
	if err := cloudflareOutputs(args, out); err != nil {
		return "", nil, err
	}
	return args.Name + "-id", out, nil
}

func (m *mockCloud) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func flatten(path string, v resource.PropertyValue, out *[]string) {
	switch {
	case v.IsSecret():
		*out = append(*out, path+" = [secret]")
	case v.IsObject():
		for k, e := range v.ObjectValue() {
			p := string(k)
			if path != "" {
				p = path + "." + p
			}
			flatten(p, e, out)
		}
	case v.IsArray():
		for i, e := range v.ArrayValue() {
			flatten(fmt.Sprintf("%s[%d]", path, i), e, out)
		}
	case v.IsComputed() || v.IsOutput():
		*out = append(*out, path+" = (known after up)")
	case v.IsNull():
	default:
		b, _ := json.Marshal(v.V)
		*out = append(*out, path+" = "+string(b))
	}
}

// MockPlan runs the ORB program against mocks of every cloud and returns what it would create, in
// registration order. This is how GCE and Cloudflare ORBs are previewed where their providers cannot
// run; secrets are placeholders, so nothing secret can appear in the plan.
func MockPlan(spec *stacks.Spec) ([]Planned, error) {
	cfg, secretKeys := mockConfig(spec)
	return mockPlan(New(spec), spec.Orb, cfg, secretKeys)
}

// mockConfig is the stack config a plan against mocks runs with: placeholders for every secret the
// spec holds (the SSH key of a GCE ORB, the kubeconfig, Zitadel's masterkey, each orbos:secrets entry), and which keys are
// secrets.
func mockConfig(spec *stacks.Spec) (cfg map[string]string, secretKeys []string) {
	cfg = map[string]string{}
	if spec.File.Config.Orbiter.Providers != nil && spec.File.Config.Orbiter.Providers.GCE != nil {
		cfg[stacks.KeySSHKey] = sshkey.Placeholder()
	}
	if spec.File.Config.Kubeconfig.IsSet() {
		cfg[stacks.KeyKubeconfig] = "placeholder"
	}
	if spec.ZitadelOn() != nil {
		cfg[stacks.KeyZitadelMasterkey] = "placeholder"
	}
	if spec.File.Config.Networking.OriginOn() != nil {
		// The program derives the certificate request from the key: a throw-away one of the kind
		// orbctl generates.
		if key, err := networking.GenerateKey(); err == nil {
			cfg[stacks.KeyOriginKey] = key
		}
	}
	if names := stacks.SortedKeys(spec.File.Config.Secrets); len(names) > 0 {
		placeholders := map[string]string{}
		for _, n := range names {
			placeholders[n] = "placeholder"
		}
		raw, _ := json.Marshal(placeholders)
		cfg[stacks.KeySecrets] = string(raw)
	}
	return cfg, []string{stacks.KeySSHKey, stacks.KeyKubeconfig, stacks.KeySecrets, stacks.KeyZitadelMasterkey, stacks.KeyOriginKey}
}

// setMockConfig sets the environment the mock runtime reads spec's mock config from, until the
// returned function restores it.
func setMockConfig(spec *stacks.Spec) func() {
	cfg, secretKeys := mockConfig(spec)
	raw, _ := json.Marshal(cfg)
	secrets, _ := json.Marshal(secretKeys)
	return setEnv(map[string]string{"PULUMI_CONFIG": string(raw), "PULUMI_CONFIG_SECRET_KEYS": string(secrets)})
}

// mockPlan runs prog against mocks with the stack config cfg, of which secretKeys are secrets.
func mockPlan(prog pulumi.RunFunc, orb string, cfg map[string]string, secretKeys []string) ([]Planned, error) {
	raw, _ := json.Marshal(cfg)
	secrets, _ := json.Marshal(secretKeys)
	// The mock runtime reads the stack config from the environment.
	restore := setEnv(map[string]string{"PULUMI_CONFIG": string(raw), "PULUMI_CONFIG_SECRET_KEYS": string(secrets)})
	defer restore()
	m := &mockCloud{}
	if err := pulumi.RunErr(prog, pulumi.WithMocks(stacks.Project, orb, m)); err != nil {
		return nil, err
	}
	// Registration is concurrent; order the plan so that it reads the same every time.
	sort.Slice(m.plan, func(i, j int) bool {
		if m.plan[i].Type != m.plan[j].Type {
			return m.plan[i].Type < m.plan[j].Type
		}
		return m.plan[i].Name < m.plan[j].Name
	})
	return m.plan, nil
}

func setEnv(vars map[string]string) func() {
	old := map[string]*string{}
	for k, v := range vars {
		if prev, ok := os.LookupEnv(k); ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		os.Setenv(k, v)
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}

// FormatPlan renders a plan as text: one block per resource.
func FormatPlan(plan []Planned) string {
	var b strings.Builder
	for _, p := range plan {
		fmt.Fprintf(&b, "+ %s %s\n", p.Type, p.Name)
		for _, in := range p.Inputs {
			fmt.Fprintf(&b, "    %s\n", in)
		}
	}
	return b.String()
}
