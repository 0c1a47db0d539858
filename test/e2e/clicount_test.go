package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/tools"
)

// Speed without a stopwatch: a no-op up and a preview start the Pulumi CLI once each — for the
// engine operation itself. (They used to start it seven and three times: the version check, the
// stack selection, the policy preview before an up, and the outputs and history the Automation API
// reads back after one; each start of the 120 MB CLI costs 0.1-0.5 s.)
func TestANoopRunStartsThePulumiCLIOnce(t *testing.T) {
	real, err := tools.Find("pulumi")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	log := filepath.Join(root, "calls")
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\necho \"$1 $2\" >> " + log + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(root, "bin", "pulumi"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	o := newORB(t, "cli-count")
	env := []string{"ORBOS_TOOLS=" + root}
	for _, op := range []string{"up", "preview"} {
		if r := o.runEnv(env, op); r.code != 0 {
			t.Fatalf("%s:\n%s", op, r)
		}
	}
	count := func(op string) []string {
		if err := os.Remove(log); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if r := o.runEnv(env, op); r.code != 0 {
			t.Fatalf("%s:\n%s", op, r)
		}
		raw, _ := os.ReadFile(log)
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	}
	if got := count("up"); len(got) != 1 || !strings.Contains(got[0], "up") {
		t.Errorf("a no-op up started the Pulumi CLI %d times: %q", len(got), got)
	}
	if got := count("preview"); len(got) != 1 || !strings.Contains(got[0], "preview") {
		t.Errorf("a preview started the Pulumi CLI %d times: %q", len(got), got)
	}
	o.mustRun("destroy", "--yes")
}
