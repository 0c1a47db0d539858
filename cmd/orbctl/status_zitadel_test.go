package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/internal/golden"
)

// zitadelStatus is Zitadel's section of status/demo.yaml as a run after a restore wrote it: the
// database still catching up, and a failed backup newer than the last good one.
const zitadelStatus = `zitadel:
  version: v4.13.0
  externalURL: https://id.example.com
  namespace: zitadel
  replicas: {wanted: 3, ready: 3}
  status: ready
  database:
    engine: postgres
    cluster: zitadel-db-r1
    instances: {wanted: 3, ready: 2}
    status: progressing
    detail: "2 of 3 instances ready; Waiting for the instances to become active"
  backups:
    schedule: 0 3 * * *
    period: 1d
    destination: s3://example-orb-backups/demo
    checked: 2026-01-02T03:00:09Z
    lastSuccessful: {name: zitadel-db-r1-daily-20260101030000, finished: 2026-01-01T03:04:00Z, age: 23h56m}
    lastFailed: {name: zitadel-db-r1-daily-20260102030000, finished: 2026-01-02T02:58:00Z, age: 2m, error: "can't upload: 403 Forbidden"}
  restoredFrom: {generation: 1, backup: zitadel-db-daily-20251231030000, toTime: "2025-12-31T10:00:00Z"}
`

// orbctl status shows Zitadel, its database and its backups in every format.
func TestStatusShowsZitadel(t *testing.T) {
	env, remote := seededORB(t)
	work := filepath.Join(t.TempDir(), "work")
	gittest.Git(t, filepath.Dir(work), "clone", "-q", remote, work)
	if err := os.WriteFile(filepath.Join(work, "status", "demo.yaml"), []byte(seededStatus+zitadelStatus), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, work, "commit", "-qam", "orbos up demo: succeeded")
	gittest.Git(t, work, "push", "-q", "origin", "HEAD:main")
	for _, format := range outputFormats {
		out, errOut, code := orbctl(t, env, "status", "-o", format)
		if code != 0 {
			t.Fatalf("status -o %s: exit %d: %s", format, code, errOut)
		}
		golden.Assert(t, "status-zitadel-"+format, out)
		if !strings.Contains(out, "zitadel-db-r1-daily-20260101030000") || !strings.Contains(out, "s3://example-orb-backups/demo") {
			t.Errorf("-o %s lacks the last backup or its destination:\n%s", format, out)
		}
	}
}
