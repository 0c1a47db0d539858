package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/orbos/orbos/mission/fleet"
)

func TestNotifySendsNewProblemsOnce(t *testing.T) {
	var mu sync.Mutex
	var got []Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer srv.Close()
	n := New([]string{srv.URL}, nil)
	failed := &fleet.ORB{Name: "a", Head: "c1", Problems: []fleet.Problem{{Level: fleet.Critical, Kind: "failed", Text: "last up failed"}}}
	// The first poll after a start only remembers.
	if ev := n.Notify(context.Background(), []*fleet.ORB{failed}); len(ev) != 0 {
		t.Fatalf("primed with %v", ev)
	}
	drift := &fleet.ORB{Name: "b", Head: "c9", Problems: []fleet.Problem{{Level: fleet.Warning, Kind: "drift", Text: "1 resource drifted"}}}
	n.Notify(context.Background(), []*fleet.ORB{failed, drift})
	n.Notify(context.Background(), []*fleet.ORB{failed, drift}) // nothing new
	failedAgain := &fleet.ORB{Name: "a", Head: "c2", Problems: failed.Problems}
	n.Notify(context.Background(), []*fleet.ORB{failedAgain, drift})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != (Event{Orb: "b", Commit: "c9", Level: "warning", Kind: "drift", Text: "1 resource drifted"}) || got[1].Orb != "a" || got[1].Commit != "c2" {
		t.Fatalf("webhooks %+v", got)
	}
}
