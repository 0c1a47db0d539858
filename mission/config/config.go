// Package config reads mission.yaml: the ORBs MISSION shows, who may do what on each, how users sign
// in and where MISSION listens. Every value is validated here, by path, before anything starts.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/internal/valid"
)

// Roles, weakest first: a viewer reads, an operator edits, an admin also edits what review protects.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

var roleRank = map[string]int{"": 0, RoleViewer: 1, RoleOperator: 2, RoleAdmin: 3}

// AtLeast reports whether role grants at least min.
func AtLeast(role, min string) bool { return roleRank[role] >= roleRank[min] && roleRank[min] > 0 }

// Config is mission.yaml.
type Config struct {
	// Listen is the address the web server binds, host:port.
	Listen string `yaml:"listen"`
	// PollInterval is how often every ORB's branch ref is read; default 30s, at least 5s.
	PollInterval Duration `yaml:"pollInterval"`
	// DataDir holds MISSION's checkouts of the ORB repositories.
	DataDir string `yaml:"dataDir"`
	// StateDir holds what MISSION keeps of its own (the notices users dismissed); default
	// mission-state beside mission.yaml. MISSION writes nothing of its own into the ORB repositories.
	StateDir string `yaml:"stateDir"`
	// PublicURL is where users reach MISSION (the OIDC redirect and cookie security derive from it).
	PublicURL string `yaml:"publicURL"`
	TLS       *TLS   `yaml:"tls"`
	Admin     *Admin `yaml:"admin"`
	OIDC      *OIDC  `yaml:"oidc"`
	Orbs      []Orb  `yaml:"orbs"`
	// Webhooks receive a JSON POST for every new problem of an ORB.
	Webhooks []string `yaml:"webhooks"`
	// CatalogFile replaces the embedded release catalog (Kubernetes, BOOM charts, orbos); it is
	// read again every CatalogRefresh.
	CatalogFile string `yaml:"catalogFile"`
	// CatalogURL is fetched every CatalogRefresh and replaces the catalog when it parses; the only
	// address MISSION contacts besides the ORB repositories, the issuer and the webhooks.
	CatalogURL string `yaml:"catalogURL"`
	// CatalogRefresh is how often the catalog file or URL is read again; default 24h, at least 1m.
	CatalogRefresh Duration `yaml:"catalogRefresh"`
}

// TLS names the server's certificate and key files.
type TLS struct {
	CertFile string `yaml:"certFile"`
	KeyFile  string `yaml:"keyFile"`
}

// Admin is the break-glass local administrator: admin of every ORB.
type Admin struct {
	User         string `yaml:"user"`
	PasswordHash string `yaml:"passwordHash"` // bcrypt
}

// OIDC is the OpenID Connect issuer users sign in with.
type OIDC struct {
	Issuer           string `yaml:"issuer"`
	ClientID         string `yaml:"clientID"`
	ClientSecretFile string `yaml:"clientSecretFile"`
	// GroupsClaim names the ID token claim listing the user's groups; default "groups".
	GroupsClaim string `yaml:"groupsClaim"`
}

// Orb is one ORB repository.
type Orb struct {
	Name          string `yaml:"name"`
	URL           string `yaml:"url"`
	Branch        string `yaml:"branch"`
	DeployKeyFile string `yaml:"deployKeyFile"`
	KnownHosts    string `yaml:"knownHosts"`
	// Review makes edits land on a proposal branch instead of the ORB's branch.
	Review bool    `yaml:"review"`
	Grants []Grant `yaml:"grants"`
	// Grafana is where users reach the Grafana of the ORB's BOOM (the dashboards tool), an http(s)
	// URL; the ORB page links to it while the spec enables that tool.
	Grafana string `yaml:"grafana"`
	// ReconcilerStall is how long an ORB whose spec deploys a reconciler may show no sign of it (a run,
	// a note, a lock taken or released) before MISSION calls it stalled; default 2h, at least 5m.
	ReconcilerStall Duration `yaml:"reconcilerStall"`
}

// DefaultReconcilerStall is an ORB's reconcilerStall when mission.yaml sets none: twelve of the
// reconciler's 10-minute resyncs, since a resync that changes nothing leaves only a short lock.
const DefaultReconcilerStall = 2 * time.Hour

// Grant gives a role on the ORB to one user (by e-mail or local name) or one group.
type Grant struct {
	User  string `yaml:"user"`
	Group string `yaml:"group"`
	Role  string `yaml:"role"`
}

// Duration is a time.Duration written as "30s".
type Duration struct{ time.Duration }

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 30s", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// Error lists every wrong field of mission.yaml by path.
type Error struct{ Fields []string }

func (e *Error) Error() string {
	return fmt.Sprintf("invalid mission config (%d errors):\n  %s", len(e.Fields), strings.Join(e.Fields, "\n  "))
}

// Load reads and validates the file at path; relative file names in it are taken from its directory.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading mission config: %w", err)
	}
	return Parse(raw, filepath.Dir(path))
}

// Parse decodes and validates raw; base is the directory relative file names start from.
func Parse(raw []byte, base string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding mission config: %w", err)
	}
	c.defaults(base)
	if errs := c.validate(); len(errs) > 0 {
		return nil, &Error{Fields: errs}
	}
	return &c, nil
}

func (c *Config) defaults(base string) {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.PollInterval.Duration == 0 {
		c.PollInterval.Duration = 30 * time.Second
	}
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if c.DataDir == "" {
		c.DataDir = "mission-data"
	}
	abs(&c.DataDir)
	if c.StateDir == "" {
		c.StateDir = "mission-state"
	}
	abs(&c.StateDir)
	abs(&c.CatalogFile)
	if c.CatalogRefresh.Duration == 0 {
		c.CatalogRefresh.Duration = 24 * time.Hour
	}
	if c.TLS != nil {
		abs(&c.TLS.CertFile)
		abs(&c.TLS.KeyFile)
	}
	if c.OIDC != nil {
		abs(&c.OIDC.ClientSecretFile)
		if c.OIDC.GroupsClaim == "" {
			c.OIDC.GroupsClaim = "groups"
		}
	}
	for i := range c.Orbs {
		if c.Orbs[i].ReconcilerStall.Duration == 0 {
			c.Orbs[i].ReconcilerStall.Duration = DefaultReconcilerStall
		}
		if c.Orbs[i].Branch == "" {
			c.Orbs[i].Branch = "main"
		}
		abs(&c.Orbs[i].DeployKeyFile)
	}
}

func (c *Config) validate() []string {
	var errs []string
	add := func(path, format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		add("listen", "%q is not host:port", c.Listen)
	}
	if c.PollInterval.Duration < 5*time.Second {
		add("pollInterval", "at least 5s: every poll reads each repository's refs")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("publicURL", "must be an http(s) URL")
		}
	}
	if c.TLS != nil && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		add("tls", "certFile and keyFile are both required")
	}
	if c.Admin == nil && c.OIDC == nil {
		add("(file)", "admin or oidc is required: nobody could sign in")
	}
	if a := c.Admin; a != nil {
		if r := valid.UserName(a.User); len(r) > 0 {
			add("admin.user", "%s", strings.Join(r, "; "))
		}
		if !strings.HasPrefix(a.PasswordHash, "$2") {
			add("admin.passwordHash", "must be a bcrypt hash ($2a$/$2b$...), e.g. from `htpasswd -bnBC 12 '' PASSWORD | tr -d ':\\n'`")
		}
	}
	if o := c.OIDC; o != nil {
		if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
			add("oidc.issuer", "must be an https URL (http only on loopback)")
		}
		if o.ClientID == "" || len(valid.Printable(o.ClientID, true)) > 0 {
			add("oidc.clientID", "required, without white space")
		}
		if c.PublicURL == "" {
			add("publicURL", "required with oidc: the issuer redirects users back to it")
		}
	}
	for i, w := range c.Webhooks {
		if u, err := url.Parse(w); err != nil || u.Host == "" || (u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
			add(fmt.Sprintf("webhooks[%d]", i), "must be an https URL (http only on loopback)")
		}
	}
	if c.CatalogURL != "" {
		if u, err := url.Parse(c.CatalogURL); err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
			add("catalogURL", "must be an https URL without credentials (http only on loopback)")
		}
	}
	if c.CatalogRefresh.Duration < time.Minute {
		add("catalogRefresh", "at least 1m")
	}
	if len(c.Orbs) == 0 {
		add("orbs", "at least one ORB is required")
	}
	seen := map[string]bool{}
	for i, o := range c.Orbs {
		p := fmt.Sprintf("orbs[%d]", i)
		if r := valid.Name(o.Name); len(r) > 0 {
			add(p+".name", "%s", strings.Join(r, "; "))
		} else if seen[o.Name] {
			add(p+".name", "%q is listed twice", o.Name)
		}
		seen[o.Name] = true
		if o.URL == "" || len(valid.Printable(o.URL, true)) > 0 {
			add(p+".url", "required, without white space")
		}
		if r := valid.Printable(o.Branch, true); len(r) > 0 || strings.ContainsAny(o.Branch, ":*^~?[\\") {
			add(p+".branch", "%q is not a branch name", o.Branch)
		}
		oc := orbconfig.Config{Repository: o.URL, KnownHosts: o.KnownHosts}
		if oc.IsSSH() {
			if o.DeployKeyFile == "" {
				add(p+".deployKeyFile", "required for the SSH repository")
			}
			if strings.TrimSpace(o.KnownHosts) == "" {
				add(p+".knownHosts", "required for the SSH repository: MISSION verifies the host key (ssh-keyscan HOST)")
			}
		}
		if o.ReconcilerStall.Duration < 5*time.Minute {
			add(p+".reconcilerStall", "at least 5m: the reconciler resyncs every 10m")
		}
		if o.Grafana != "" {
			if u, err := url.Parse(o.Grafana); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
				add(p+".grafana", "must be an http(s) URL without credentials")
			}
		}
		for j, g := range o.Grants {
			gp := fmt.Sprintf("%s.grants[%d]", p, j)
			if (g.User == "") == (g.Group == "") {
				add(gp, "exactly one of user and group")
			}
			if !slices.Contains([]string{RoleViewer, RoleOperator, RoleAdmin}, g.Role) {
				add(gp+".role", "%q: must be viewer, operator or admin", g.Role)
			}
		}
	}
	return errs
}

// Orb returns the configured ORB by name.
func (c *Config) Orb(name string) (*Orb, bool) {
	for i := range c.Orbs {
		if c.Orbs[i].Name == name {
			return &c.Orbs[i], true
		}
	}
	return nil, false
}

// Role is the strongest role the grants give a user with these groups on the ORB.
func (o *Orb) Role(user string, groups []string) string {
	best := ""
	for _, g := range o.Grants {
		if (g.User != "" && g.User == user) || (g.Group != "" && slices.Contains(groups, g.Group)) {
			if roleRank[g.Role] > roleRank[best] {
				best = g.Role
			}
		}
	}
	return best
}

// Auth is how MISSION authenticates to the ORB's repository: its deploy key, host key verified.
// It never holds anything that reaches a cluster.
func (o *Orb) Auth() (orbconfig.Config, error) {
	oc := orbconfig.Config{Repository: o.URL, KnownHosts: o.KnownHosts}
	if !oc.IsSSH() {
		return oc, nil
	}
	key, err := os.ReadFile(o.DeployKeyFile)
	if err != nil {
		return oc, fmt.Errorf("reading the deploy key of %s: %w", o.Name, err)
	}
	oc.DeployKey = string(key)
	return oc, nil
}

// ErrNoOrb means an ORB is not configured.
var ErrNoOrb = errors.New("no such ORB")
