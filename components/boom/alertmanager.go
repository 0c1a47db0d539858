package boom

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// Alertmanager's configuration file, as much of it as orbos renders.
type amConfig struct {
	Route        amRoute      `yaml:"route"`
	InhibitRules []amInhibit  `yaml:"inhibit_rules,omitempty"`
	Receivers    []amReceiver `yaml:"receivers"`
}

type amRoute struct {
	Receiver       string    `yaml:"receiver,omitempty"`
	GroupBy        []string  `yaml:"group_by,omitempty"`
	GroupWait      string    `yaml:"group_wait,omitempty"`
	GroupInterval  string    `yaml:"group_interval,omitempty"`
	RepeatInterval string    `yaml:"repeat_interval,omitempty"`
	Matchers       []string  `yaml:"matchers,omitempty"`
	Continue       bool      `yaml:"continue,omitempty"`
	Routes         []amRoute `yaml:"routes,omitempty"`
}

type amInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

type amReceiver struct {
	Name             string           `yaml:"name"`
	WebhookConfigs   []map[string]any `yaml:"webhook_configs,omitempty"`
	SlackConfigs     []map[string]any `yaml:"slack_configs,omitempty"`
	EmailConfigs     []map[string]any `yaml:"email_configs,omitempty"`
	PagerdutyConfigs []map[string]any `yaml:"pagerduty_configs,omitempty"`
}

// alertmanagerSecretNames lists the stack secrets the receivers name, sorted, each once.
func alertmanagerSecretNames(a *stacks.AlertmanagerSpec) []string {
	var names []string
	for _, r := range a.Receivers {
		if r.Webhook != nil {
			names = append(names, r.Webhook.URLSecret)
		}
		if r.Slack != nil {
			names = append(names, r.Slack.APIURLSecret)
		}
		if r.Email != nil && r.Email.PasswordSecret != "" {
			names = append(names, r.Email.PasswordSecret)
		}
		if r.PagerDuty != nil {
			names = append(names, r.PagerDuty.RoutingKeySecret)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// matcher is Alertmanager's label matcher name="value", the value quoted.
func matcher(name, value string) string {
	return name + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
}

// AlertmanagerConfig renders Alertmanager's configuration from the spec, with the values of the
// stack secrets it names. The result holds credentials: it goes into a Secret only.
func AlertmanagerConfig(a *stacks.AlertmanagerSpec, secrets map[string]string) (string, error) {
	get := func(name string) (string, error) {
		v, ok := secrets[name]
		if !ok {
			return "", fmt.Errorf("the stack secret %s is missing", name)
		}
		// A value read from a file ends with a newline that is no part of a URL or key.
		return strings.TrimSpace(v), nil
	}
	var c amConfig
	for _, r := range a.Receivers {
		out := amReceiver{Name: r.Name}
		if w := r.Webhook; w != nil {
			u, err := get(w.URLSecret)
			if err != nil {
				return "", err
			}
			out.WebhookConfigs = append(out.WebhookConfigs, map[string]any{"url": u, "send_resolved": true})
		}
		if s := r.Slack; s != nil {
			u, err := get(s.APIURLSecret)
			if err != nil {
				return "", err
			}
			cfg := map[string]any{"api_url": u, "send_resolved": true}
			if s.Channel != "" {
				cfg["channel"] = s.Channel
			}
			out.SlackConfigs = append(out.SlackConfigs, cfg)
		}
		if m := r.Email; m != nil {
			cfg := map[string]any{"to": m.To, "from": m.From, "smarthost": m.Smarthost, "send_resolved": true}
			if m.Username != "" {
				cfg["auth_username"] = m.Username
			}
			if m.PasswordSecret != "" {
				pw, err := get(m.PasswordSecret)
				if err != nil {
					return "", err
				}
				cfg["auth_password"] = pw
			}
			out.EmailConfigs = append(out.EmailConfigs, cfg)
		}
		if d := r.PagerDuty; d != nil {
			key, err := get(d.RoutingKeySecret)
			if err != nil {
				return "", err
			}
			out.PagerdutyConfigs = append(out.PagerdutyConfigs, map[string]any{"routing_key": key, "send_resolved": true})
		}
		c.Receivers = append(c.Receivers, out)
	}
	// The alerts that only say the pipeline works go nowhere (as kube-prometheus-stack's own
	// configuration does); a critical alert silences the warnings of the same alert.
	c.Receivers = append(c.Receivers, amReceiver{Name: stacks.NullReceiver})
	c.InhibitRules = []amInhibit{{
		SourceMatchers: []string{`severity="critical"`}, TargetMatchers: []string{`severity=~"warning|info"`}, Equal: []string{"namespace", "alertname"},
	}}
	c.Route = amRoute{Receiver: a.Receivers[0].Name, GroupBy: []string{"alertname", "namespace"},
		Routes: []amRoute{{Receiver: stacks.NullReceiver, Matchers: []string{`alertname=~"Watchdog|InfoInhibitor"`}}}}
	if rt := a.Route; rt != nil {
		if rt.Receiver != "" {
			c.Route.Receiver = rt.Receiver
		}
		if len(rt.GroupBy) > 0 {
			c.Route.GroupBy = rt.GroupBy
		}
		c.Route.GroupWait, c.Route.GroupInterval, c.Route.RepeatInterval = rt.GroupWait, rt.GroupInterval, rt.RepeatInterval
		for _, sub := range rt.Routes {
			r := amRoute{Receiver: sub.Receiver, Continue: sub.Continue}
			for _, k := range stacks.SortedKeys(sub.Match) {
				r.Matchers = append(r.Matchers, matcher(k, sub.Match[k]))
			}
			c.Route.Routes = append(c.Route.Routes, r)
		}
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("rendering Alertmanager's configuration: %w", err)
	}
	return string(b), nil
}
