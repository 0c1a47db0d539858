package stacks

import "testing"

// The log collector ships to the logs tool's Loki: without that tool on, the spec is refused at the
// collector's path.
func TestCollectorNeedsTheLogsTool(t *testing.T) {
	head := "  orbos:boom:\n    apiVersion: orbos.io/v1alpha1\n    tools:\n"
	const p = "config.orbos:boom.tools.logs-collector.enabled"
	for _, c := range []struct {
		name, tools string
		want        []string
	}{
		{"with logs", "      logs: {enabled: true}\n      logs-collector: {enabled: true}\n", nil},
		{"without logs", "      logs-collector: {enabled: true}\n", []string{p}},
		{"logs off", "      logs: {enabled: false}\n      logs-collector: {enabled: true}\n", []string{p}},
		{"collector off", "      logs-collector: {enabled: false}\n", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(boomFile(t, head+c.tools)))
			assertPaths(t, err, c.want)
		})
	}
}
