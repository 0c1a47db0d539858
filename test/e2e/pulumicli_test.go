package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/policy"
	"github.com/orbos/orbos/stacks"
)

// The project's Pulumi.yaml runs the ORB program under the Pulumi CLI itself: on an ORB that orbctl
// brought up, `pulumi preview` from this repository (runtime orbos, the language plugin every orbctl
// run installs) finds nothing to change, with the policy pack; a desired-state change shows up in its
// plan, and a violation of the pack fails it.
func TestPulumiCLIRunsTheProgramOrbctlRuns(t *testing.T) {
	o := newORB(t, "pulumi-cli")
	o.mustRun("up")
	cfg, err := orbconfig.Load(o.orbconfig)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := tools.Find("pulumi")
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	stackFile := filepath.Join(o.checkout, stacks.StackFileName(o.name))
	preview := func(extra ...string) (string, error) {
		args := append([]string{"preview", "--stack", o.name, "--config-file", stackFile, "--non-interactive",
			"--policy-pack", filepath.Join(filepath.Dir(orbctlBin), "orbos-policy")}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "PULUMI_HOME="+pulumiHome, "PULUMI_BACKEND_URL=file://"+o.checkout,
			"PULUMI_CONFIG_PASSPHRASE="+cfg.Passphrase, "PULUMI_SKIP_UPDATE_CHECK=true",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true", "PULUMI_IGNORE_AMBIENT_PLUGINS=true")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := preview("--expect-no-changes"); err != nil {
		t.Fatalf("the Pulumi CLI finds changes on an ORB orbctl has just brought up: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), "version: v1.31.4", "version: v1.32.2", 1)
	if err := os.WriteFile(stackFile, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := preview("--diff"); err != nil || !strings.Contains(out, "v1.32.2") {
		t.Errorf("a changed version is not in the Pulumi CLI's plan: %v\n%s", err, out)
	}
	skipping := strings.Replace(string(raw), "version: v1.31.4", "version: v1.33.0", 1)
	if err := os.WriteFile(stackFile, []byte(skipping), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(policy.CurrentVersionEnv, "v1.31.4")
	if out, err := preview(); err == nil || !strings.Contains(out, policy.VersionStep) {
		t.Errorf("the policy pack did not stop a skipped minor version under the Pulumi CLI: %v\n%s", err, out)
	}
	if err := os.WriteFile(stackFile, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	o.mustRun("destroy", "--yes")
}
