package reconciler

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orblock"
)

// Metrics are the reconciler's Prometheus metrics, on a registry of their own.
type Metrics struct {
	Registry    *prometheus.Registry
	Cycles      *prometheus.CounterVec
	Runs        *prometheus.CounterVec
	RunSeconds  prometheus.Histogram
	LockWaits   prometheus.Counter
	Drift       prometheus.Gauge
	LastSuccess prometheus.Gauge
	// Zitadel holds what the last reading of Zitadel's backups found (zitadel_metrics.go).
	Zitadel zitadelGauges

	// now is the reconciler's clock; heldRun and heldSince are the other holder's run the
	// reconciler last found holding the ORB lock and when it first saw it, on that clock (the
	// holder's own timestamps are never compared with this machine's clock).
	now       func() time.Time
	mu        sync.Mutex
	heldRun   string
	heldSince time.Time
}

// NewMetrics registers the metrics, with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbos_reconciler_cycles_total", Help: "Reconciler cycles by what they did.",
		}, []string{"action"}),
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orbos_reconciler_runs_total", Help: "Engine runs by operation and outcome.",
		}, []string{"operation", "outcome"}),
		RunSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "orbos_reconciler_run_duration_seconds", Help: "Duration of engine runs.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 12),
		}),
		LockWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "orbos_reconciler_lock_busy_total", Help: "Runs that found the ORB locked by another holder.",
		}),
		Drift: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orbos_reconciler_drifted_resources", Help: "Resources the last drift check found drifted.",
		}),
		LastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "orbos_reconciler_last_success_timestamp_seconds", Help: "When the last run succeeded.",
		}),
		Zitadel: newZitadelGauges(),
		now:     time.Now,
	}
	// Read at every scrape, so that a lock held for hours shows its age between two tries.
	lockHeld := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "orbos_reconciler_lock_held_seconds",
		Help: "How long the reconciler has seen the ORB lock held by one run of another holder (its own clock; 0 once it found the lock free).",
	}, m.lockHeldSeconds)
	// The runs' series exist at 0 from the start: increase() sees no rise in a series whose first
	// sample is already 1, so a reconciler that restarted and then failed once would alert only at
	// its second failure (OrbosReconcilerFailing reads the failed runs' increase).
	for _, op := range []automation.Operation{automation.Up, automation.Drift} {
		for _, outcome := range []string{automation.Succeeded, automation.Failed} {
			m.Runs.WithLabelValues(string(op), outcome)
		}
	}
	m.Registry.MustRegister(m.Cycles, m.Runs, m.RunSeconds, m.LockWaits, m.Drift, m.LastSuccess, lockHeld, m.Zitadel.lastBackup, m.Zitadel.period,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// lockHeld notes the lock found held by another holder's run; a run of the reconciler's own that
// got the lock calls it with nil.
func (m *Metrics) lockHeld(held *orblock.Info) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case held == nil:
		m.heldRun, m.heldSince = "", time.Time{}
	case held.RunID != m.heldRun || m.heldSince.IsZero():
		// Another run, even of the same holder, is another run: its age starts now.
		m.heldRun, m.heldSince = held.RunID, m.now()
	}
}

func (m *Metrics) lockHeldSeconds() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.heldSince.IsZero() {
		return 0
	}
	return m.now().Sub(m.heldSince).Seconds()
}

func (m *Metrics) cycle(a Action, _ time.Duration) { m.Cycles.WithLabelValues(string(a)).Inc() }

func (m *Metrics) run(res *automation.Result, err error) {
	var held *orblock.HeldError
	if errors.As(err, &held) {
		m.LockWaits.Inc()
		m.lockHeld(&held.Info)
		return
	}
	if res == nil {
		return
	}
	// The run took the lock (whatever became of it afterwards).
	m.lockHeld(nil)
	outcome := res.Outcome
	if outcome == "" {
		outcome = automation.Failed
	}
	m.Runs.WithLabelValues(string(res.Operation), outcome).Inc()
	m.RunSeconds.Observe(res.Seconds)
}

func (m *Metrics) success(t time.Time) { m.LastSuccess.Set(float64(t.Unix())) }

// Handler serves /healthz (the process runs), /readyz (it has reached the repository) and /metrics.
func (r *Reconciler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !r.Ready() {
			http.Error(w, "not yet reached the ORB repository", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(r.Metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}
