package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/golden"
)

// fakeTools puts a stand-in Pulumi CLI that answers `pulumi version` where orbctl looks first.
func fakeTools(t *testing.T, answer string) string {
	t.Helper()
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1\" = version ] && echo " + answer + "\n"
	if err := os.WriteFile(filepath.Join(bin, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestVersion(t *testing.T) {
	tools := fakeTools(t, "v3.274.1")
	env := map[string]string{"ORBOS_TOOLS": tools}
	normalize := func(s string) string {
		s = strings.ReplaceAll(s, tools, "$ORBOS_TOOLS")
		return strings.ReplaceAll(s, runtime.Version(), "goX")
	}
	for _, format := range outputFormats {
		out, errOut, code := orbctl(t, env, "version", "-o", format)
		if code != 0 {
			t.Fatalf("version -o %s: exit %d: %s", format, code, errOut)
		}
		golden.Assert(t, "version-"+format, normalize(out))
	}
	// --version says the same as the command.
	cmdOut, _, _ := orbctl(t, env, "version")
	flagOut, _, code := orbctl(t, env, "--version")
	if code != 0 || flagOut != cmdOut {
		t.Errorf("--version: exit %d\n%s\nwant\n%s", code, flagOut, cmdOut)
	}
}

// Without a Pulumi CLI, version still answers, and says what is missing.
func TestVersionWithoutEngine(t *testing.T) {
	empty := t.TempDir()
	out, errOut, code := orbctl(t, map[string]string{"ORBOS_TOOLS": empty, "HOME": empty, "PATH": empty}, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Pulumi engine:   not found: pulumi: tool not found") || !strings.Contains(out, "kubernetes 4.25.0") {
		t.Errorf("version without the Pulumi CLI:\n%s", out)
	}
}
