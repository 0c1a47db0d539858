package cronperiod

import (
	"testing"
	"time"
)

// The periods of the schedules backups use, as an operator would count them on a calendar.
func TestPeriodTable(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		schedule string
		want     time.Duration
	}{
		{"0 * * * *", time.Hour},
		{"*/15 * * * *", 15 * time.Minute},
		{"0 3 * * *", day},
		{"30 2,14 * * *", 12 * time.Hour},
		{"0 1,7 * * *", 18 * time.Hour}, // 07:00 to 01:00 the next day
		{"0 3 * * 1-5", 3 * day},        // Friday 03:00 to Monday 03:00
		{"0 3 * * 0", 7 * day},
		{"0 3 1 * *", 31 * day},           // the longest month
		{"0 3 31 * *", 61 * day},          // 31 August to 31 October: the months of 30 days are skipped
		{"0 0 29 2 *", (4*365 + 1) * day}, // leap days
	} {
		got, err := Period(tc.schedule)
		if err != nil {
			t.Errorf("%s: %v", tc.schedule, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: period %s, want %s", tc.schedule, got, tc.want)
		}
	}
}

func TestPeriodRefusesWhatNeverRepeats(t *testing.T) {
	for _, s := range []string{"0 3 * *", "61 * * * *", "0 0 30 2 *", "@daily", "0 3 * * * *"} {
		if p, err := Period(s); err == nil {
			t.Errorf("%q: period %s, want an error", s, p)
		}
	}
}
