package stacks

import (
	"strings"
	"testing"
)

// The database's charts default to orbos's pins field by field; a chart path in the ORB repository
// is taken; a chart of the engine the spec does not run, and a repository that is neither a path
// nor a remote one, are refused by path.
func TestDatabaseChartsOverrideThePins(t *testing.T) {
	withCharts := func(charts string) string {
		return strings.Replace(zitadelFile, "      engine: postgres\n", "      engine: postgres\n      charts: "+charts+"\n", 1)
	}
	s, err := Parse("demo", []byte(withCharts("{cloudnativePG: {repository: charts/cloudnative-pg, version: 0.1.0}}")))
	if err != nil {
		t.Fatal(err)
	}
	d := s.ZitadelOn().Database
	if got := d.CloudNativePGChart(); got != (Chart{"charts/cloudnative-pg", "cloudnative-pg", "0.1.0"}) {
		t.Errorf("the operator's chart: %+v", got)
	}
	if got := d.BarmanCloudChart(); got != BarmanCloudChart {
		t.Errorf("the plugin's chart without an override: %+v", got)
	}
	s, _ = Parse("demo", []byte(zitadelFile))
	if d := s.ZitadelOn().Database; d.CloudNativePGChart() != CloudNativePGChart || d.CockroachDBChart() != CockroachDBChart {
		t.Errorf("pins without charts: %+v %+v", d.CloudNativePGChart(), d.CockroachDBChart())
	}

	const p = "config.orbos:zitadel.database.charts."
	for _, c := range []struct{ name, charts, want string }{
		{"cockroachdb's chart on postgres", "{cockroachdb: {repository: charts/cockroachdb}}", p + "cockroachdb"},
		{"a path out of the repository", "{barmanCloud: {repository: ../charts/plugin}}", p + "barmanCloud.repository"},
		{"a plain-http repository", "{cloudnativePG: {repository: \"http://charts.example.com\"}}", p + "cloudnativePG.repository"},
		{"a version range", "{cloudnativePG: {version: 0.x}}", p + "cloudnativePG.version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(withCharts(c.charts)))
			assertPaths(t, err, []string{c.want})
		})
	}
}
