package stacks

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// MetricsTool is the catalog's name of the metrics tool (kube-prometheus-stack).
const MetricsTool = "metrics"

// MetricsSpec is the metrics tool's own settings: what Prometheus keeps and where, where it sends
// samples and where Alertmanager sends alerts. Credentials are named stack secrets (orbos:secrets),
// which the program puts into Secrets the chart reads; none is ever a chart value.
type MetricsSpec struct {
	Retention      string            `yaml:"retention" doc:"how long Prometheus keeps samples, e.g. 15d (default) or 12w"`
	RetentionSize  string            `yaml:"retentionSize" doc:"the most disk Prometheus's samples take before the oldest go, e.g. 45GB (default)"`
	Storage        *MetricsStorage   `yaml:"storage" doc:"Prometheus's persistent volume"`
	RemoteWrite    []RemoteWrite     `yaml:"remoteWrite" doc:"remote storage Prometheus sends every sample to"`
	ExternalLabels map[string]string `yaml:"externalLabels" doc:"labels Prometheus adds to samples and alerts it sends out, e.g. {cluster: prod-eu}"`
	Alertmanager   *AlertmanagerSpec `yaml:"alertmanager" doc:"where Alertmanager sends alerts; orbos renders its configuration into a Secret"`
}

// MetricsStorage is Prometheus's volume claim.
type MetricsStorage struct {
	Size  string `yaml:"size" doc:"size of Prometheus's volume, e.g. 50Gi (default)"`
	Class string `yaml:"class" doc:"storage class of the volume; empty: the cluster's default"`
}

// RemoteWrite is one remote-write endpoint.
type RemoteWrite struct {
	Name              string        `yaml:"name" doc:"the endpoint's name in Prometheus's metrics, lower-case letters, digits and dashes"`
	URL               string        `yaml:"url" orbos:"required" doc:"the endpoint, e.g. https://metrics.example.com/api/v1/push (https whenever credentials are sent)"`
	BasicAuth         *BasicAuthRef `yaml:"basicAuth" doc:"HTTP basic authentication"`
	BearerTokenSecret string        `yaml:"bearerTokenSecret" doc:"name of the stack secret (orbos:secrets) holding a bearer token"`
}

// BasicAuthRef is a user name and the stack secret holding the password.
type BasicAuthRef struct {
	Username       string `yaml:"username" orbos:"required" doc:"user name (not secret; Grafana Cloud's numeric instance ID, for one)"`
	PasswordSecret string `yaml:"passwordSecret" orbos:"required" doc:"name of the stack secret (orbos:secrets) holding the password or API key"`
}

// AlertmanagerSpec is Alertmanager's receivers and route.
type AlertmanagerSpec struct {
	Receivers []Receiver  `yaml:"receivers" doc:"where alerts go"`
	Route     *AlertRoute `yaml:"route" doc:"which receiver gets which alerts; default: every alert to the first receiver"`
}

// Receiver is one named destination of alerts, with one or more integrations.
type Receiver struct {
	Name      string             `yaml:"name" orbos:"required" doc:"the receiver's name, referred to by the route"`
	Webhook   *WebhookReceiver   `yaml:"webhook" doc:"an HTTP endpoint that takes Alertmanager's webhook payload"`
	Slack     *SlackReceiver     `yaml:"slack" doc:"a Slack incoming webhook"`
	Email     *EmailReceiver     `yaml:"email" doc:"email through an SMTP server"`
	PagerDuty *PagerDutyReceiver `yaml:"pagerduty" doc:"a PagerDuty service (Events API v2)"`
}

// WebhookReceiver posts alerts to a URL kept as a stack secret (such URLs often carry a token).
type WebhookReceiver struct {
	URLSecret string `yaml:"urlSecret" orbos:"required" doc:"name of the stack secret (orbos:secrets) holding the URL"`
}

// SlackReceiver posts alerts to a Slack incoming webhook.
type SlackReceiver struct {
	APIURLSecret string `yaml:"apiURLSecret" orbos:"required" doc:"name of the stack secret (orbos:secrets) holding the incoming webhook's URL"`
	Channel      string `yaml:"channel" doc:"channel, e.g. #alerts; empty: the webhook's own"`
}

// EmailReceiver mails alerts.
type EmailReceiver struct {
	To             string `yaml:"to" orbos:"required" doc:"recipient address"`
	From           string `yaml:"from" orbos:"required" doc:"sender address"`
	Smarthost      string `yaml:"smarthost" orbos:"required" doc:"SMTP server, host:port"`
	Username       string `yaml:"username" doc:"SMTP user name"`
	PasswordSecret string `yaml:"passwordSecret" doc:"name of the stack secret (orbos:secrets) holding the SMTP password"`
}

// PagerDutyReceiver sends alerts to a PagerDuty service.
type PagerDutyReceiver struct {
	RoutingKeySecret string `yaml:"routingKeySecret" orbos:"required" doc:"name of the stack secret (orbos:secrets) holding the service's integration (routing) key"`
}

// AlertRoute is Alertmanager's top route.
type AlertRoute struct {
	Receiver       string          `yaml:"receiver" doc:"the receiver of alerts no child route takes; default: the first receiver"`
	GroupBy        []string        `yaml:"groupBy" doc:"labels alerts are grouped by; default [alertname, namespace]"`
	GroupWait      string          `yaml:"groupWait" doc:"how long a new group waits for more alerts, e.g. 30s"`
	GroupInterval  string          `yaml:"groupInterval" doc:"how long before a group's new alerts are sent, e.g. 5m"`
	RepeatInterval string          `yaml:"repeatInterval" doc:"how long before a firing alert is sent again, e.g. 4h"`
	Routes         []AlertSubRoute `yaml:"routes" doc:"child routes, tried in order"`
}

// AlertSubRoute sends the alerts whose labels match to a receiver.
type AlertSubRoute struct {
	Receiver string            `yaml:"receiver" orbos:"required" doc:"the receiver of the matching alerts"`
	Match    map[string]string `yaml:"match" orbos:"required" doc:"label values the alerts must have, e.g. {severity: critical}"`
	Continue bool              `yaml:"continue" doc:"go on with the next routes after this one matched"`
}

// NullReceiver is the receiver orbos adds for the alerts that only say the pipeline works
// (Watchdog, InfoInhibitor): they go nowhere.
const NullReceiver = "null"

var (
	// Prometheus's durations: one or more number-unit pairs, largest unit first.
	promDuration = regexp.MustCompile(`^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`)
	// The Prometheus operator's ByteSize.
	byteSize = regexp.MustCompile(`^(0|([0-9]*[.])?[0-9]+((K|M|G|T|E|P)i?)?B)$`)
	// Prometheus's label names.
	promLabel = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	// Receiver names go into Alertmanager's configuration and the route.
	receiverName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	slackChannel = regexp.MustCompile(`^[#@]?[a-z0-9][a-z0-9._-]{0,79}$`)
)

// validateBoomSpecs checks the tool-specific blocks: each on its own tool only, with the stack
// secrets they name.
func (c *Config) validateBoomSpecs(p string, e *errs) {
	for _, name := range SortedKeys(c.Boom.Tools) {
		t := c.Boom.Tools[name]
		tp := join(p+".tools", name)
		if t.Metrics == nil || name != MetricsTool {
			continue
		}
		c.validateMetrics(tp+".metrics", t.Metrics, e)
	}
}

func (c *Config) validateMetrics(p string, m *MetricsSpec, e *errs) {
	if m.Retention != "" && !isPromDuration(m.Retention) {
		e.add(p+".retention", nil, "%s is not a duration like 15d, 12w or 36h", quoteShort(m.Retention))
	}
	if m.RetentionSize != "" && !byteSize.MatchString(m.RetentionSize) {
		e.add(p+".retentionSize", nil, "%s is not a size like 45GB or 500MiB", quoteShort(m.RetentionSize))
	}
	if s := m.Storage; s != nil {
		if s.Size != "" && !quantity.MatchString(s.Size) {
			e.add(p+".storage.size", nil, "%s is not a quantity like 50Gi", quoteShort(s.Size))
		}
		if s.Class != "" {
			e.check(p+".storage.class", s.Class, valid.Subdomain(s.Class))
		}
	}
	names := map[string]bool{}
	for i, rw := range m.RemoteWrite {
		rp := fmt.Sprintf("%s.remoteWrite[%d]", p, i)
		if rw.Name != "" {
			if e.check(rp+".name", rw.Name, valid.Name(rw.Name)); names[rw.Name] {
				e.add(rp+".name", nil, "%s names two endpoints", quoteShort(rw.Name))
			}
			names[rw.Name] = true
		}
		withCredentials := rw.BasicAuth != nil || rw.BearerTokenSecret != ""
		checkEndpoint(rp+".url", rw.URL, withCredentials, e)
		if rw.BasicAuth != nil && rw.BearerTokenSecret != "" {
			e.add(rp, nil, "basicAuth and bearerTokenSecret exclude each other")
		}
		if b := rw.BasicAuth; b != nil {
			if !e.empty(rp+".basicAuth.username", b.Username) {
				e.check(rp+".basicAuth.username", b.Username, valid.Printable(b.Username, true))
			}
			c.requireSecretRef(rp+".basicAuth.passwordSecret", b.PasswordSecret, e)
		}
		c.checkSecretRef(rp+".bearerTokenSecret", rw.BearerTokenSecret, e)
	}
	for _, k := range SortedKeys(m.ExternalLabels) {
		kp := join(p+".externalLabels", k)
		switch {
		case !promLabel.MatchString(k) || strings.HasPrefix(k, "__"):
			e.add(kp, nil, "%s is not a Prometheus label name (letters, digits and '_', not starting with a digit or '__')", quoteShort(k))
		case k == "prometheus" || k == "prometheus_replica":
			e.add(kp, nil, "is set by the Prometheus operator itself")
		case m.ExternalLabels[k] == "":
			e.add(kp, nil, "must not be empty")
		default:
			e.check(kp, m.ExternalLabels[k], valid.Printable(m.ExternalLabels[k], false))
		}
	}
	if a := m.Alertmanager; a != nil {
		c.validateAlertmanager(p+".alertmanager", a, e)
	}
}

func (c *Config) validateAlertmanager(p string, a *AlertmanagerSpec, e *errs) {
	receivers := map[string]bool{}
	for i, r := range a.Receivers {
		rp := fmt.Sprintf("%s.receivers[%d]", p, i)
		switch {
		case e.empty(rp+".name", r.Name):
		case !receiverName.MatchString(r.Name):
			e.add(rp+".name", nil, "%s is not a receiver name (letters, digits, '.', '_' and '-')", quoteShort(r.Name))
		case r.Name == NullReceiver:
			e.add(rp+".name", nil, "%q is orbos's receiver of the alerts that go nowhere (Watchdog)", NullReceiver)
		case receivers[r.Name]:
			e.add(rp+".name", nil, "%s names two receivers", quoteShort(r.Name))
		}
		receivers[r.Name] = true
		if r.Webhook == nil && r.Slack == nil && r.Email == nil && r.PagerDuty == nil {
			e.add(rp, nil, "needs at least one of webhook, slack, email, pagerduty")
		}
		if w := r.Webhook; w != nil {
			c.requireSecretRef(rp+".webhook.urlSecret", w.URLSecret, e)
		}
		if s := r.Slack; s != nil {
			c.requireSecretRef(rp+".slack.apiURLSecret", s.APIURLSecret, e)
			if s.Channel != "" && !slackChannel.MatchString(s.Channel) {
				e.add(rp+".slack.channel", nil, "%s is not a channel like #alerts", quoteShort(s.Channel))
			}
		}
		if m := r.Email; m != nil {
			checkAddress(rp+".email.to", m.To, e)
			checkAddress(rp+".email.from", m.From, e)
			if !e.empty(rp+".email.smarthost", m.Smarthost) && !isHostPort(m.Smarthost) {
				e.add(rp+".email.smarthost", nil, "%s is not an SMTP server as host:port, e.g. smtp.example.com:587", quoteShort(m.Smarthost))
			}
			if m.Username != "" {
				e.check(rp+".email.username", m.Username, valid.Printable(m.Username, true))
			}
			if m.PasswordSecret != "" && m.Username == "" {
				e.add(rp+".email.username", nil, "required with passwordSecret")
			}
			c.checkSecretRef(rp+".email.passwordSecret", m.PasswordSecret, e)
		}
		if d := r.PagerDuty; d != nil {
			c.requireSecretRef(rp+".pagerduty.routingKeySecret", d.RoutingKeySecret, e)
		}
	}
	rt := a.Route
	if rt == nil {
		return
	}
	if len(a.Receivers) == 0 {
		e.add(p+".route", nil, "routes alerts to receivers, and there are none")
		return
	}
	checkReceiver := func(rp, name string) {
		if name != "" && !receivers[name] {
			e.add(rp, nil, "%s is not one of the receivers", quoteShort(name))
		}
	}
	checkReceiver(p+".route.receiver", rt.Receiver)
	for i, l := range rt.GroupBy {
		if l != "..." && !promLabel.MatchString(l) {
			e.add(fmt.Sprintf("%s.route.groupBy[%d]", p, i), nil, "%s is not a label name (or '...' for every label)", quoteShort(l))
		}
	}
	for field, d := range map[string]string{"groupWait": rt.GroupWait, "groupInterval": rt.GroupInterval, "repeatInterval": rt.RepeatInterval} {
		if d != "" && !isPromDuration(d) {
			e.add(p+".route."+field, nil, "%s is not a duration like 30s, 5m or 4h", quoteShort(d))
		}
	}
	for i, r := range rt.Routes {
		rp := fmt.Sprintf("%s.route.routes[%d]", p, i)
		if !e.empty(rp+".receiver", r.Receiver) {
			checkReceiver(rp+".receiver", r.Receiver)
		}
		if _, seen := e.lines[rp+".match"]; seen && len(r.Match) == 0 {
			e.add(rp+".match", nil, "must name the labels the alerts must have, e.g. {severity: critical}")
		}
		for _, k := range SortedKeys(r.Match) {
			kp := join(rp+".match", k)
			if !promLabel.MatchString(k) {
				e.add(kp, nil, "%s is not a label name", quoteShort(k))
				continue
			}
			e.check(kp, r.Match[k], valid.Printable(r.Match[k], false))
		}
	}
}

// requireSecretRef is checkSecretRef for a field that must name a secret (decoding reports it
// missing).
func (c *Config) requireSecretRef(p, name string, e *errs) {
	if !e.empty(p, name) {
		c.checkSecretRef(p, name, e)
	}
}

// empty says whether a required field is empty, and refuses it when the file has it (decoding
// reports it when the file lacks it).
func (e *errs) empty(p, v string) bool {
	if v != "" {
		return false
	}
	if _, seen := e.lines[p]; seen {
		e.add(p, nil, "must not be empty")
	}
	return true
}

func isPromDuration(s string) bool {
	return s != "" && promDuration.MatchString(s) && strings.Trim(s, "0ywdhms") != ""
}

// checkEndpoint refuses what is not an http(s) URL without credentials of its own; credentials are
// sent over https only.
func checkEndpoint(p, raw string, withCredentials bool, e *errs) {
	if e.empty(p, raw) {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case len(valid.Printable(raw, true)) > 0:
		e.add(p, nil, "must not contain white space or control characters")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "":
		e.add(p, nil, "%s is not an https:// URL", quoteShort(raw))
	case u.User != nil:
		e.add(p, nil, "must not hold credentials: name a stack secret in basicAuth or bearerTokenSecret")
	case u.Fragment != "":
		e.add(p, nil, "must not have a fragment")
	case u.Scheme == "http" && withCredentials:
		e.add(p, nil, "sends credentials, so it must be https://")
	}
}

func checkAddress(p, addr string, e *errs) {
	if e.empty(p, addr) {
		return
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr {
		e.add(p, nil, "%s is not an email address like alerts@example.com", quoteShort(addr))
	}
}

// isHostPort says whether s is a DNS name or IP address and a port.
func isHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || port == "" || strings.Trim(port, "0123456789") != "" {
		return false
	}
	return len(valid.Subdomain(strings.ToLower(host))) == 0 || len(valid.IP(host)) == 0
}
