// Package catalog knows which Kubernetes releases exist (an embedded list an operator may replace
// with a file) and compares an ORB's desired version with them: updates available, end of life, and
// the versions an edit may choose (never down, at most one minor up, as internal/kubeversion rules).
package catalog

import (
	_ "embed"
	"fmt"
	"os"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/kubeversion"
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
}

// Any reports whether there is something to tell.
func (a Advice) Any() bool { return a.Patch != "" || a.Minor != "" || a.EndOfLife != "" }

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
