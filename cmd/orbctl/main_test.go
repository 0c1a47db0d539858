package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/golden"
)

func orbctl(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestHelpTeaches(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"up", "--help"}, {"preview", "--help"}, {"config", "set", "--help"}} {
		out, _, code := orbctl(t, map[string]string{"HOME": "/home/user", "ORBOS_CONFIG": ""}, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		golden.Assert(t, strings.Join(append([]string{"help"}, args[:len(args)-1]...), "-"), out)
	}
}

func TestBadInputExitsWithTwo(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "world-readable")
	if err := os.WriteFile(open, []byte("orb: x\nrepository: /r\npassphrase: p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"status", "--output", "xml"}, "--output must be text, json or yaml"},
		{[]string{"up", "now"}, "takes no arguments"},
		{[]string{"up", "--no-such-flag"}, "unknown flag"},
		{[]string{"status", "--orbconfig", filepath.Join(dir, "missing")}, "orbctl init"},
		{[]string{"status", "--orbconfig", open}, "chmod 600"},
		{[]string{"init", "--orb", "Bad_Name", "--repo", "/r", "--orbconfig", filepath.Join(dir, "new")}, "--orb"},
		{[]string{"config", "get"}, "accepts 1 arg"},
		{[]string{"stauts"}, `unknown command "stauts" for "orbctl"; did you mean status?`},
		{[]string{"node", "reboto", "m-1"}, `unknown command "reboto" for "orbctl node"; did you mean reboot?`},
		{[]string{"secrets", "show"}, `unknown command "show" for "orbctl secrets"`},
		{[]string{"completion", "tcsh"}, `unknown command "tcsh" for "orbctl completion"`},
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"`},
		{[]string{"status", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"version", "extra"}, "takes no arguments"},
		{[]string{"kubeconfig", "--merge", "a", "b"}, "takes no arguments"},
		{[]string{"kubeconfig", "extra"}, "takes no arguments"},
		{[]string{"kubeconfig", "--merge", "a", "--file", "b", "--orbconfig", open}, "exclude each other"},
	}
	for _, c := range cases {
		_, errOut, code := orbctl(t, nil, c.args...)
		if code != exitInvalid || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, exitInvalid, c.want)
		}
		if !strings.Contains(errOut, "--help' for usage.") {
			t.Errorf("%v: no usage hint in %q", c.args, errOut)
		}
	}
}

func TestEnvironmentSetsGlobalFlags(t *testing.T) {
	_, errOut, code := orbctl(t, map[string]string{"ORBOS_OUTPUT": "xml"}, "status")
	if code != exitInvalid || !strings.Contains(errOut, `"xml"`) {
		t.Fatalf("ORBOS_OUTPUT=xml: exit %d, %s", code, errOut)
	}
	_, errOut, _ = orbctl(t, map[string]string{"ORBOS_OUTPUT": "text", "ORBOS_CONFIG": "/nonexistent/orbconfig"}, "status")
	if !strings.Contains(errOut, "/nonexistent/orbconfig") {
		t.Fatalf("ORBOS_CONFIG ignored: %s", errOut)
	}
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, _, code := orbctl(t, nil, "completion", shell)
		if code != 0 || !strings.Contains(out, "orbctl") {
			t.Errorf("completion %s: exit %d", shell, code)
		}
	}
	out, _, _ := orbctl(t, nil, "__complete", "--output", "")
	if !strings.Contains(out, "text") || !strings.Contains(out, "json") {
		t.Errorf("--output completion: %q", out)
	}
}

// The example ORBs planned against mocks: every resource with every input (BOOM's: every tool's
// chart with its pinned version).
func TestMockPreviewOfTheGCEExample(t *testing.T) {
	for _, ex := range []string{"gce", "static", "boom", "zitadel"} {
		out, errOut, code := orbctl(t, nil, "preview", "--mocks", "--spec", "../../examples/"+ex+"/Pulumi."+ex+"-demo.yaml")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", ex, code, errOut)
		}
		golden.Assert(t, "preview-mocks-"+ex, out)
	}
}

// The JSON Schema of the desired state, as editors get it: a change of the spec shows here.
func TestSchemaGolden(t *testing.T) {
	out, errOut, code := orbctl(t, nil, "schema")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.Assert(t, "schema", out)
}
