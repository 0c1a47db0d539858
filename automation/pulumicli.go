package automation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/blang/semver"

	"github.com/orbos/orbos/internal/tools"
)

// pulumiCommand is the Pulumi CLI that `make tools` built (or one on PATH), as the Automation API
// runs it. The SDK's own constructor runs `pulumi version` every time, which costs a third of a
// second or more (a 120 MB binary starting) in every orbctl run; the version of a binary does not
// change, so it is asked once and remembered per binary (path, size and modification time).
func pulumiCommand() (*pulumiCLI, error) {
	bin, err := tools.Find("pulumi")
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	v, err := pulumiVersion(bin)
	if err != nil {
		return nil, fmt.Errorf("the Pulumi CLI %s: %w", bin, err)
	}
	return &pulumiCLI{command: bin, version: v}, nil
}

// minimumPulumi is the oldest CLI this SDK drives (the SDK refuses older ones too).
var minimumPulumi = semver.MustParse("3.95.0")

// pulumiVersion is bin's version, from the cache when bin has not changed since it was asked.
func pulumiVersion(bin string) (semver.Version, error) {
	fi, err := os.Stat(bin)
	if err != nil {
		return semver.Version{}, err
	}
	key := versionKey{Path: bin, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	cache := versionCachePath()
	var cached versionKey
	if raw, err := os.ReadFile(cache); err == nil && json.Unmarshal(raw, &cached) == nil &&
		cached.Path == key.Path && cached.Size == key.Size && cached.ModTime == key.ModTime {
		if v, err := semver.ParseTolerant(cached.Version); err == nil {
			return v, nil
		}
	}
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "PULUMI_SKIP_UPDATE_CHECK=true")
	out, err := cmd.Output()
	if err != nil {
		return semver.Version{}, fmt.Errorf("`pulumi version`: %w", err)
	}
	text := strings.TrimSpace(string(out))
	v, err := semver.ParseTolerant(text)
	if err != nil {
		return semver.Version{}, fmt.Errorf("`pulumi version` printed %q: %w", text, err)
	}
	if v.LT(minimumPulumi) {
		return semver.Version{}, fmt.Errorf("version %s is older than %s, the oldest this orbctl drives", v, minimumPulumi)
	}
	key.Version = text
	if raw, err := json.Marshal(key); err == nil && os.MkdirAll(filepath.Dir(cache), 0o700) == nil {
		// A cache that cannot be written only costs the next run the same question.
		tmp := cache + fmt.Sprintf(".%d.tmp", os.Getpid())
		if os.WriteFile(tmp, raw, 0o600) == nil {
			_ = os.Rename(tmp, cache)
		}
	}
	return v, nil
}

type versionKey struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"modTime"`
	Version string `json:"version"`
}

func versionCachePath() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "orbos", "pulumi-version.json")
}

// pulumiCLI runs the Pulumi CLI for the Automation API as the SDK's own command does: never
// interactive, PULUMI_AUTOMATION_API set, the CLI's directory first on PATH, its own process group,
// and interrupted (SIGINT, so that it saves what it did) when the context ends, killed only if it
// does not stop within 10 s.
type pulumiCLI struct {
	command string
	version semver.Version
	// stackState is the checkpoint of the stack a run works on: when it exists, selecting the stack
	// needs no CLI (every command names the stack with --stack anyway).
	stackState string
	// noReadBack: the run reads what the engine did from its events and the checkpoint in the
	// checkout, so the outputs and the history entry that the Automation API asks the CLI for after
	// an up (three more CLI processes) are answered empty.
	noReadBack bool
}

// answer says, for the commands it need not start the CLI for, what the CLI would have printed.
func (p *pulumiCLI) answer(args []string) (string, bool) {
	var words []string
	for _, a := range args {
		if a != "--non-interactive" {
			words = append(words, a)
		}
	}
	if len(words) < 2 || words[0] != "stack" {
		return "", false
	}
	switch {
	case words[1] == "select" && p.stackState != "":
		if _, err := os.Stat(p.stackState); err == nil {
			return "", true
		}
	case words[1] == "output" && p.noReadBack && slices.Contains(words, "--json"):
		return "{}", true
	case words[1] == "history" && p.noReadBack && slices.Contains(words, "--json"):
		return "[]", true
	}
	return "", false
}

func (p *pulumiCLI) Version() semver.Version { return p.version }

func (p *pulumiCLI) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string) (string, string, int, error) {
	flags := args
	if i := slices.Index(args, "--"); i >= 0 {
		flags = args[:i]
	}
	if out, ok := p.answer(flags); ok {
		for _, w := range additionalOutput {
			_, _ = io.WriteString(w, out)
		}
		return out, "", 0, nil
	}
	if !slices.Contains(flags, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.CommandContext(ctx, p.command, args...)
	cmd.Dir = workdir
	env := append(os.Environ(), additionalEnv...)
	env = append(env, "PULUMI_AUTOMATION_API=true")
	cmd.Env = withPathFirst(env, filepath.Dir(p.command))
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(append(additionalOutput, &stdout)...)
	cmd.Stderr = io.MultiWriter(append(additionalErrorOutput, &stderr)...)
	cmd.Stdin = stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			_ = cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 10 * time.Second
	code := -2
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err == nil {
		code = 0
	}
	return stdout.String(), stderr.String(), code, err
}

// withPathFirst puts dir first on env's PATH, so that the CLI finds its own plugins beside it.
func withPathFirst(env []string, dir string) []string {
	out := make([]string, 0, len(env)+1)
	path := dir
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = dir + string(os.PathListSeparator) + v
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+path)
}
