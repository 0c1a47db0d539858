package automation

import (
	"testing"
	"time"

	"github.com/orbos/orbos/automation/record"
)

// A drift check commits Zitadel's status only when it says something new: a new backup or a
// change of readiness, not the time of the reading or an age.
func TestSameZitadel(t *testing.T) {
	read := func(checked time.Time, last string) *record.ZitadelStatus {
		return &record.ZitadelStatus{Status: "ready", Replicas: record.Replicas{Wanted: 2, Ready: 2},
			Database: record.DatabaseStatus{Engine: "postgres", Cluster: "zitadel-db", Status: "ready"},
			Backups: &record.BackupsStatus{Schedule: "0 3 * * *", Checked: checked,
				LastSuccessful: &record.BackupRecord{Name: last, Age: checked.Format("15h")}}}
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if !sameZitadel(read(t0, "b1"), read(t0.Add(time.Hour), "b1")) {
		t.Error("a later reading of the same backup is news")
	}
	if sameZitadel(read(t0, "b1"), read(t0, "b2")) {
		t.Error("a new backup is no news")
	}
	notReady := read(t0, "b1")
	notReady.Database.Status = "progressing"
	if sameZitadel(read(t0, "b1"), notReady) || sameZitadel(nil, notReady) || !sameZitadel(nil, nil) {
		t.Error("a change of readiness, or Zitadel turned on, is no news")
	}
}
