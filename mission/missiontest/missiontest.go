// Package missiontest makes fixture ORB repositories for MISSION's tests and benchmark: real bare Git
// repositories whose commits are what orbctl writes (a desired-state file, status/<orb>.yaml and
// commits with orbos's trailers).
package missiontest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks"
)

// Spec is a valid desired-state file of a GCE ORB with a control pool and a workers pool.
func Spec(version string, workers int, metrics bool) string {
	return fmt.Sprintf(`# Desired state of a fixture ORB.
encryptionsalt: v1:ZXhhbXBsZQ==:v1:placeholder:placeholder
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    providers:
      gce:
        project: acme-fixture
        region: europe-west1
        zones: [europe-west1-b]
        pools:
          control:
            machineType: e2-standard-4
            count: 1
          workers:
            machineType: e2-standard-4
            # Scaled by hand when needed.
            count: %d
    loadBalancing:
      vips:
        - name: default
          transports:
            - name: kubeapi
              frontendPort: 6443
              backendPort: 6443
              backendPools: [control]
    kubernetes:
      version: %s
      controlPlane: {pool: control, nodes: 1}
      workers:
        - pool: workers
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      metrics:
        enabled: %t
  orbos:sshKey:
    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=
`, workers, version, metrics)
}

// Kind is what a fixture ORB's last run shows.
type Kind int

// Fixture kinds.
const (
	Healthy Kind = iota
	Failing
	Drifted
	Outdated // an older Kubernetes patch: an update is available
)

// Run is one commit of a fixture: files to write and the commit message.
type Run struct {
	Files   map[string]string
	Message string
	Author  string
}

// Status is a fixture's status/<orb>.yaml written by run-1.
func Status(orb, version string, k Kind, when time.Time) string {
	return StatusOfRun(orb, version, k, when, "run-1")
}

// StatusOfRun is a fixture's status/<orb>.yaml written by the run runID, which took two minutes.
func StatusOfRun(orb, version string, k Kind, when time.Time, runID string) string {
	s := record.Status{Orb: orb, Kubernetes: record.KubeStatus{DesiredVersion: version, Namespace: "orbos-system",
		CertExpiry: when.Add(300 * 24 * time.Hour).UTC().Format(time.RFC3339)},
		LastRun: record.RunRecord{Operation: "up", RunID: runID, Holder: "ci@runner", Started: when.Add(-2 * time.Minute), Finished: when, Outcome: "succeeded",
			Changes: map[string]int{"update": 1}},
		Nodes: []record.NodeStatus{{Name: orb + "-cp-0", Role: "init", Kubelet: version, Joined: true, Prepared: true},
			{Name: orb + "-w-0", Role: "worker", Kubelet: version, Joined: true, Prepared: true}},
	}
	switch k {
	case Failing:
		s.LastRun.Outcome = "failed"
		s.LastRun.Error = "kubeadm join failed on " + orb + "-w-1"
	case Drifted:
		s.Drift = &record.DriftReport{Checked: when, Resources: []record.Step{{Op: "update", Type: "orbos:host:File", Name: "haproxy.cfg", Status: "planned",
			Diffs: []record.Diff{{Path: "content", Kind: "update", Old: "a", New: "b"}}}}}
	}
	out := "# Written by orbctl after every run that changed something; read it with `orbctl status`.\n"
	raw, err := yamlMarshal(s)
	if err != nil {
		panic(err)
	}
	return out + raw
}

// Kubernetes versions of the fixtures: Newest has nothing newer in the embedded catalog; Older has
// a newer patch (OlderPatch) and a next minor (Newest). Tests run at Clock, before v1.36's end of life.
const (
	Newest     = "v1.37.1"
	Older      = "v1.36.1"
	OlderPatch = "v1.36.4"
)

// Clock is the time fixtures are looked at.
var Clock = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// Repo makes a bare repository for orb with a history: the first desired state, a run of up, a
// change of the worker count and a second run whose outcome is kind's. It returns the bare path.
func Repo(t testing.TB, orb string, k Kind) string {
	t.Helper()
	version := Newest
	if k == Outdated {
		version = Older
	}
	when := Clock.Add(-26 * time.Hour)
	runs := []Run{
		{Files: map[string]string{stacks.StackFileName(orb): Spec(version, 2, false)}, Message: "orbctl init " + orb, Author: "alice"},
		{Files: map[string]string{record.StatusPath(orb): Status(orb, version, Healthy, when),
			record.StatePath(orb): Checkpoint(orb, map[string]string{"cp-0": "a", "w-0": "a"}), historyPath(orb, when): History("update", "succeeded", when, map[string]int{"create": 7})},
			Message: record.Message("orbos up "+orb+": succeeded", "", record.Trailers{record.KeyOperation: "up", record.KeyOutcome: "succeeded",
				record.KeyRun: "run-1", record.KeyHolder: "ci@runner", record.KeyChanges: "create=7"}), Author: "orbos"},
		{Files: map[string]string{stacks.StackFileName(orb): Spec(version, 3, false)}, Message: "scale workers to 3", Author: "bob"},
		{Files: map[string]string{record.StatusPath(orb): StatusOfRun(orb, version, k, when.Add(time.Hour), "run-2"),
			record.StatePath(orb):                 Checkpoint(orb, map[string]string{"cp-0": "a", "w-0": "a", "w-1": "a"}),
			historyPath(orb, when.Add(time.Hour)): History("update", outcome(k), when.Add(time.Hour), map[string]int{"create": 1, "same": 2})},
			Message: record.Message("orbos up "+orb+": "+outcome(k), "", record.Trailers{record.KeyOperation: "up", record.KeyOutcome: outcome(k),
				record.KeyRun: "run-2", record.KeyHolder: "ci@runner", record.KeyChanges: "create=1"}), Author: "orbos"},
	}
	return Build(t, runs)
}

// MachineType is the resource type of the fixtures' machines.
const MachineType = "orbos:host:Machine"

// Checkpoint is a Pulumi checkpoint (version 3) of orb holding the stack and one machine per entry
// of machines, whose value is the machine's address output.
func Checkpoint(orb string, machines map[string]string) string {
	type res struct {
		URN     string         `json:"urn"`
		Custom  bool           `json:"custom"`
		ID      string         `json:"id,omitempty"`
		Type    string         `json:"type"`
		Outputs map[string]any `json:"outputs,omitempty"`
	}
	prefix := "urn:pulumi:" + orb + "::" + stacks.Project + "::"
	rs := []res{{URN: prefix + "pulumi:pulumi:Stack::" + stacks.Project + "-" + orb, Type: "pulumi:pulumi:Stack"}}
	for _, name := range slices.Sorted(maps.Keys(machines)) {
		rs = append(rs, res{URN: prefix + MachineType + "::" + name, Custom: true, ID: name, Type: MachineType,
			Outputs: map[string]any{"address": machines[name]}})
	}
	raw, err := json.MarshalIndent(map[string]any{"version": 3, "checkpoint": map[string]any{"stack": orb,
		"latest": map[string]any{"manifest": map[string]any{"time": "2026-01-01T00:00:00Z", "magic": "", "version": ""}, "resources": rs}}}, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(raw)
}

// History is one .history.json of Pulumi's file backend (backend.UpdateInfo): an update of kind with
// its result.
func History(kind, result string, end time.Time, changes map[string]int) string {
	raw, err := json.Marshal(map[string]any{"kind": kind, "startTime": end.Add(-2 * time.Minute).Unix(), "endTime": end.Unix(),
		"result": result, "message": "", "environment": map[string]string{"exec.kind": "auto.local"}, "version": 1, "resourceChanges": changes,
		// The engine's config format: a plain value is a string, a secret an object.
		"config": map[string]any{"orbos:orbiter": `{"apiVersion":"orbos.io/v1alpha1"}`, "orbos:sshKey": map[string]string{"secure": "v1:c2VjcmV0"}}})
	if err != nil {
		panic(err)
	}
	return string(raw)
}

func historyPath(orb string, end time.Time) string {
	return fmt.Sprintf(".pulumi/history/%s/%s/%s-%d.history.json", stacks.Project, orb, orb, end.UnixNano())
}

func outcome(k Kind) string {
	if k == Failing {
		return "failed"
	}
	return "succeeded"
}

// Build makes a bare repository whose main branch has one commit per run.
func Build(t testing.TB, runs []Run) string {
	t.Helper()
	bare := gittest.BareRemote(t, nil)
	work := filepath.Join(filepath.Dir(bare), "seed")
	gittest.Git(t, filepath.Dir(bare), "clone", "-q", bare, work)
	for _, r := range runs {
		for p, c := range r.Files {
			full := filepath.Join(work, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		gittest.Git(t, work, "add", "-A")
		gittest.Git(t, work, "-c", "user.name="+r.Author, "-c", "user.email="+r.Author+"@example.com",
			"commit", "-q", "--author", r.Author+" <"+r.Author+"@example.com>", "-m", r.Message)
	}
	gittest.Git(t, work, "push", "-q", "origin", "HEAD:main")
	return bare
}

// Push commits files onto the bare repository's main branch from a fresh clone (someone else's push).
func Push(t testing.TB, bare string, files map[string]string, msg string) {
	t.Helper()
	work := t.TempDir()
	gittest.Git(t, work, "clone", "-q", bare, "c")
	dir := filepath.Join(work, "c")
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gittest.Git(t, dir, "add", "-A")
	gittest.Git(t, dir, "commit", "-q", "-m", msg)
	gittest.Git(t, dir, "push", "-q", "origin", "HEAD:main")
}
