package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/tools"
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
		{"Zitadel without backups", policy.ZitadelBackups, "  orbos:boom:", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, enabled: true, domain: id.example.com}\n  orbos:boom:"},
	}
	for _, c := range cases {
		o.pushSpec(c.name, func(s string) string { return strings.Replace(s, c.from, c.to, 1) })
		for _, op := range []string{"preview", "up"} {
			r := o.run(op)
			if r.code == 0 || !strings.Contains(r.stderr, c.policy) {
				t.Errorf("%s: %s was not blocked by %s:\n%s", c.name, op, c.policy, r)
			}
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
		{"  orbos:boom:", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, enabled: true, domain: id.example.com, backups: {schedule: 0 3 * * *, bucket: backups}}\n  orbos:boom:"},
	} {
		o.pushSpec("compliant", func(s string) string { return strings.Replace(s, edit[0], edit[1], 1) })
	}
	o.mustRun("preview")
	o.mustRun("up")
	o.mustRun("destroy", "--yes")
}

// Through the engine directly, for the policies that orbctl's own validation already stands in
// front of: the pack blocks a violating stack config and passes a compliant one.
func TestPolicyPackBlocksWhatValidationAlsoCatches(t *testing.T) {
	needAPIServer(t)
	pack := filepath.Join(filepath.Dir(orbctlBin), "orbos-policy")
	pulumiBin, err := tools.Find("pulumi")
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: filepath.Dir(filepath.Dir(pulumiBin))})
	if err != nil {
		t.Fatal(err)
	}
	preview := func(t *testing.T, config map[string]auto.ConfigValue) error {
		dir := t.TempDir()
		ctx := context.Background()
		s, err := auto.UpsertStackInlineSource(ctx, "policy", "orbos", func(*pulumi.Context) error { return nil },
			auto.Pulumi(cmd), auto.WorkDir(dir), auto.PulumiHome(pulumiHome), auto.SecretsProvider("passphrase"),
			auto.EnvVars(map[string]string{
				"PULUMI_BACKEND_URL": "file://" + dir, "PULUMI_CONFIG_PASSPHRASE": "test",
				"PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			}))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetAllConfig(ctx, config); err != nil {
			t.Fatal(err)
		}
		_, err = s.Preview(ctx, optpreview.PolicyPacks(pack))
		return err
	}
	orbiter := func(nodes string) auto.ConfigValue {
		return auto.ConfigValue{Value: `{"apiVersion":"orbos.io/v1alpha1","kubernetes":{"version":"v1.31.4","controlPlane":{"pool":"cp","nodes":` + nodes + `}}}`}
	}
	boom := func(v string) auto.ConfigValue {
		return auto.ConfigValue{Value: `{"apiVersion":"orbos.io/v1alpha1","tools":{"ingress":{"enabled":true,"version":"` + v + `"}}}`}
	}
	key, _ := os.ReadFile(filepath.Join(apiserver.Dir, "sa.key"))
	cases := []struct {
		policy          string
		violating, good map[string]auto.ConfigValue
	}{
		{policy.ControlPlanes, map[string]auto.ConfigValue{"orbos:orbiter": orbiter("2")}, map[string]auto.ConfigValue{"orbos:orbiter": orbiter("3")}},
		{policy.PinnedCharts, map[string]auto.ConfigValue{"orbos:boom": boom("^4.11")}, map[string]auto.ConfigValue{"orbos:boom": boom("4.11.3")}},
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
