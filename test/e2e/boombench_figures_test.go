package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// boomBenchObjects is how many namespaced objects each catalog tool's generated chart renders in
// BenchmarkBoomORB: with cluster RBAC, CRDs and custom resources, the ORB renders some hundreds.
const boomBenchObjects = 42

// boomGrowthSizes are the sizes of BenchmarkBoomGrowth's one chart, in namespaced objects.
var boomGrowthSizes = []int{10, 100, 400}

// BenchmarkBoomORB measures an ORB with every catalog tool on, each from a generated local chart,
// on the real kube-apiserver (no nodes: nothing is awaited): the first up, then a no-op preview and
// a no-op up, each of orbctl beside the raw Automation API installing the same charts (boomBench),
// in turns within the same iteration, so that both sides see the same load.
func BenchmarkBoomORB(b *testing.B) {
	bb := newBoomBench(b, "boom-bench", catalogBenchTools("bb", boomBenchObjects))
	orbctl, raw := bb.firstUp(b)
	rendered, resources := 0, 0
	for _, t := range bb.tools {
		rendered += benchChartObjects(t.objects, t.crds)
		resources += t.pulumiObjects()
	}
	b.Logf("first up of %d tools, %d rendered objects (%d of them Pulumi resources): orbctl %.1f s, raw Automation API %.1f s, ratio %.2f",
		len(bb.tools), rendered, resources, orbctl.Seconds(), raw.Seconds(), orbctl.Seconds()/raw.Seconds())
	for _, op := range []string{"preview", "up"} {
		b.Run("noop-"+op, func(b *testing.B) { bb.pair(b, op) })
	}
	// What orbos's policy pack costs in the engine: orbctl without it, the raw stack as before.
	for _, op := range []string{"preview", "up"} {
		b.Run("noop-"+op+"-no-policy", func(b *testing.B) { bb.pair(b, op, "--no-policy") })
	}
	bb.logPhases()
	bb.destroy(b)
}

// BenchmarkBoomGrowth measures how a no-op preview and up grow with the objects one chart renders:
// one tool of the spec's own, its chart grown by a spec change from size to size.
func BenchmarkBoomGrowth(b *testing.B) {
	tool := benchTool{name: "bench", chart: "bench", version: "0.1.0", namespace: "bg-bench", objects: boomGrowthSizes[0]}
	bb := newBoomBench(b, "boom-growth", []benchTool{tool})
	for i, n := range boomGrowthSizes {
		if i > 0 {
			bb.setObjects(n)
		}
		orbctl, raw := bb.firstUp(b)
		b.Logf("the up to %d objects: orbctl %.1f s, raw Automation API %.1f s", n, orbctl.Seconds(), raw.Seconds())
		for _, op := range []string{"preview", "up"} {
			b.Run(fmt.Sprintf("objects=%d/noop-%s", n, op), func(b *testing.B) {
				orbctl, raw := bb.pair(b, op)
				b.ReportMetric(orbctl.Seconds()*1000/float64(n), "orbctl-ms/object")
				b.ReportMetric(raw.Seconds()*1000/float64(n), "raw-ms/object")
			})
		}
	}
	bb.logPhases()
	bb.destroy(b)
}

// pair runs a no-op op on both sides in every iteration, alternating which goes first, and reports
// each side's mean and their ratio; it returns the means. flags are orbctl's.
func (bb *boomBench) pair(b *testing.B, op string, flags ...string) (orbctl, raw time.Duration) {
	n := 0
	for b.Loop() {
		first := n%2 == 0
		for _, side := range []bool{first, !first} {
			start := time.Now()
			bb.noop(b, op, side, flags...)
			if d := time.Since(start); side {
				orbctl += d
			} else {
				raw += d
			}
		}
		n++
	}
	orbctl, raw = orbctl/time.Duration(n), raw/time.Duration(n)
	b.ReportMetric(orbctl.Seconds(), "orbctl-s/op")
	b.ReportMetric(raw.Seconds(), "raw-s/op")
	b.ReportMetric(orbctl.Seconds()/raw.Seconds(), "ratio")
	return orbctl, raw
}

// logPhases logs where one no-op run of each kind spends its time (orbctl --verbose).
func (bb *boomBench) logPhases() {
	for _, op := range [][]string{{"preview", "--verbose"}, {"up", "--verbose"}} {
		bb.o.mustRun(op...)
	}
}

// toolObjects counts the Kubernetes objects of a tool among a state's resources ("type name" as
// stateResources lists them): the children of its chart and of its CRD step.
func toolObjects(resources []string, tool string) int {
	n := 0
	for _, r := range resources {
		typ, name, _ := strings.Cut(r, " ")
		if strings.HasPrefix(typ, "kubernetes:helm.sh/") || strings.HasPrefix(typ, "kubernetes:yaml/") {
			continue // the chart, release or group itself
		}
		if strings.HasPrefix(name, tool+":") || strings.HasPrefix(name, tool+"-crds:") {
			n++
		}
	}
	return n
}

// rawResources lists the raw stack's Kubernetes resources as stateResources does the ORB's.
func (bb *boomBench) rawResources(t testing.TB) []string {
	t.Helper()
	d, err := bb.raw.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var dep struct {
		Resources []struct {
			URN  string `json:"urn"`
			Type string `json:"type"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(d.Deployment, &dep); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range dep.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") {
			out = append(out, r.Type+" "+r.URN[strings.LastIndex(r.URN, "::")+2:])
		}
	}
	return out
}

// The benchmarks' setup, small, as a test: every catalog tool from a generated chart on the real
// engine and kube-apiserver, installed by orbctl and by the raw Automation API stack. Every object
// a chart renders is a Pulumi resource on both sides (but a release's, which Helm holds; its CRDs
// still are) and in the cluster, custom resources with their CRDs in the same first run; a second
// preview and up of each side change nothing, and orbctl's makes no commit.
func TestBoomBenchEveryCatalogTool(t *testing.T) {
	bb := newBoomBench(t, "boom-bench-test", catalogBenchTools("bbt", 6))
	bb.firstUp(t)
	sides := []struct {
		name, suffix string
		resources    []string
	}{{"orbctl", "", bb.o.stateResources()}, {"raw Automation API", "-raw", bb.rawResources(t)}}
	for _, side := range sides {
		for _, tool := range bb.tools {
			if got, want := toolObjects(side.resources, tool.name), tool.pulumiObjects(); got != want {
				t.Errorf("%s: %s has %d Kubernetes resources in the state, want %d", side.name, tool.name, got, want)
			}
			ns := tool.namespace + side.suffix
			if code, _ := kube(t, "/apis/apps/v1/namespaces/"+ns+"/deployments/"+tool.name+"-0"); code != http.StatusOK {
				t.Errorf("%s: %s's Deployment: HTTP %d", side.name, tool.name, code)
			}
			for _, c := range tool.crds {
				p := "/apis/" + c.group + "/" + c.version + "/namespaces/" + ns + "/" + c.plural + "/" + tool.name + "-bench"
				if c.cluster {
					p = "/apis/" + c.group + "/" + c.version + "/" + c.plural + "/" + ns + "-" + tool.name + "-bench"
				}
				if code, _ := kube(t, p); code != http.StatusOK {
					t.Errorf("%s: %s's %s: HTTP %d", side.name, tool.name, c.kind, code)
				}
			}
		}
	}
	for _, op := range []string{"preview", "up"} {
		for _, orbctl := range []bool{true, false} {
			bb.noop(t, op, orbctl)
		}
	}
	bb.destroy(t)
}
