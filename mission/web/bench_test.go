package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/missiontest"
)

// benchORBs is the fleet size of the benchmarks.
const benchORBs = 200

var (
	benchOnce  sync.Once
	benchFleet *fleet.Fleet
	benchSrv   *Server
	benchSess  *auth.Sessions
	benchFirst time.Duration
	benchHeap  float64
)

// benchSetup makes 200 fixture ORB repositories (a quarter each failing, drifted, outdated and
// healthy), reads them all once and measures the heap that holds the fleet.
func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		cfg := &config.Config{DataDir: b.TempDir(), Admin: &config.Admin{User: "admin"}}
		for i := range benchORBs {
			name := fmt.Sprintf("orb-%03d", i)
			bare := missiontest.Repo(b, name, missiontest.Kind(i%4))
			cfg.Orbs = append(cfg.Orbs, config.Orb{Name: name, URL: bare, Branch: "main"})
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		benchFleet = fleet.New(cfg, catalog.Embedded(), func() time.Time { return missiontest.Clock })
		start := time.Now()
		benchFleet.Poll(context.Background())
		benchFirst = time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		benchHeap = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		benchSess = auth.NewSessions(false)
		var err error
		if benchSrv, err = New(cfg, benchFleet, Options{Sessions: benchSess}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkPollCycle is one poll of 200 ORBs whose branches did not move: one ref listing each.
func BenchmarkPollCycle(b *testing.B) {
	benchSetup(b)
	for b.Loop() {
		benchFleet.Poll(context.Background())
	}
	b.ReportMetric(benchFirst.Seconds(), "first-read-s")
	b.ReportMetric(benchHeap, "fleet-heap-MiB")
	for _, o := range benchFleet.Snapshot() {
		if o.Error != "" {
			b.Fatalf("%s: %s", o.Name, o.Error)
		}
	}
}

// BenchmarkFleetPage renders the fleet page of 200 ORBs for the local admin, warm.
func BenchmarkFleetPage(b *testing.B) {
	benchSetup(b)
	rec := httptest.NewRecorder()
	benchSess.Start(rec, auth.User{Name: "admin", Email: "admin", Admin: true})
	cookie := rec.Result().Cookies()[0]
	h := benchSrv.Handler()
	size := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size)/1024, "page-KiB")
}

// BenchmarkORBPage renders one ORB's page (timeline with each run's resources, four charts), warm;
// the first render, which reads the run series and the checkpoints from Git, is reported as cold-ms.
func BenchmarkORBPage(b *testing.B) {
	benchSetup(b)
	rec := httptest.NewRecorder()
	benchSess.Start(rec, auth.User{Name: "admin", Email: "admin", Admin: true})
	cookie := rec.Result().Cookies()[0]
	h := benchSrv.Handler()
	get := func() int {
		req := httptest.NewRequest(http.MethodGet, "/orbs/orb-001", nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		return w.Body.Len()
	}
	start := time.Now()
	size := get()
	cold := time.Since(start)
	for b.Loop() {
		size = get()
	}
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
	b.ReportMetric(float64(size)/1024, "page-KiB")
}
