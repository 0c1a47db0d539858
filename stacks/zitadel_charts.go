package stacks

// DatabaseCharts are the charts of Zitadel's database: the operators of PostgreSQL and the
// CockroachDB chart. They default to orbos's pins; an ORB overrides one to take it from a chart
// path in its own repository (an air-gapped ORB, a vetted copy) or from another repository.
type DatabaseCharts struct {
	CloudNativePG *Chart `yaml:"cloudnativePG" doc:"postgres only: the CloudNativePG operator's chart; default https://cloudnative-pg.github.io/charts cloudnative-pg 0.29.0"`
	BarmanCloud   *Chart `yaml:"barmanCloud" doc:"postgres only: the Barman Cloud plugin's chart; default https://cloudnative-pg.github.io/charts plugin-barman-cloud 0.5.0"`
	CockroachDB   *Chart `yaml:"cockroachdb" doc:"cockroachdb only: the CockroachDB chart; default https://charts.cockroachdb.com cockroachdb 21.0.1"`
}

// chartOr is c with the fields it leaves empty taken from the pin.
func chartOr(c *Chart, pin Chart) Chart {
	if c == nil {
		return pin
	}
	out := *c
	if out.Repository == "" {
		out.Repository = pin.Repository
	}
	if out.Name == "" {
		out.Name = pin.Name
	}
	if out.Version == "" {
		out.Version = pin.Version
	}
	return out
}

// CloudNativePGChart is the chart of the CloudNativePG operator the spec installs.
func (d Database) CloudNativePGChart() Chart {
	return chartOr(d.charts().CloudNativePG, CloudNativePGChart)
}

// BarmanCloudChart is the chart of the Barman Cloud plugin the spec installs.
func (d Database) BarmanCloudChart() Chart { return chartOr(d.charts().BarmanCloud, BarmanCloudChart) }

// CockroachDBChart is the CockroachDB chart the spec installs.
func (d Database) CockroachDBChart() Chart { return chartOr(d.charts().CockroachDB, CockroachDBChart) }

func (d Database) charts() DatabaseCharts {
	if d.Charts == nil {
		return DatabaseCharts{}
	}
	return *d.Charts
}

// validateDatabaseCharts checks the chart overrides as BOOM's charts are checked, and refuses a
// chart of the engine the spec does not run (it would be silently ignored).
func validateDatabaseCharts(p string, d Database, e *errs) {
	c := d.Charts
	if c == nil {
		return
	}
	p += ".charts"
	for _, ch := range []struct {
		field  string
		chart  *Chart
		engine string
	}{{"cloudnativePG", c.CloudNativePG, EnginePostgres}, {"barmanCloud", c.BarmanCloud, EnginePostgres}, {"cockroachdb", c.CockroachDB, EngineCockroachDB}} {
		if ch.chart == nil {
			continue
		}
		if d.Engine != ch.engine {
			e.add(p+"."+ch.field, nil, "only for engine %s, and the engine is %s: remove it", ch.engine, quoteShort(d.Engine))
			continue
		}
		validateChart(p+"."+ch.field, *ch.chart, e)
	}
}
