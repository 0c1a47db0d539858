// Package e2e runs orbctl as a user runs it, start to finish, on real parts: the Pulumi CLI built from
// source, the kubernetes provider plugin, Git repositories with a bare remote, and a real
// kube-apiserver with etcd on loopback.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/test/testenv"
)

var (
	orbctlBin  string
	apiserver  *testenv.APIServer
	pulumiHome string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "orbos-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	orbctlBin = filepath.Join(tmp, "orbctl")
	build := exec.Command("go", "build", "-o", orbctlBin, "github.com/orbos/orbos/cmd/orbctl")
	// Static (as make image-context builds them): the real-cluster takeoff puts these very binaries into the reconciler image.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building orbctl:", err)
		return 1
	}
	// The policy pack lives next to orbctl, where orbctl finds it.
	build = exec.Command("go", "build", "-o", filepath.Join(tmp, "orbos-policy"), "github.com/orbos/orbos/cmd/orbos-policy")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building orbos-policy:", err)
		return 1
	}
	// In-process runs (the reconciler tests) find the policy pack on PATH.
	os.Setenv("PATH", tmp+string(os.PathListSeparator)+os.Getenv("PATH"))
	// One Pulumi home for the package: the provider plugin is installed into it once.
	pulumiHome = filepath.Join(tmp, "pulumi-home")
	if os.Getenv(testenv.SkipEnv) != "1" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		apiserver, err = testenv.StartAPIServer(ctx, filepath.Join(tmp, "apiserver"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer apiserver.Stop()
	}
	return m.Run()
}

// orb is one ORB of a test: a bare remote, an orbconfig and a checkout.
type orb struct {
	t         testing.TB
	name      string
	dir       string
	remote    string
	orbconfig string
	checkout  string
	env       []string
}

func needAPIServer(t testing.TB) {
	t.Helper()
	if apiserver == nil {
		t.Skip(testenv.SkipEnv + "=1: this test needs a real kube-apiserver")
	}
}

// newORB creates an ORB with `orbctl init` whose namespace is unique to the test.
func newORB(t testing.TB, name string) *orb {
	t.Helper()
	needAPIServer(t)
	dir := t.TempDir()
	o := &orb{
		t: t, name: name, dir: dir,
		remote:    gittest.BareRemote(t, nil),
		orbconfig: filepath.Join(dir, "orbconfig"),
		checkout:  filepath.Join(dir, "checkout"),
	}
	o.env = []string{"PULUMI_HOME=" + pulumiHome, "ORBOS_CONFIG=" + o.orbconfig, "ORBOS_CHECKOUT=" + o.checkout}
	// After the test, before its directory goes (cleanups run last first).
	t.Cleanup(func() { reapStrays(t, dir, o.checkout) })
	o.mustRun("init", "--orb", name, "--repo", o.remote, "--kubeconfig", apiserver.Kubeconfig)
	o.mustRun("config", "set", "orbos:orbiter.kubernetes.namespace", o.namespace())
	return o
}

func (o *orb) namespace() string { return "orb-" + o.name }

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

func (o *orb) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(orbctlBin, args...)
	cmd.Env = append(append(os.Environ(), o.env...), extraEnv...)
	cmd.Dir = o.dir
	return cmd
}

// runEnv runs orbctl to its end.
func (o *orb) runEnv(extraEnv []string, args ...string) result {
	o.t.Helper()
	cmd := o.command(extraEnv, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		o.t.Fatalf("orbctl %v: %v", args, err)
	}
	o.t.Logf("orbctl %s: exit %d in %.1fs\n%s", strings.Join(args, " "), r.code, took.Seconds(), r.stderr)
	return r
}

func (o *orb) run(args ...string) result { return o.runEnv(nil, args...) }

func (o *orb) mustRun(args ...string) result {
	o.t.Helper()
	r := o.run(args...)
	if r.code != 0 {
		o.t.Fatalf("orbctl %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// withCheckout returns the same ORB operated from another checkout, as from another machine.
func (o *orb) withCheckout(dir string) *orb {
	c := *o
	c.checkout = dir
	c.env = []string{"PULUMI_HOME=" + pulumiHome, "ORBOS_CONFIG=" + o.orbconfig, "ORBOS_CHECKOUT=" + dir}
	return &c
}

// remoteHead returns the commit the remote's main branch points at.
func (o *orb) remoteHead() string {
	o.t.Helper()
	return strings.TrimSpace(gittest.Git(o.t, o.remote, "rev-parse", "main"))
}

// remoteFile returns a file of the remote's main branch ("" when absent).
func (o *orb) remoteFile(path string) string {
	o.t.Helper()
	cmd := exec.Command("git", "show", "main:"+path)
	cmd.Dir = o.remote
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// stateResources lists "type name" of the resources in the remote's pushed Pulumi state.
func (o *orb) stateResources() []string {
	o.t.Helper()
	raw := o.remoteFile(".pulumi/stacks/orbos/" + o.name + ".json")
	if raw == "" {
		return nil
	}
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Resources []struct {
					URN  string `json:"urn"`
					Type string `json:"type"`
				} `json:"resources"`
				PendingOperations []any `json:"pending_operations"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.Unmarshal([]byte(raw), &cp); err != nil {
		o.t.Fatalf("pushed state: %v", err)
	}
	if n := len(cp.Checkpoint.Latest.PendingOperations); n > 0 {
		o.t.Errorf("pushed state has %d pending operations", n)
	}
	var out []string
	for _, r := range cp.Checkpoint.Latest.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") {
			out = append(out, r.Type+" "+r.URN[strings.LastIndex(r.URN, "::")+2:])
		}
	}
	sort.Strings(out)
	return out
}

// kube GETs path on the API server and returns the status code and decoded body.
func kube(t testing.TB, path string) (int, map[string]any) {
	t.Helper()
	code, body, err := apiserver.Get(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return code, m
}

// waitGone waits until path answers 404 (namespaces terminate asynchronously).
func waitGone(t testing.TB, path string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _ := kube(t, path)
		if code == http.StatusNotFound {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still exists (HTTP %d)", path, code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var lockFree = regexp.MustCompile(`(?m)^Lock:\s+free$`)

func processGone(pid int) bool { return syscall.Kill(pid, 0) != nil }
