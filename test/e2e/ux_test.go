package e2e

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/orbos/orbos/stacks/program"
)

// runOnTerminal runs orbctl on a pseudo-terminal (util-linux's script) and types answer once orbctl
// asks (never before: a terminal's typed-ahead input can be read by whatever queries the terminal
// first). The terminal merges stdout and stderr into the result's stdout.
func (o *orb) runOnTerminal(answer string, args ...string) result {
	o.t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		o.t.Fatalf("util-linux's script runs orbctl on a terminal: %v", err)
	}
	quoted := []string{shellQuote(orbctlBin)}
	for _, a := range args {
		quoted = append(quoted, shellQuote(a))
	}
	cmd := exec.Command(script, "--quiet", "--return", "--command", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(cmd.Environ(), o.env...)
	cmd.Dir = o.dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		o.t.Fatal(err)
	}
	screen := &terminalScreen{}
	if answer != "" {
		screen.onAsk = func() { _, _ = io.WriteString(stdin, answer) }
	}
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = screen, &errOut
	err = cmd.Run()
	r := result{stdout: screen.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		o.t.Fatalf("orbctl %v on a terminal: %v", args, err)
	}
	o.t.Logf("orbctl %s on a terminal: exit %d\n%s", strings.Join(args, " "), r.code, r.stdout)
	return r
}

// terminalScreen collects what a terminal shows and calls onAsk once the plan question appears.
type terminalScreen struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	onAsk func()
}

func (s *terminalScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if s.onAsk != nil && strings.Contains(s.buf.String(), askPlan) {
		go s.onAsk()
		s.onAsk = nil
	}
	return len(p), nil
}

func (s *terminalScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

const askPlan = "Do you want to apply it?"

// On a terminal, up shows the plan and asks; no changes without a yes. --yes, a plan without
// changes and a run without a terminal are never asked.
func TestUpOnATerminalShowsThePlanAndAsks(t *testing.T) {
	o := newORB(t, "ask")
	before := o.remoteHead()
	nsPath := "/api/v1/namespaces/" + o.namespace()

	r := o.runOnTerminal("no\n", "up")
	if r.code != 1 || !strings.Contains(r.stdout, "+  kubernetes:core/v1:Namespace "+o.namespace()) ||
		!strings.Contains(r.stdout, "Plan for ask: 2 to create.") || !strings.Contains(r.stdout, askPlan) ||
		!strings.Contains(r.stdout, "not confirmed: nothing was changed") {
		t.Fatalf("declined up:\n%s", r)
	}
	if code, _ := kube(t, nsPath); code != http.StatusNotFound {
		t.Fatalf("the declined up made the namespace (HTTP %d)", code)
	}
	if o.remoteHead() != before || !o.lockFree() {
		t.Fatal("the declined up committed or kept the lock")
	}

	r = o.runOnTerminal("yes\n", "up")
	if r.code != 0 || !strings.Contains(r.stdout, askPlan) || !strings.Contains(r.stdout, "up of ask succeeded") {
		t.Fatalf("confirmed up:\n%s", r)
	}
	if code, _ := kube(t, nsPath); code != http.StatusOK {
		t.Fatalf("the confirmed up made no namespace (HTTP %d)", code)
	}

	// Nothing to do: nothing to ask.
	if r := o.runOnTerminal("", "up"); r.code != 0 || strings.Contains(r.stdout, askPlan) || !strings.Contains(r.stdout, "no commit") {
		t.Fatalf("no-op up on a terminal:\n%s", r)
	}
	// --yes applies at once.
	o.mustRun("config", "set", "orbos:orbiter.kubernetes.version", "v1.31.5")
	if r := o.runOnTerminal("", "up", "--yes"); r.code != 0 || strings.Contains(r.stdout, askPlan) || !strings.Contains(r.stdout, "1 updated") {
		t.Fatalf("up --yes on a terminal:\n%s", r)
	}
	// Without a terminal, nobody is asked (every other test runs up so).
	o.mustRun("config", "set", "orbos:orbiter.kubernetes.version", "v1.31.6")
	if r := o.run("up"); r.code != 0 || strings.Contains(r.stderr+r.stdout, askPlan) {
		t.Fatalf("up without a terminal:\n%s", r)
	}
}

// Commands that only read answer while an up from the same checkout holds the ORB lock and runs the
// engine: they read a fetched snapshot of the repository, never the run's checkout, and take no lock.
func TestReadCommandsAnswerWhileUpRuns(t *testing.T) {
	o := newORB(t, "readers")
	up := o.startUntil([]string{program.SlowProgramEnv + "=30s"}, "created   kubernetes:core/v1:Namespace", "up")
	running := func() bool {
		select {
		case err := <-up.done:
			up.done <- err
			return false
		default:
			return true
		}
	}
	st := o.mustRun("status")
	if !regexp.MustCompile(`(?m)^Lock:\s+held by .* \(up, since `).MatchString(st.stdout) {
		t.Fatalf("status while up runs does not show its lock:\n%s", st)
	}
	for _, args := range [][]string{{"status", "-o", "yaml"}, {"history"}, {"node", "list"}, {"lock"},
		{"config", "get", "orbos:orbiter.kubernetes.version"}, {"secrets", "list"}} {
		o.mustRun(args...)
	}
	if !running() {
		t.Fatalf("the up ended before the readers answered (they may have waited for it):\n%s", up.stderr())
	}
	if err := up.wait(); err != nil {
		t.Fatalf("the up: %v\n%s", err, up.stderr())
	}
	if st := o.mustRun("status"); !strings.Contains(st.stdout, "up succeeded") || !lockFree.MatchString(st.stdout) {
		t.Fatalf("status after the up:\n%s", st)
	}
}
