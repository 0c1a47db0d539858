package program

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/components/networking"
	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/stacks"
)

// The program the Pulumi CLI runs from the project's Pulumi.yaml registers, for every example ORB,
// exactly what orbctl's inline program registers: the same resources with the same inputs.
func TestStandaloneRunsWhatOrbctlRuns(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(RepoEnv, wd)
	dirs, err := os.ReadDir("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	for _, d := range dirs {
		name := d.Name()
		raw, err := os.ReadFile("../../examples/" + name + "/Pulumi." + name + "-demo.yaml")
		if err != nil {
			continue // not an example ORB (a CI pipeline)
		}
		t.Run(name, func(t *testing.T) {
			spec, err := stacks.Parse(name+"-demo", raw)
			if err != nil {
				t.Fatal(err)
			}
			spec.Runtime.RepoDir = wd
			inline, err := MockPlan(spec)
			if err != nil {
				t.Fatal(err)
			}
			cfg, secrets := engineConfig(t, raw)
			if _, ok := cfg[stacks.KeySSHKey]; !ok && name == "gce" {
				// orbctl's first up generates the ORB's key; MockPlan stands one in.
				cfg[stacks.KeySSHKey], secrets = sshkey.Placeholder(), append(secrets, stacks.KeySSHKey)
			}
			if _, ok := cfg[stacks.KeyZitadelMasterkey]; !ok && spec.ZitadelOn() != nil {
				// orbctl's first up generates the masterkey; MockPlan stands one in.
				cfg[stacks.KeyZitadelMasterkey], secrets = "placeholder", append(secrets, stacks.KeyZitadelMasterkey)
			}
			if _, ok := cfg[stacks.KeyOriginKey]; !ok && spec.File.Config.Networking.OriginOn() != nil {
				// orbctl's first up generates the origin certificate's key; MockPlan stands one in.
				key, err := networking.GenerateKey()
				if err != nil {
					t.Fatal(err)
				}
				cfg[stacks.KeyOriginKey], secrets = key, append(secrets, stacks.KeyOriginKey)
			}
			standalone, err := mockPlan(Standalone, spec.Orb, cfg, secrets)
			if err != nil {
				t.Fatal(err)
			}
			if len(inline) == 0 || !reflect.DeepEqual(inline, standalone) {
				t.Errorf("the standalone program registers %d resources, orbctl's %d; first differences:\n%s",
					len(standalone), len(inline), firstDifference(inline, standalone))
			}
		})
		tried++
	}
	if tried < 3 {
		t.Fatalf("only %d example ORBs found", tried)
	}
}

// A desired state the spec refuses is refused by the standalone program too, by path.
func TestStandaloneValidatesTheDesiredState(t *testing.T) {
	raw, err := os.ReadFile("../../examples/static/Pulumi.static-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(raw), "version: v1.31.4", "version: latest", 1)
	cfg, secrets := engineConfig(t, []byte(bad))
	_, err = mockPlan(Standalone, "static-demo", cfg, secrets)
	if err == nil || !strings.Contains(err.Error(), "orbos:orbiter.kubernetes.version") {
		t.Fatalf("a bad version: %v", err)
	}
}

// engineConfig is the stack config as the engine hands it to a program: sections as JSON, secrets
// decrypted (placeholders here).
func engineConfig(t *testing.T, raw []byte) (map[string]string, []string) {
	t.Helper()
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	secrets := []string{}
	for k, v := range file.Config {
		if m, ok := v.(map[string]any); ok && k == stacks.KeySecrets {
			// The engine hands orbos:secrets over as one secret mapping of decrypted values.
			held := map[string]string{}
			for name := range m {
				held[name] = "placeholder"
			}
			b, _ := json.Marshal(held)
			cfg[k], secrets = string(b), append(secrets, k)
			continue
		}
		if m, ok := v.(map[string]any); ok && m["secure"] != nil {
			secrets = append(secrets, k)
			cfg[k] = "placeholder"
			if k == stacks.KeySSHKey {
				cfg[k] = sshkey.Placeholder()
			}
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		cfg[k] = string(b)
	}
	return cfg, secrets
}

func firstDifference(a, b []Planned) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if !reflect.DeepEqual(a[i], b[i]) {
			return a[i].Type + " " + a[i].Name + ":\n" + strings.Join(a[i].Inputs, "\n") + "\n---\n" + strings.Join(b[i].Inputs, "\n")
		}
	}
	return "(one is a prefix of the other)"
}
