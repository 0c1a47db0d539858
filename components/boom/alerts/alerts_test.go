package alerts

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/golden"
)

// The rules as the PrometheusRule holds them, reviewed in testdata/rules.golden.
func TestRulesGolden(t *testing.T) {
	b, err := yaml.Marshal(map[string]any{"groups": Groups(Options{})})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "rules", string(b))
}

// Every rule's PromQL parses with Prometheus's own parser and is a comparison (an alert fires on
// the series a filter keeps); its `for` is a Prometheus duration; every rule has a severity
// Alertmanager routes on and the annotations a person needs; names are unique.
func TestEveryRuleParsesAndSaysWhatToDo(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	seen := map[string]bool{}
	for _, g := range Groups(Options{}) {
		if !strings.HasPrefix(g.Name, "orbos.") || len(g.Rules) == 0 {
			t.Errorf("group %q", g.Name)
		}
		for _, r := range g.Rules {
			if seen[r.Alert] || !regexp.MustCompile(`^Orbos[A-Z][A-Za-z]+$`).MatchString(r.Alert) {
				t.Errorf("alert name %q twice or not OrbosCamelCase", r.Alert)
			}
			seen[r.Alert] = true
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: %q does not parse: %v", r.Alert, r.Expr, err)
				continue
			}
			if expr.Type() != parser.ValueTypeVector {
				t.Errorf("%s: %q is a %s, not an instant vector", r.Alert, r.Expr, expr.Type())
			}
			if !filters(expr) {
				t.Errorf("%s: %q is no comparison or set filter: it would fire for every series", r.Alert, r.Expr)
			}
			if _, err := model.ParseDuration(r.For); err != nil {
				t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			for _, k := range []string{Summary, Description, Runbook} {
				if len(r.Annotations[k]) < 20 {
					t.Errorf("%s: annotation %s %q", r.Alert, k, r.Annotations[k])
				}
			}
			if len(r.Annotations) != 3 {
				t.Errorf("%s: annotations %v", r.Alert, r.Annotations)
			}
		}
	}
	for _, want := range []string{"OrbosReconcilerFailing", "OrbosReconcilerStalled", "OrbosDriftFound", "OrbosLockHeldTooLong", "OrbosCertificateExpiresSoon"} {
		if !seen[want] {
			t.Errorf("no %s", want)
		}
	}
}

// filters says whether an expression drops series: a comparison without bool, or and/unless.
func filters(e parser.Expr) bool {
	switch e := e.(type) {
	case *parser.ParenExpr:
		return filters(e.Expr)
	case *parser.BinaryExpr:
		if e.Op == parser.LAND || e.Op == parser.LUNLESS {
			return filters(e.LHS)
		}
		return e.Op.IsComparisonOperator() && !e.ReturnBool
	}
	return false
}

// The thresholds follow the options: a stall is three missed resyncs; the lock's limit as given.
func TestThresholdsFollowTheOptions(t *testing.T) {
	rules := map[string]Rule{}
	for _, g := range Groups(Options{Resync: 5 * time.Minute, LockHeld: 90 * time.Minute}) {
		for _, r := range g.Rules {
			rules[r.Alert] = r
		}
	}
	if e := rules["OrbosReconcilerStalled"].Expr; !strings.HasSuffix(e, "> 900") {
		t.Errorf("stalled after 3 resyncs of 5m: %s", e)
	}
	if d := rules["OrbosReconcilerStalled"].Annotations[Description]; !strings.Contains(d, "more than 15m") || !strings.Contains(d, "every 5m") {
		t.Errorf("stalled description %q", d)
	}
	if e := rules["OrbosLockHeldTooLong"].Expr; !strings.HasSuffix(e, "> 5400") {
		t.Errorf("lock held: %s", e)
	}
	if e := rules["OrbosCertificateExpiresSoon"].Expr; !strings.HasSuffix(e, "< 2592000") {
		t.Errorf("30 days: %s", e)
	}
}
