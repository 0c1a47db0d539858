package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/policy"
)

// Through orbctl: the policies a valid spec can still violate block the preview and the up.
func TestPolicyPackGuardsOrbctlRuns(t *testing.T) {
	o := newORB(t, "guarded")
	o.mustRun("up")
	cases := []struct {
		name, policy, from, to string
	}{
		{"skipping a minor version", policy.VersionStep, "version: v1.31.4", "version: v1.33.0"},
		{"downgrading", policy.VersionStep, "version: v1.31.4", "version: v1.30.9"},
		{"SSH open to the world", policy.WorldOpen, "  orbos:boom:", "    firewall: {ssh: [0.0.0.0/0], kubeAPI: [10.0.0.0/8]}\n  orbos:boom:"},
		{"Kubernetes API open to the world", policy.WorldOpen, "  orbos:boom:", "    firewall: {kubeAPI: [\"::/0\"]}\n  orbos:boom:"},
	}
	for _, c := range cases {
		o.pushSpec(c.name, func(s string) string { return strings.Replace(s, c.from, c.to, 1) })
		head := o.remoteHead()
		for _, op := range []string{"preview", "up"} {
			r := o.run(op)
			if r.code == 0 || !strings.Contains(r.stderr, c.policy) {
				t.Errorf("%s: %s was not blocked by %s:\n%s", c.name, op, c.policy, r)
			}
		}
		if v := o.configMapVersion(); v != "v1.31.4" {
			t.Errorf("%s: a blocked up changed the cluster (kubernetesVersion %s)", c.name, v)
		}
		if o.remoteHead() != head {
			t.Errorf("%s: a blocked up committed", c.name)
		}
		if r := o.run("preview", "--no-policy"); r.code != 0 || !strings.Contains(r.stderr, "policy checks are off") {
			t.Errorf("%s: --no-policy:\n%s", c.name, r)
		}
		o.pushSpec("undo "+c.name, func(s string) string { return strings.Replace(s, c.to, c.from, 1) })
	}
	// Compliant versions of the same changes pass.
	for _, edit := range [][2]string{
		{"version: v1.31.4", "version: v1.32.2"},
		{"  orbos:boom:", "    firewall: {ssh: [0.0.0.0/0], kubeAPI: [10.0.0.0/8], allowWorld: [ssh]}\n  orbos:boom:"},
	} {
		o.pushSpec("compliant", func(s string) string { return strings.Replace(s, edit[0], edit[1], 1) })
	}
	o.mustRun("preview")
	o.mustRun("up")
	o.mustRun("destroy", "--yes")
}

// Through the engine directly, for the policies that orbctl's own validation already stands in
// front of, and Zitadel's (whose charts this test cannot fetch through orbctl): the pack blocks a
// violating stack config and passes a compliant one.
func TestPolicyPackBlocksWhatValidationAlsoCatches(t *testing.T) {
	needAPIServer(t)
	preview := policyPreview
	orbiter := func(nodes string) auto.ConfigValue {
		return auto.ConfigValue{Value: `{"apiVersion":"orbos.io/v1alpha1","kubernetes":{"version":"v1.31.4","controlPlane":{"pool":"cp","nodes":` + nodes + `}}}`}
	}
	boom := func(v string) auto.ConfigValue {
		return auto.ConfigValue{Value: `{"apiVersion":"orbos.io/v1alpha1","tools":{"ingress":{"enabled":true,"chart":{"version":"` + v + `"}}}}`}
	}
	zitadel := func(backups string) auto.ConfigValue {
		return auto.ConfigValue{Value: `{"apiVersion":"orbos.io/v1alpha1","enabled":true,"externalDomain":"id.example.com","database":{` + backups + `}}`}
	}
	store := func(endpoint string) string {
		return `"backups":{"schedule":"0 3 * * *","objectStore":{"type":"s3","endpoint":"` + endpoint + `","bucket":"b-1","credentialsSecret":"k"}}`
	}
	key, _ := os.ReadFile(filepath.Join(apiserver.Dir, "sa.key"))
	cases := []struct {
		policy          string
		violating, good map[string]auto.ConfigValue
	}{
		{policy.ControlPlanes, map[string]auto.ConfigValue{"orbos:orbiter": orbiter("2")}, map[string]auto.ConfigValue{"orbos:orbiter": orbiter("3")}},
		{policy.PinnedCharts, map[string]auto.ConfigValue{"orbos:boom": boom("^4.11")}, map[string]auto.ConfigValue{"orbos:boom": boom("4.11.3")}},
		{policy.ZitadelBackups, map[string]auto.ConfigValue{"orbos:zitadel": zitadel("")}, map[string]auto.ConfigValue{"orbos:zitadel": zitadel(store("https://s3.example.com"))}},
		{policy.BackupsOffCluster, map[string]auto.ConfigValue{"orbos:zitadel": zitadel(store("https://minio.storage.svc:9000"))}, map[string]auto.ConfigValue{"orbos:zitadel": zitadel(store("https://s3.example.com"))}},
		{policy.PlaintextSecrets,
			map[string]auto.ConfigValue{"orbos:sshKey": {Value: string(key)}},
			map[string]auto.ConfigValue{"orbos:sshKey": {Value: string(key), Secret: true}}},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			err := preview(t, c.violating)
			if err == nil || !strings.Contains(err.Error(), c.policy) {
				t.Fatalf("not blocked: %v", err)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatal("the violation message shows the secret")
			}
			if err := preview(t, c.good); err != nil {
				t.Fatalf("a compliant stack was blocked: %v", err)
			}
		})
	}
}

// policyPreview previews an empty program whose stack config is config, with the policy pack, on
// the real engine: the policies read the ORB from the config.
func policyPreview(t *testing.T, config map[string]auto.ConfigValue) error {
	t.Helper()
	ctx := context.Background()
	s := inlineStack(t, "policy", func(*pulumi.Context) error { return nil })
	if err := s.SetAllConfig(ctx, config); err != nil {
		t.Fatal(err)
	}
	_, err := s.Preview(ctx, optpreview.PolicyPacks(filepath.Join(filepath.Dir(orbctlBin), "orbos-policy")))
	return err
}

// exampleConfig reads an example ORB's stack config, each section as the JSON the engine hands on.
func exampleConfig(t *testing.T, name string) map[string]auto.ConfigValue {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", name, "Pulumi."+name+"-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]auto.ConfigValue{}
	for k, v := range file.Config {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = auto.ConfigValue{Value: string(b)}
	}
	return out
}

// `make policy`: the example ORBs pass the policy pack; a world-open variant of one does not.
func TestPolicyPackPassesTheExamples(t *testing.T) {
	needAPIServer(t)
	for _, ex := range []string{"gce", "static"} {
		if err := policyPreview(t, exampleConfig(t, ex)); err != nil {
			t.Errorf("example %s: %v", ex, err)
		}
	}
	open := exampleConfig(t, "gce")
	open["orbos:orbiter"] = auto.ConfigValue{Value: strings.Replace(open["orbos:orbiter"].Value, `"203.0.113.0/24"`, `"0.0.0.0/0"`, 1)}
	if err := policyPreview(t, open); err == nil || !strings.Contains(err.Error(), policy.WorldOpen) {
		t.Errorf("a world-open SSH passed: %v", err)
	}
}
