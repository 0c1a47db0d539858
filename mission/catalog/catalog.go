// Package catalog knows which releases exist — Kubernetes (patch and minor, end of life), the charts
// of BOOM's tools and orbos itself — from an embedded list an operator may replace with a file or a
// URL (see Source), and compares an ORB's desired state with them: updates available, end of life,
// and the versions an edit may choose (never down, at most one minor up, as internal/kubeversion rules).
package catalog

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/semver"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/kubeversion"
	"github.com/orbos/orbos/stacks"
)

//go:embed kubernetes.yaml
var embedded []byte

// Release is one minor version of Kubernetes: its newest patch and its end of life.
type Release struct {
	Minor     string `yaml:"minor"`
	Latest    string `yaml:"latest"`
	EndOfLife string `yaml:"endOfLife"`
}

// Catalog lists the known releases, oldest first.
type Catalog struct {
	Kubernetes []Release `yaml:"kubernetes"`
	// Charts are the newest chart versions of BOOM's tools; a tool not listed is compared with the
	// version orbos pins (stacks.BoomCatalog), so the embedded catalog never invents an update.
	Charts []Chart `yaml:"charts"`
	// Orbos is the newest orbos release ("" when the catalog does not say).
	Orbos string `yaml:"orbos"`
}

// Chart is the newest version of one BOOM tool's chart.
type Chart struct {
	Tool   string `yaml:"tool"`
	Latest string `yaml:"latest"`
}

// Embedded is the catalog built into orbctl.
func Embedded() *Catalog {
	c, err := Parse(embedded)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return c
}

// Load reads a catalog file; "" is the embedded one.
func Load(path string) (*Catalog, error) {
	if path == "" {
		return Embedded(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	return Parse(raw)
}

// Parse decodes and checks a catalog.
func Parse(raw []byte) (*Catalog, error) {
	var c Catalog
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decoding catalog: %w", err)
	}
	for i, r := range c.Kubernetes {
		v, err := kubeversion.Parse(r.Latest)
		if err != nil {
			return nil, fmt.Errorf("catalog kubernetes[%d].latest: %w", i, err)
		}
		if fmt.Sprintf("v%d.%d", v.Major(), v.Minor()) != r.Minor {
			return nil, fmt.Errorf("catalog kubernetes[%d]: latest %s is not of minor %s", i, r.Latest, r.Minor)
		}
		if _, err := time.Parse(time.DateOnly, r.EndOfLife); err != nil {
			return nil, fmt.Errorf("catalog kubernetes[%d].endOfLife: %q is not a date like 2026-02-28", i, r.EndOfLife)
		}
	}
	for i, ch := range c.Charts {
		if _, ok := stacks.BoomCatalog[ch.Tool]; !ok {
			return nil, fmt.Errorf("catalog charts[%d].tool: %q is not a BOOM tool (%s)", i, ch.Tool, strings.Join(stacks.CatalogNames(), ", "))
		}
		if !semver.IsValid(vee(ch.Latest)) {
			return nil, fmt.Errorf("catalog charts[%d].latest: %q is not a version like 1.2.3", i, ch.Latest)
		}
	}
	if c.Orbos != "" && !semver.IsValid(vee(c.Orbos)) {
		return nil, fmt.Errorf("catalog orbos: %q is not a version like v0.2.0", c.Orbos)
	}
	sort.Slice(c.Kubernetes, func(i, j int) bool {
		a, _ := kubeversion.Parse(c.Kubernetes[i].Latest)
		b, _ := kubeversion.Parse(c.Kubernetes[j].Latest)
		return a.LessThan(b)
	})
	return &c, nil
}

// Advice is what the catalog says about a desired version.
type Advice struct {
	// Patch is a newer patch of the same minor; Minor the newest patch of the next minor.
	Patch, Minor string
	// EndOfLife is set when the version's minor is past its end of life at the time asked.
	EndOfLife string
	// Charts are the enabled tools whose pinned chart has a newer version.
	Charts []ChartUpdate
	// Orbos is a newer orbos than the ORB's reconciler runs ("" when none or unknown).
	Orbos string
}

// ChartUpdate is a newer chart for a tool the ORB runs.
type ChartUpdate struct {
	Tool, Current, Latest string
}

func (u ChartUpdate) String() string { return u.Tool + " " + u.Current + " → " + u.Latest }

// Any reports whether there is something to tell.
func (a Advice) Any() bool {
	return a.Patch != "" || a.Minor != "" || a.EndOfLife != "" || len(a.Charts) > 0 || a.Orbos != ""
}

// Summary is the updates in one line: Kubernetes versions, charts, orbos.
func (a Advice) Summary() string {
	var parts []string
	for _, v := range []string{a.Patch, a.Minor} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	for _, c := range a.Charts {
		parts = append(parts, c.String())
	}
	if a.Orbos != "" {
		parts = append(parts, "orbos "+a.Orbos)
	}
	return strings.Join(parts, ", ")
}

// LatestChart is the newest version of tool's chart the catalog knows: its own entry, else the pin.
func (c *Catalog) LatestChart(tool string) string {
	for _, ch := range c.Charts {
		if ch.Tool == tool {
			return ch.Latest
		}
	}
	return stacks.BoomCatalog[tool].Chart.Version
}

// AdviseSpec is Advise for the spec's Kubernetes version, plus the newer charts of its enabled tools
// and a newer orbos than the image its reconciler runs (when the image's tag is a version).
func (c *Catalog) AdviseSpec(sp *stacks.Spec, now time.Time) Advice {
	a := c.Advise(sp.Kubernetes().Version, now)
	for _, t := range sp.Tools() {
		latest := c.LatestChart(t.Name)
		if cur := t.Chart.Version; cur != "" && latest != "" && semver.Compare(vee(cur), vee(latest)) < 0 {
			a.Charts = append(a.Charts, ChartUpdate{Tool: t.Name, Current: cur, Latest: latest})
		}
	}
	if r := sp.File.Config.Reconciler; r != nil && c.Orbos != "" {
		if i := strings.LastIndexByte(r.Image, ':'); i >= 0 && !strings.Contains(r.Image[i:], "/") {
			if tag := r.Image[i+1:]; semver.IsValid(vee(tag)) && semver.Compare(vee(tag), vee(c.Orbos)) < 0 {
				a.Orbos = c.Orbos
			}
		}
	}
	return a
}

// vee puts the "v" semver wants before a chart version that has none.
func vee(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

// Advise compares version with the catalog at time now.
func (c *Catalog) Advise(version string, now time.Time) Advice {
	var a Advice
	cur, err := kubeversion.Parse(version)
	if err != nil {
		return a
	}
	for _, r := range c.Kubernetes {
		latest, _ := kubeversion.Parse(r.Latest)
		switch {
		case latest.Major() == cur.Major() && latest.Minor() == cur.Minor():
			if cur.LessThan(latest) {
				a.Patch = r.Latest
			}
			if eol, _ := time.Parse(time.DateOnly, r.EndOfLife); now.After(eol) {
				a.EndOfLife = r.EndOfLife
			}
		case latest.Major() == cur.Major() && latest.Minor() == cur.Minor()+1:
			a.Minor = r.Latest
		}
	}
	return a
}

// Next lists the versions an ORB at version may be set to: itself, the newest patch of its minor
// and the newest patch of the next minor, as the catalog knows them, each allowed by kubeversion.Step.
func (c *Catalog) Next(version string) []string {
	out := []string{version}
	a := c.Advise(version, time.Time{})
	for _, v := range []string{a.Patch, a.Minor} {
		if v != "" && kubeversion.Step(version, v) == nil {
			out = append(out, v)
		}
	}
	return out
}
