package stacks

import (
	"strings"
	"testing"
)

// A schedule of five fields that cron cannot run, or that never comes round, is refused by path:
// the missing-backup alert needs the schedule's period.
func TestBackupScheduleMustRepeat(t *testing.T) {
	for _, schedule := range []string{"61 3 * * *", "0 3 30 2 *", "0 3 * * MONDAY"} {
		raw := strings.Replace(zitadelFile, `schedule: "0 3 * * *"`, `schedule: "`+schedule+`"`, 1)
		_, err := Parse("demo", []byte(raw))
		assertPaths(t, err, []string{"config.orbos:zitadel.database.backups.schedule"})
	}
	for _, schedule := range []string{"0 3 * * 1-5", "*/30 * * * *", "0 3 1 * *", "0 3 * * MON"} {
		raw := strings.Replace(zitadelFile, `schedule: "0 3 * * *"`, `schedule: "`+schedule+`"`, 1)
		if _, err := Parse("demo", []byte(raw)); err != nil {
			t.Errorf("%s: %v", schedule, err)
		}
	}
}
