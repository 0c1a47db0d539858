package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/cronperiod"
	"github.com/orbos/orbos/internal/golden"
)

func zitadelRules(t *testing.T, z *Zitadel) map[string]Rule {
	t.Helper()
	rules := map[string]Rule{}
	for _, g := range Groups(Options{Zitadel: z}) {
		if g.Name != "orbos.zitadel" {
			continue
		}
		for _, r := range g.Rules {
			rules[r.Alert] = r
		}
	}
	return rules
}

func period(t *testing.T, schedule string) time.Duration {
	t.Helper()
	p, err := cronperiod.Period(schedule)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Zitadel's rules as the PrometheusRule holds them (testdata/rules-zitadel.golden); each parses with
// Prometheus's parser, filters, and says what to do, as every orbos rule must.
func TestZitadelRulesGolden(t *testing.T) {
	pg := &Zitadel{Namespace: "zitadel", Engine: "postgres", Cluster: "zitadel-db-r2", Instances: 3, BackupPeriod: period(t, "0 3 * * *")}
	crdb := &Zitadel{Namespace: "zitadel", Engine: "cockroachdb", Cluster: "zitadel-db", Instances: 3}
	var all []Group
	p := parser.NewParser(parser.Options{})
	for _, z := range []*Zitadel{pg, crdb} {
		for _, g := range Groups(Options{Zitadel: z}) {
			if g.Name != "orbos.zitadel" {
				continue
			}
			all = append(all, g)
			for _, r := range g.Rules {
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					t.Errorf("%s: %q does not parse: %v", r.Alert, r.Expr, err)
					continue
				}
				if expr.Type() != parser.ValueTypeVector || !filters(expr) {
					t.Errorf("%s: %q is no filtering instant vector", r.Alert, r.Expr)
				}
				if r.Labels["severity"] == "" || len(r.Annotations[Description]) < 20 || len(r.Annotations[Runbook]) < 20 || len(r.Annotations[Summary]) < 20 {
					t.Errorf("%s: labels %v annotations %v", r.Alert, r.Labels, r.Annotations)
				}
			}
		}
	}
	b, err := yaml.Marshal(map[string]any{"groups": all})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "rules-zitadel", string(b))
	if _, ok := zitadelRules(t, crdb)["OrbosZitadelBackupMissing"]; ok {
		t.Error("a backup rule without scheduled backups")
	}
	for _, g := range Groups(Options{}) {
		if g.Name == "orbos.zitadel" {
			t.Error("Zitadel's rules without Zitadel")
		}
	}
}

// The limit is two of the schedule's longest gaps: a weekdays-only schedule allows the weekend.
func TestBackupMissingLimitFollowsTheSchedule(t *testing.T) {
	for schedule, want := range map[string]string{"0 * * * *": "> 7200", "0 3 * * *": "> 172800", "0 3 * * 1-5": "> 518400", "0 3 1 * *": "> 5356800"} {
		r := zitadelRules(t, &Zitadel{Namespace: "zitadel", Engine: "postgres", Cluster: "zitadel-db", Instances: 2, BackupPeriod: period(t, schedule)})["OrbosZitadelBackupMissing"]
		if !strings.HasSuffix(r.Expr, want) {
			t.Errorf("%s: %s, want %s", schedule, r.Expr, want)
		}
	}
}
