// Package alerts holds orbos's own Prometheus alerting rules, which the program ships as a
// PrometheusRule when BOOM's metrics tool is on: the reconciler failing or stalled, drift found, the
// ORB lock held longer than a run takes, certificates close to their expiry, and Zitadel without a
// recent backup or not ready.
package alerts

import (
	"fmt"
	"time"
)

// Rule is one alerting rule, as a PrometheusRule holds it.
type Rule struct {
	Alert       string            `json:"alert" yaml:"alert"`
	Expr        string            `json:"expr" yaml:"expr"`
	For         string            `json:"for,omitempty" yaml:"for,omitempty"`
	Labels      map[string]string `json:"labels" yaml:"labels"`
	Annotations map[string]string `json:"annotations" yaml:"annotations"`
}

// Group is a named group of rules.
type Group struct {
	Name  string `json:"name" yaml:"name"`
	Rules []Rule `json:"rules" yaml:"rules"`
}

// Options are what the thresholds depend on.
type Options struct {
	// Resync is how often a healthy reconciler runs up at the least (its --resync).
	Resync time.Duration
	// LockHeld is how long a run may hold the ORB lock before it is an alert.
	LockHeld time.Duration
	// Zitadel adds Zitadel's rules (zitadel.go) when it is on.
	Zitadel *Zitadel
}

// The reconciler's --resync default, which the Deployment orbctl takeoff makes keeps, and the
// longest a run should take (an upgrade of a large cluster runs node by node for a while).
const (
	DefaultResync   = 10 * time.Minute
	DefaultLockHeld = time.Hour
)

// Every annotation of a rule; the runbook hint is a command to start from.
const (
	Summary     = "summary"
	Description = "description"
	Runbook     = "runbook"
)

// promDuration is a Go duration in Prometheus's notation (whole minutes or hours here).
func promDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// Groups are orbos's rule groups.
func Groups(o Options) []Group {
	if o.Resync <= 0 {
		o.Resync = DefaultResync
	}
	if o.LockHeld <= 0 {
		o.LockHeld = DefaultLockHeld
	}
	// Three missed resyncs: one slow run is no stall.
	stalled := 3 * o.Resync
	const by = "namespace, job"
	warning := map[string]string{"severity": "warning"}
	critical := map[string]string{"severity": "critical"}
	groups := []Group{
		{Name: "orbos.reconciler", Rules: []Rule{
			{
				Alert: "OrbosReconcilerFailing",
				// Runs failed and none succeeded meanwhile: a single failure the next run mends is no alert.
				Expr: fmt.Sprintf(`sum by (%[1]s) (increase(orbos_reconciler_runs_total{outcome="failed"}[30m])) > 0`+
					` unless on (%[1]s) sum by (%[1]s) (increase(orbos_reconciler_runs_total{outcome="succeeded"}[30m])) > 0`, by),
				For:    "5m",
				Labels: critical,
				Annotations: map[string]string{
					Summary:     "The orbos reconciler's runs fail.",
					Description: "The reconciler in {{ $labels.namespace }} failed {{ $value | humanize }} runs in the last 30 minutes and none succeeded: the ORB is not converged to its desired state.",
					Runbook:     "orbctl status (the last run's error) and orbctl history; orbctl preview shows what the run would change",
				},
			},
			{
				Alert: "OrbosReconcilerStalled",
				// last_success is 0 until a run succeeds, so a reconciler that never succeeded since
				// it started is stalled too.
				Expr:   fmt.Sprintf(`time() - max by (%s) (orbos_reconciler_last_success_timestamp_seconds) > %d`, by, int(stalled.Seconds())),
				For:    "15m",
				Labels: warning,
				Annotations: map[string]string{
					Summary:     "The orbos reconciler has not completed a run for a while.",
					Description: fmt.Sprintf("No run of the reconciler in {{ $labels.namespace }} succeeded for more than %s (it runs at least every %s): it backs off, gave up on the desired commit, waits for the ORB lock, or is suspended (orbos:reconciler.suspend).", promDuration(stalled), promDuration(o.Resync)),
					Runbook:     "orbctl status (the reconciler's note) and orbctl lock; kubectl logs deployment/orbos-reconciler",
				},
			},
			{
				Alert:  "OrbosDriftFound",
				Expr:   fmt.Sprintf(`max by (%s) (orbos_reconciler_drifted_resources) > 0`, by),
				For:    "30m",
				Labels: warning,
				Annotations: map[string]string{
					Summary:     "Resources of the ORB changed behind orbos's back.",
					Description: "The reconciler in {{ $labels.namespace }} found {{ $value }} resources that differ from the desired state for 30 minutes; it corrects them only with orbos:reconciler.correctDrift.",
					Runbook:     "orbctl status (the drift report); orbctl up undoes the drift, or change the desired state to keep it",
				},
			},
			{
				Alert:  "OrbosLockHeldTooLong",
				Expr:   fmt.Sprintf(`max by (%s) (orbos_reconciler_lock_held_seconds) > %d`, by, int(o.LockHeld.Seconds())),
				For:    "5m",
				Labels: warning,
				Annotations: map[string]string{
					Summary:     "The ORB lock is held longer than a run takes.",
					Description: fmt.Sprintf("The reconciler in {{ $labels.namespace }} has seen one run of another holder keep the ORB lock for {{ $value | humanizeDuration }} (more than %s); the reconciler cannot run meanwhile.", promDuration(o.LockHeld)),
					Runbook:     "orbctl lock shows the holder and its run; orbctl lock break ends the lock of a holder that is gone",
				},
			},
		}},
		{Name: "orbos.certificates", Rules: []Rule{
			expiry("OrbosCertificateExpiresSoon", 30*24*time.Hour, warning),
			expiry("OrbosCertificateExpiresVerySoon", 7*24*time.Hour, critical),
		}},
	}
	if g := zitadelGroup(o.Zitadel); g != nil {
		groups = append(groups, *g)
	}
	return groups
}

// expiry alerts on cert-manager's certificates with less than left before they expire.
// cert-manager renews a 90-day certificate when 30 days are left: the hour of `for` gives it time.
func expiry(name string, left time.Duration, labels map[string]string) Rule {
	days := int(left.Hours() / 24)
	return Rule{
		Alert:  name,
		Expr:   fmt.Sprintf(`certmanager_certificate_expiration_timestamp_seconds - time() < %d`, int(left.Seconds())),
		For:    "1h",
		Labels: labels,
		Annotations: map[string]string{
			Summary:     fmt.Sprintf("A certificate expires in less than %d days.", days),
			Description: "The certificate {{ $labels.namespace }}/{{ $labels.name }} expires in {{ $value | humanizeDuration }} and cert-manager has not renewed it.",
			Runbook:     "kubectl describe certificate {{ $labels.name }} -n {{ $labels.namespace }} and its CertificateRequest, Order and Challenges",
		},
	}
}
