package reconciler

import (
	"testing"
	"time"
)

func TestBackoffTriplesUpToItsMaximum(t *testing.T) {
	r := New(nil, Options{BackoffBase: 10 * time.Second, BackoffMax: 10 * time.Minute})
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 30 * time.Second, 3: 90 * time.Second, 4: 270 * time.Second, 5: 10 * time.Minute, 9: 10 * time.Minute} {
		if got := r.backoff(n); got != want {
			t.Errorf("after %d failures: %s, want %s", n, got, want)
		}
	}
}
