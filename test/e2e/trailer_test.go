package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// An up without the policy pack says so in its commit, its history entry and the status.
func TestNoPolicyIsRecordedInTheRunsCommit(t *testing.T) {
	o := newORB(t, "nopolicy")
	o.mustRun("up", "--no-policy")
	msg := gittest.Git(t, o.remote, "log", "-1", "--format=%B", "main")
	if !strings.Contains(msg, "Orbos-Policy: skipped (--no-policy)") {
		t.Fatalf("the run's commit:\n%s", msg)
	}
	var entries []struct {
		Operation, Policy string
	}
	if err := json.Unmarshal([]byte(o.mustRun("history", "-n", "1", "-o", "json").stdout), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Operation != "up" || entries[0].Policy == "" {
		t.Fatalf("history %+v", entries)
	}
	if !strings.Contains(o.remoteFile("status/nopolicy.yaml"), "noPolicy: true") {
		t.Fatalf("status:\n%s", o.remoteFile("status/nopolicy.yaml"))
	}
	o.mustRun("destroy", "--yes")
}
