package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/stacks"
)

// seededStatus is status/demo.yaml as a run wrote it.
const seededStatus = `orb: demo
desiredCommit: 0123456789abcdef0123456789abcdef01234567
kubernetes:
  desiredVersion: v1.31.4
  namespace: orb-demo
lastRun:
  operation: up
  runID: 20260102T030000Z-a1b2c3
  holder: bob@ci pid 7
  started: 2026-01-02T03:00:00Z
  finished: 2026-01-02T03:00:09Z
  outcome: succeeded
  changes:
    create: 2
lastSuccess: 2026-01-02T03:00:09Z
resources:
  - type: kubernetes:core/v1:Namespace
    name: orb-demo
    id: orb-demo
  - type: kubernetes:core/v1:ConfigMap
    name: orb
    id: orb-demo/orb
tools:
  - name: gateway
    chart: gateway-helm
    version: 1.9.0
    namespace: envoy-gateway-system
    release: deployed
    workloads: 1
    ready: 1
    status: ready
  - name: metrics
    chart: kube-prometheus-stack
    version: 88.5.3
    namespace: monitoring
    workloads: 4
    ready: 3
    status: progressing
    detail: "StatefulSet monitoring/prometheus-metrics-prometheus: 0 of 1 replicas updated and ready"
`

// seededORB is the ORB demo made by hand, without the engine: the starter desired state with one
// secret, a status, an orbos commit with trailers, and an orbconfig. Commit dates are fixed, so
// commit hashes are too. It returns orbctl's environment for it and the remote.
func seededORB(t *testing.T) (map[string]string, string) {
	t.Helper()
	t.Setenv("GIT_AUTHOR_DATE", "2026-01-02T03:04:05Z")
	t.Setenv("GIT_COMMITTER_DATE", "2026-01-02T03:04:05Z")
	spec := string(stacks.Starter(stacks.StarterOptions{Orb: "demo", EncryptionSalt: "v1:c2FsdA==:v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==",
		KubeconfigCiphertext: "v1:AAAAAAAAAAAAAAAA:c2VjcmV0"}))
	remote := gittest.BareRemote(t, map[string]string{"Pulumi.demo.yaml": spec, "status/demo.yaml": seededStatus})
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, filepath.Dir(work), "clone", "-q", remote, work)
	gittest.Git(t, work, "commit", "-q", "--allow-empty", "-m",
		"orbos up demo: succeeded, 2 created\n\nOrbos-Changes: create=2\nOrbos-Holder: bob@ci pid 7\nOrbos-Operation: up\nOrbos-Outcome: succeeded\nOrbos-Run: 20260102T030000Z-a1b2c3\n")
	gittest.Git(t, work, "push", "-q", "origin", "HEAD:main")
	dir := t.TempDir()
	cfg := &orbconfig.Config{Orb: "demo", Repository: remote, Passphrase: "correct horse battery staple"}
	path := filepath.Join(dir, "orbconfig")
	if err := cfg.Save(path); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"ORBOS_CONFIG": path, "ORBOS_CHECKOUT": filepath.Join(dir, "checkout"), "ORBOS_OUTPUT": ""}, remote
}

// holdLock takes the ORB lock from another checkout as alice would, with fixed timestamps, and
// returns what in the output depends on this process (its host, pid, boot and the lock's commit),
// each with the placeholder the golden files show.
func holdLock(t *testing.T, remote string) *strings.Replacer {
	t.Helper()
	ctx := context.Background()
	repo, err := gitrepo.Open(ctx, gitrepo.Options{Dir: filepath.Join(t.TempDir(), "alice"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, err := orblock.Acquire(ctx, repo, orblock.Options{Holder: "alice@laptop pid 4242", Purpose: "up",
		RunID: "20260102T030405Z-abcdef", TTL: 2 * time.Minute, WallClock: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release(ctx) })
	host, _ := os.Hostname()
	info := l.Info()
	return strings.NewReplacer(l.Head(), "LOCKCOMMIT", l.Head()[:12], "LOCKCOMMI", info.BootID, "BOOTID",
		info.PIDNamespace, "PIDNS", `"pid": `+strconv.Itoa(os.Getpid()), `"pid": PID`, "pid: "+strconv.Itoa(os.Getpid()), "pid: PID",
		"pid "+strconv.Itoa(os.Getpid())+" on "+host, "pid PID on HOST", `"host": "`+host+`"`, `"host": "HOST"`, "host: "+host, "host: HOST")
}

// Every command that reads the ORB prints text, JSON and YAML of the same content.
func TestReadCommandsInEveryFormat(t *testing.T) {
	env, remote := seededORB(t)
	commands := map[string][]string{
		"status":     {"status"},
		"history":    {"history"},
		"secrets":    {"secrets", "list"},
		"config-get": {"config", "get", "orbos:orbiter.kubernetes.version"},
		"lock-free":  {"lock"},
	}
	check := func(name string, args []string, normalize *strings.Replacer) {
		t.Helper()
		for _, format := range outputFormats {
			out, errOut, code := orbctl(t, env, append(args, "-o", format)...)
			if code != 0 {
				t.Fatalf("%v -o %s: exit %d: %s", args, format, code, errOut)
			}
			golden.Assert(t, name+"-"+format, normalize.Replace(out))
		}
	}
	none := strings.NewReplacer()
	for name, args := range commands {
		check(name, args, none)
	}
	normalize := holdLock(t, remote)
	check("lock-held", []string{"lock"}, normalize)
	check("status-locked", []string{"status"}, normalize)
}
