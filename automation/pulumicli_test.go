package automation

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CLI's version is asked once per binary: a second run does not start it to ask again, a
// changed binary is asked again, and a CLI too old for the SDK is refused.
func TestPulumiVersionIsAskedOncePerBinary(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	bin, calls := filepath.Join(dir, "pulumi"), filepath.Join(dir, "calls")
	write := func(version string) {
		script := "#!/bin/sh\necho x >> " + calls + "\necho " + version + "\n"
		if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		raw, _ := os.ReadFile(calls)
		return strings.Count(string(raw), "x")
	}
	write("v3.274.1")
	for i := 0; i < 3; i++ {
		v, err := pulumiVersion(bin)
		if err != nil || v.String() != "3.274.1" {
			t.Fatalf("version %v, %v", v, err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("the CLI was asked its version %d times for one binary", n)
	}
	write("v3.275.10")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(bin, later, later); err != nil {
		t.Fatal(err)
	}
	if v, err := pulumiVersion(bin); err != nil || v.String() != "3.275.10" {
		t.Errorf("a changed binary: %v, %v", v, err)
	}
	write("v3.10.0")
	if err := os.Chtimes(bin, later.Add(time.Minute), later.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := pulumiVersion(bin); err == nil || !strings.Contains(err.Error(), "older") {
		t.Errorf("an old CLI: %v", err)
	}
}

// The CLI runs non-interactive, with the Automation API's marker, and reports its exit code; a
// cancelled run is interrupted (SIGINT), not killed, so that the engine can save what it did.
func TestPulumiCLIRunsAndIsInterrupted(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pulumi")
	script := `#!/bin/sh
echo "args: $*"
echo "api: $PULUMI_AUTOMATION_API"
if [ "$2" = wait ]; then
  trap 'echo interrupted >&2; exit 7' INT
  echo ready
  while :; do sleep 0.05; done
fi
exit 3
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &pulumiCLI{command: bin}
	out, _, code, err := p.Run(context.Background(), dir, nil, nil, nil, nil, "preview")
	if code != 3 || err == nil || !strings.Contains(out, "args: --non-interactive preview") || !strings.Contains(out, "api: true") {
		t.Errorf("exit %d, %v:\n%s", code, err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// Cancelled once the CLI is ready for the signal.
	ready := writerFunc(func(b []byte) (int, error) {
		if strings.Contains(string(b), "ready") {
			cancel()
		}
		return len(b), nil
	})
	_, errOut, code, _ := p.Run(ctx, dir, nil, []io.Writer{ready}, nil, nil, "wait")
	if code != 7 || !strings.Contains(errOut, "interrupted") {
		t.Errorf("a cancelled run: exit %d, stderr %q", code, errOut)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// Selecting a stack whose checkpoint exists, and reading back after an engine run, start no CLI.
func TestPulumiCLIAnswersWhatTheRunKnows(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pulumi")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho cli \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.json")
	p := &pulumiCLI{command: bin, stackState: state}
	run := func(args ...string) string {
		out, _, _, err := p.Run(context.Background(), dir, nil, nil, nil, nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := run("stack", "select", "--stack", "prod"); !strings.HasPrefix(out, "cli") {
		t.Errorf("a stack without a checkpoint was selected without the CLI: %q", out)
	}
	if err := os.WriteFile(state, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run("stack", "select", "--stack", "prod"); out != "" {
		t.Errorf("selecting a stack with a checkpoint started the CLI: %q", out)
	}
	if out := run("stack", "output", "--json", "--stack", "prod"); !strings.HasPrefix(out, "cli") {
		t.Errorf("outputs asked for were not read: %q", out)
	}
	p.noReadBack = true
	if out := run("stack", "output", "--json", "--show-secrets", "--stack", "prod"); out != "{}" {
		t.Errorf("outputs after an engine run: %q", out)
	}
	if out := run("stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack", "prod"); out != "[]" {
		t.Errorf("history after an engine run: %q", out)
	}
	if out := run("up", "--yes", "--stack", "prod"); !strings.HasPrefix(out, "cli --non-interactive up") {
		t.Errorf("an up was not run: %q", out)
	}
}
