package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The scripts run by real bash with hostile values: each value reaches its command as one argument,
// unchanged, and nothing of it runs. kubectl is a recorder (the scripts' PATH is pointed at it).
func TestScriptsRunHostileValuesAsArguments(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "injected")
	log := filepath.Join(dir, "kubectl.log")
	recorder := "#!/bin/bash\nprintf '%s\\0' \"$@\" >> \"$KUBECTL_LOG\"\nprintf '\\n\\0' >> \"$KUBECTL_LOG\"\n"
	if err := os.WriteFile(filepath.Join(dir, "kubectl"), []byte(recorder), 0o755); err != nil {
		t.Fatal(err)
	}
	name := "w-1\ntouch " + marker + "\n$(touch " + marker + ")'; touch " + marker + " #"
	n := benign
	n.Name = name
	n.Labels = map[string]string{"tier": "`touch " + marker + "`"}
	n.Taints = []Taint{{Key: "k", Value: "v;touch " + marker, Effect: "NoSchedule"}}
	const pathLine = "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
	for _, c := range []struct {
		script string
		want   [][]string
	}{
		{DrainScript(name), [][]string{{"cordon", name}, {"drain", name, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=600s"}}},
		{UncordonScript(name), [][]string{{"uncordon", name}, {"wait", "--for=condition=Ready", "--timeout=300s", "node/" + name}}},
		{DeleteNodeScript(name), [][]string{{"delete", "node", name, "--ignore-not-found", "--wait=false"}}},
		{LabelScript(n, []string{"old;touch " + marker}, nil), [][]string{
			{"label", "node", name, "--overwrite", "tier=`touch " + marker + "`"},
			{"label", "node", name, "old;touch " + marker + "-"},
			{"taint", "node", name, "--overwrite", "k=v;touch " + marker + ":NoSchedule"},
		}},
	} {
		if !strings.Contains(c.script, pathLine) {
			t.Fatalf("the header's PATH changed:\n%s", c.script)
		}
		os.Remove(log)
		cmd := exec.Command("bash")
		cmd.Stdin = strings.NewReader(strings.Replace(c.script, pathLine, "export PATH="+dir+":/usr/bin:/bin ", 1))
		cmd.Env = append(os.Environ(), "KUBECTL_LOG="+log)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s\n%s", err, out, c.script)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("a value ran as a command:\n%s", c.script)
		}
		raw, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		var calls [][]string
		var call []string
		for _, arg := range strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00") {
			if arg == "\n" {
				calls, call = append(calls, call), nil
				continue
			}
			call = append(call, arg)
		}
		if !slices.EqualFunc(calls, c.want, slices.Equal[[]string]) {
			t.Errorf("kubectl got %q, want %q", calls, c.want)
		}
	}
}
