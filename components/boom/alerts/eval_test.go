package alerts

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/template"
)

// The rules are evaluated as Prometheus evaluates them (its engine, `for`, its template expander for
// the annotations) on sample series, so that each alert is shown to fire where
// it should and to stay quiet where it should not. Sample times start at the Unix epoch, so time()
// in an expression is the time since the first sample.

// sample is one series of a scenario, in the exposition format's notation: its value at each step, or no sample (false).
type sample struct {
	series string
	value  func(at time.Duration) (float64, bool)
}

// scenario evaluates one rule at each interval from `from` to `until` and says whether it fires then.
type scenario struct {
	name        string
	alert       string
	options     Options
	samples     []sample
	from, until time.Duration
	fires       bool
	// labels the firing alert must carry, and a part of its expanded description.
	labels      map[string]string
	description string
}

// interval is both the samples' spacing (a scrape interval) and the rules' evaluation interval:
// Prometheus's default for both is a minute. Scenarios over days take one of five minutes, which
// is still finer than any of their rules' `for`.
func interval(until time.Duration) time.Duration {
	if until > day {
		return 5 * time.Minute
	}
	return time.Minute
}

const reconcilerJob = `{namespace="orb-prod",job="orbos-reconciler"}`

func constant(v float64) func(time.Duration) (float64, bool) {
	return func(time.Duration) (float64, bool) { return v, true }
}

// counter counts events every `every` from `start` (0 before: the series exists from the first sample).
func counter(start, every time.Duration) func(time.Duration) (float64, bool) {
	return func(at time.Duration) (float64, bool) {
		if at < start {
			return 0, true
		}
		return float64((at-start)/every + 1), true
	}
}

// lastEvent is the Unix time of the newest event at or before `at` of events every `every` from
// `start` until `stop` (0 before the first).
func lastEvent(start, every, stop time.Duration) func(time.Duration) (float64, bool) {
	return func(at time.Duration) (float64, bool) {
		if at < start {
			return 0, true
		}
		if at > stop {
			at = stop
		}
		return (start + (at-start)/every*every).Seconds(), true
	}
}

// between is v from `from` until `until` and other outside.
func between(from, until time.Duration, v, other float64) func(time.Duration) (float64, bool) {
	return func(at time.Duration) (float64, bool) {
		if at >= from && at < until {
			return v, true
		}
		return other, true
	}
}

const day = 24 * time.Hour

func pgZitadel() *Zitadel {
	return &Zitadel{Namespace: "zitadel", Engine: "postgres", Cluster: "zitadel-db-r2", Instances: 3, BackupPeriod: day}
}

func crdbZitadel() *Zitadel {
	return &Zitadel{Namespace: "zitadel", Engine: "cockroachdb", Cluster: "zitadel-db", Instances: 3}
}

func podReady(pod string, v func(time.Duration) (float64, bool)) sample {
	return sample{fmt.Sprintf(`kube_pod_status_ready{namespace="zitadel",pod=%q,condition="true"}`, pod), v}
}

func deployment(metric string, v float64) sample {
	return sample{metric + `{namespace="zitadel",deployment="zitadel"}`, constant(v)}
}

func scenarios() []scenario {
	return []scenario{
		{name: "runs fail and none succeeds", alert: "OrbosReconcilerFailing", fires: true, until: 90 * time.Minute,
			samples: []sample{
				{`orbos_reconciler_runs_total{namespace="orb-prod",job="orbos-reconciler",operation="up",outcome="failed"}`, counter(time.Hour, 10*time.Minute)},
				{`orbos_reconciler_runs_total{namespace="orb-prod",job="orbos-reconciler",operation="up",outcome="succeeded"}`, constant(4)},
			},
			labels: map[string]string{"namespace": "orb-prod", "severity": "critical"}, description: "none succeeded"},
		{name: "a failure the next run mends", alert: "OrbosReconcilerFailing", until: 90 * time.Minute,
			samples: []sample{
				{`orbos_reconciler_runs_total{namespace="orb-prod",job="orbos-reconciler",operation="up",outcome="failed"}`, between(time.Hour, 1000*time.Hour, 1, 0)},
				{`orbos_reconciler_runs_total{namespace="orb-prod",job="orbos-reconciler",operation="up",outcome="succeeded"}`, counter(70*time.Minute, 10*time.Minute)},
			}},
		{name: "no success for three resyncs", alert: "OrbosReconcilerStalled", fires: true, until: 60 * time.Minute,
			samples: []sample{{`orbos_reconciler_last_success_timestamp_seconds` + reconcilerJob, constant(600)}},
			labels:  map[string]string{"namespace": "orb-prod", "severity": "warning"}, description: "more than 30m"},
		{name: "a success every resync", alert: "OrbosReconcilerStalled", until: 3 * time.Hour,
			samples: []sample{{`orbos_reconciler_last_success_timestamp_seconds` + reconcilerJob, lastEvent(0, 10*time.Minute, 1000*time.Hour)}}},
		{name: "drift for half an hour", alert: "OrbosDriftFound", fires: true, until: 50 * time.Minute,
			samples: []sample{{`orbos_reconciler_drifted_resources` + reconcilerJob, between(10*time.Minute, time.Hour, 3, 0)}},
			labels:  map[string]string{"namespace": "orb-prod"}, description: "found 3 resources"},
		{name: "drift corrected within the half hour", alert: "OrbosDriftFound", until: 2 * time.Hour,
			samples: []sample{{`orbos_reconciler_drifted_resources` + reconcilerJob, between(10*time.Minute, 35*time.Minute, 3, 0)}}},
		{name: "a lock held over an hour", alert: "OrbosLockHeldTooLong", fires: true, until: 80 * time.Minute,
			samples: []sample{{`orbos_reconciler_lock_held_seconds` + reconcilerJob, heldSince(5 * time.Minute)}},
			labels:  map[string]string{"namespace": "orb-prod"}, description: "1h 1"},
		{name: "a lock held for a run", alert: "OrbosLockHeldTooLong", until: 3 * time.Hour,
			samples: []sample{{`orbos_reconciler_lock_held_seconds` + reconcilerJob, constant(300)}}},
		{name: "a certificate with 20 days left", alert: "OrbosCertificateExpiresSoon", fires: true, until: 2 * time.Hour,
			samples: []sample{{`certmanager_certificate_expiration_timestamp_seconds{namespace="gateway",name="wildcard"}`, constant((20 * day).Seconds())}},
			labels:  map[string]string{"name": "wildcard", "namespace": "gateway", "severity": "warning"}, description: "gateway/wildcard expires in 19d 22h"},
		{name: "a certificate with 20 days left is not very soon", alert: "OrbosCertificateExpiresVerySoon", until: 2 * time.Hour,
			samples: []sample{{`certmanager_certificate_expiration_timestamp_seconds{namespace="gateway",name="wildcard"}`, constant((20 * day).Seconds())}}},
		{name: "a certificate with 5 days left", alert: "OrbosCertificateExpiresVerySoon", fires: true, until: 2 * time.Hour,
			samples: []sample{{`certmanager_certificate_expiration_timestamp_seconds{namespace="gateway",name="wildcard"}`, constant((5 * day).Seconds())}},
			labels:  map[string]string{"severity": "critical"}, description: "expires in 4d 22h"},
		{name: "a renewed certificate", alert: "OrbosCertificateExpiresSoon", until: 2 * time.Hour,
			samples: []sample{{`certmanager_certificate_expiration_timestamp_seconds{namespace="gateway",name="wildcard"}`, constant((60 * day).Seconds())}}},

		{name: "daily backups", alert: "OrbosZitadelBackupMissing", options: Options{Zitadel: pgZitadel()}, until: 5 * day,
			samples: []sample{backup(lastEvent(3*time.Hour, day, 1000*day))}},
		{name: "backups stopped after the second: pending within 2 periods and 30m", alert: "OrbosZitadelBackupMissing", options: Options{Zitadel: pgZitadel()},
			until: 27*time.Hour + 2*day + 25*time.Minute, samples: []sample{backup(lastEvent(3*time.Hour, day, 27*time.Hour))}},
		{name: "backups stopped after the second: firing after 2 periods and 30m", alert: "OrbosZitadelBackupMissing", options: Options{Zitadel: pgZitadel()}, fires: true,
			until: 27*time.Hour + 2*day + 35*time.Minute, samples: []sample{backup(lastEvent(3*time.Hour, day, 27*time.Hour))},
			labels: map[string]string{"namespace": "orb-prod", "severity": "critical"}, description: "finished 2d 0h 3"},
		{name: "never a backup", alert: "OrbosZitadelBackupMissing", options: Options{Zitadel: pgZitadel()}, fires: true,
			from: 3 * day, until: 3*day + 40*time.Minute, samples: []sample{backup(constant(0))}},
		{name: "Zitadel short of a replica", alert: "OrbosZitadelNotReady", options: Options{Zitadel: pgZitadel()}, fires: true, until: 20 * time.Minute,
			samples: []sample{deployment("kube_deployment_spec_replicas", 2), deployment("kube_deployment_status_replicas_available", 1)},
			labels:  map[string]string{"namespace": "zitadel", "severity": "warning"}, description: "has 1 available"},
		{name: "Zitadel scaled to zero for a restore", alert: "OrbosZitadelNotReady", options: Options{Zitadel: pgZitadel()}, until: time.Hour,
			samples: []sample{deployment("kube_deployment_spec_replicas", 0), deployment("kube_deployment_status_replicas_available", 0)}},
		{name: "Zitadel in a rolling update", alert: "OrbosZitadelNotReady", options: Options{Zitadel: pgZitadel()}, until: time.Hour,
			samples: []sample{deployment("kube_deployment_spec_replicas", 2),
				{`kube_deployment_status_replicas_available{namespace="zitadel",deployment="zitadel"}`, between(10*time.Minute, 15*time.Minute, 1, 2)}}},
		{name: "a database instance not ready", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: pgZitadel()}, fires: true, until: 30 * time.Minute,
			samples: []sample{podReady("zitadel-db-r2-1", constant(1)), podReady("zitadel-db-r2-2", constant(1)), podReady("zitadel-db-r2-3", between(10*time.Minute, time.Hour, 0, 1))},
			labels:  map[string]string{"severity": "critical"}, description: "(2 now)"},
		{name: "the old cluster's and the init job's pods do not count", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: pgZitadel()}, fires: true, until: 30 * time.Minute,
			samples:     []sample{podReady("zitadel-db-r2-1", constant(1)), podReady("zitadel-db-r2-1-initdb-x7k2p", constant(1)), podReady("zitadel-db-1", constant(1)), podReady("zitadel-db-2", constant(1))},
			description: "(1 now)"},
		{name: "no database pod at all", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: pgZitadel()}, fires: true, until: 30 * time.Minute,
			samples: []sample{podReady("other-1", constant(1))}, description: "(0 now)"},
		{name: "every database instance ready", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: pgZitadel()}, until: time.Hour,
			samples: []sample{podReady("zitadel-db-r2-1", constant(1)), podReady("zitadel-db-r2-2", constant(1)), podReady("zitadel-db-r2-3", constant(1))}},
		{name: "a CockroachDB node not ready", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: crdbZitadel()}, fires: true, until: 30 * time.Minute,
			samples: []sample{
				{`kube_statefulset_replicas{namespace="zitadel",statefulset="zitadel-db-cockroachdb"}`, constant(3)},
				{`kube_statefulset_status_replicas_ready{namespace="zitadel",statefulset="zitadel-db-cockroachdb"}`, constant(2)},
			}, description: "(2 now)"},
		{name: "every CockroachDB node ready", alert: "OrbosZitadelDatabaseNotReady", options: Options{Zitadel: crdbZitadel()}, until: time.Hour,
			samples: []sample{
				{`kube_statefulset_replicas{namespace="zitadel",statefulset="zitadel-db-cockroachdb"}`, constant(3)},
				{`kube_statefulset_status_replicas_ready{namespace="zitadel",statefulset="zitadel-db-cockroachdb"}`, constant(3)},
			}},
	}
}

// backup is the reconciler's gauge of the live cluster's last successful backup.
func backup(v func(time.Duration) (float64, bool)) sample {
	return sample{LastBackupMetric + `{namespace="orb-prod",job="orbos-reconciler",cluster="zitadel-db-r2"}`, v}
}

// heldSince is the lock-held gauge of a lock another run took at `since`.
func heldSince(since time.Duration) func(time.Duration) (float64, bool) {
	return func(at time.Duration) (float64, bool) {
		if at < since {
			return 0, true
		}
		return (at - since).Seconds(), true
	}
}

// rule finds the named rule among the groups the options make.
func rule(t *testing.T, o Options, name string) Rule {
	t.Helper()
	for _, g := range Groups(o) {
		for _, r := range g.Rules {
			if r.Alert == name {
				return r
			}
		}
	}
	t.Fatalf("no rule %s", name)
	return Rule{}
}

// alert is one alert of a rule after the evaluations: its labels (the series' and the rule's), when
// its condition began to hold, the sample of the last evaluation, and from that evaluation whether
// it fires and its expanded annotations.
type alert struct {
	labels      labels.Labels
	activeAt    time.Duration
	sample      promql.Sample
	firing      bool
	annotations map[string]string
}

// evaluate runs r at each interval from `from` to `until` as Prometheus's alerting rules run: an alert
// per series the expression returns, pending from its first evaluation, firing once its condition
// held for the rule's `for`, and gone at the first evaluation without it. Annotations are expanded
// at the last evaluation with the template functions and variables Prometheus gives them.
func evaluate(t *testing.T, r Rule, samples []sample, from, until time.Duration) []*alert {
	t.Helper()
	every := interval(until)
	storage, err := newMemStorage(samples, every, until)
	if err != nil {
		t.Fatal(err)
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 1_000_000, Timeout: time.Minute, Parser: parser.NewParser(parser.Options{})})
	t.Cleanup(func() { _ = engine.Close() })
	hold, err := model.ParseDuration(r.For)
	if err != nil {
		t.Fatalf("%s: for %q: %v", r.Alert, r.For, err)
	}
	ctx := context.Background()
	active := map[uint64]*alert{}
	last := from
	for at := from; at <= until; at += every {
		last = at
		q, err := engine.NewInstantQuery(ctx, storage, nil, r.Expr, time.Unix(0, 0).Add(at))
		if err != nil {
			t.Fatalf("%s: %v", r.Alert, err)
		}
		res := q.Exec(ctx)
		vector, err := res.Vector()
		if res.Err != nil || err != nil {
			t.Fatalf("%s at %s: %v %v", r.Alert, at, res.Err, err)
		}
		seen := map[uint64]bool{}
		for _, smpl := range vector {
			b := labels.NewBuilder(smpl.Metric)
			b.Del(labels.MetricName)
			for k, v := range r.Labels {
				b.Set(k, v)
			}
			b.Set(labels.AlertName, r.Alert)
			l := b.Labels()
			h := l.Hash()
			seen[h] = true
			if active[h] == nil {
				active[h] = &alert{labels: l, activeAt: at}
			}
			active[h].sample = smpl
		}
		for h := range active {
			if !seen[h] {
				delete(active, h)
			}
		}
		q.Close()
	}
	var alerts []*alert
	for _, a := range active {
		a.firing = last-a.activeAt >= time.Duration(hold)
		a.annotations = expand(t, r, a.sample, last)
		alerts = append(alerts, a)
	}
	return alerts
}

// expand renders the rule's annotations for one sample, with $labels and $value as Prometheus sets them.
func expand(t *testing.T, r Rule, smpl promql.Sample, at time.Duration) map[string]string {
	t.Helper()
	defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
	data := template.AlertTemplateData(smpl.Metric.Map(), nil, "", smpl)
	out := map[string]string{}
	for name, text := range r.Annotations {
		e := template.NewTemplateExpander(context.Background(), defs+text, "__alert_"+r.Alert, data,
			model.Time(time.Unix(0, 0).Add(at).UnixMilli()), nil, nil, nil)
		v, err := e.Expand()
		if err != nil {
			t.Errorf("%s: annotation %s: %v", r.Alert, name, err)
		}
		out[name] = v
	}
	return out
}

func TestRulesFireOnSampleSeries(t *testing.T) {
	for _, s := range scenarios() {
		t.Run(s.name, func(t *testing.T) {
			r := rule(t, s.options, s.alert)
			var firing []*alert
			for _, a := range evaluate(t, r, s.samples, s.from, s.until) {
				for name, v := range a.annotations {
					if strings.Contains(v, "<no value>") {
						t.Errorf("annotation %s: %q", name, v)
					}
				}
				if a.firing {
					firing = append(firing, a)
				}
			}
			if !s.fires {
				if len(firing) > 0 {
					t.Fatalf("%s fires at %s: %v", s.alert, s.until, firing[0].labels)
				}
				return
			}
			if len(firing) != 1 {
				t.Fatalf("%s: %d alerts firing at %s, want 1", s.alert, len(firing), s.until)
			}
			a := firing[0]
			for k, v := range s.labels {
				if got := a.labels.Get(k); got != v {
					t.Errorf("label %s=%q, want %q (all: %v)", k, got, v, a.labels)
				}
			}
			if d := a.annotations[Description]; !strings.Contains(d, s.description) {
				t.Errorf("description %q does not say %q", d, s.description)
			}
		})
	}
}

// Every rule orbos ships is shown both firing and quiet on sample series.
func TestEveryRuleHasSampleScenarios(t *testing.T) {
	names := map[string]bool{}
	for _, o := range []Options{{Zitadel: pgZitadel()}, {Zitadel: crdbZitadel()}} {
		for _, g := range Groups(o) {
			for _, r := range g.Rules {
				names[r.Alert] = true
			}
		}
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, s := range scenarios() {
		if s.fires {
			fires[s.alert] = true
		} else {
			quiet[s.alert] = true
		}
	}
	var missing []string
	for n := range names {
		if !fires[n] || !quiet[n] {
			missing = append(missing, fmt.Sprintf("%s (firing %v, quiet %v)", n, fires[n], quiet[n]))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules without sample scenarios: %s", strings.Join(missing, ", "))
	}
}
