// Package cronperiod computes how far apart the runs of a cron schedule can be: the period an
// alert on a missed run must allow. It is measured, not guessed from the fields: the longest gap
// between consecutive runs over years of the schedule's calendar (weekdays-only schedules have a
// weekend gap, monthly ones a 31-day gap, a 29th of February one a gap of years).
package cronperiod

import (
	"errors"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// parser reads the five fields of a standard cron line (minute hour day-of-month month
// day-of-week), as Kubernetes CronJobs, CloudNativePG (after its seconds field) and CockroachDB take them.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

const (
	// horizon is how far the schedule is followed: more than four years, so that a leap day counts.
	horizon = 5 * 366 * 24 * time.Hour
	// maxRuns bounds the walk for frequent schedules; at one run a minute it still spans two months,
	// enough for a month's or a weekday's gap to show.
	maxRuns = 100_000
)

// start is a fixed start (a Monday, UTC) so that the result never depends on when it is computed.
var start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Period returns the longest gap between two consecutive runs of schedule, in UTC.
func Period(schedule string) (time.Duration, error) {
	s, err := parser.Parse(schedule)
	if err != nil {
		return 0, fmt.Errorf("cron schedule %q: %w", schedule, err)
	}
	end := start.Add(horizon)
	prev := s.Next(start)
	if prev.IsZero() || prev.After(end) {
		return 0, fmt.Errorf("cron schedule %q: %w", schedule, errNever)
	}
	var longest time.Duration
	runs := 0
	for runs < maxRuns {
		next := s.Next(prev)
		if next.IsZero() || next.After(end) {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
		runs++
	}
	if runs == 0 {
		return 0, fmt.Errorf("cron schedule %q: %w", schedule, errOnce)
	}
	return longest, nil
}

var (
	errNever = errors.New("never runs")
	errOnce  = errors.New("runs only once in five years")
)
