package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks"
)

// benchTool is a BOOM tool of the benchmarks: a generated chart under charts/<name> of the ORB
// repository, named and versioned as the catalog pins it for a catalog tool.
type benchTool struct {
	name, chart, version, namespace string
	// objects is the chart's `objects` value: how many namespaced objects it renders.
	objects int
	crds    []benchCRD
}

// release says whether orbos installs the tool as a Helm release (a tool whose real chart needs
// hooks) rather than as a rendered chart.
func (t benchTool) release() bool { return boom.HookReason(t.name) != "" }

// pulumiObjects is how many of the tool's objects are Pulumi resources: all of a rendered chart's;
// of a release only the CRDs (applied in a step of their own), the rest being Helm's.
func (t benchTool) pulumiObjects() int {
	if t.release() {
		return len(t.crds)
	}
	return benchChartObjects(t.objects, t.crds)
}

// catalogBenchTools is every tool of orbos's catalog, each from a generated chart of objects
// namespaced objects plus its CRDs, in a namespace of the ORB's own.
func catalogBenchTools(orb string, objects int) []benchTool {
	var out []benchTool
	for _, name := range stacks.CatalogNames() {
		c := stacks.BoomCatalog[name].Chart
		out = append(out, benchTool{name: name, chart: c.Name, version: c.Version, namespace: orb + "-" + name, objects: objects, crds: toolCRDs[name]})
	}
	return out
}

// boomBench is an ORB whose BOOM tools come from generated charts, beside a bare Automation API
// stack that installs the same charts (in namespaces ending in -raw) as a user of Pulumi would
// without orbos: per tool its namespace, the chart's CRDs (yaml/v2 ConfigGroup), then the chart as
// a helm.sh/v4 Chart, or as a helm.sh/v3 Release for the tools orbos installs as releases; the
// tools in orbos's order.
type boomBench struct {
	o      *orb
	raw    auto.Stack
	charts string // a copy of the generated charts for the raw stack
	tools  []benchTool
}

func newBoomBench(tb testing.TB, name string, tools []benchTool) *boomBench {
	tb.Helper()
	o := newORB(tb, name)
	tb.Cleanup(func() {
		for _, t := range tools {
			for _, c := range t.crds {
				_, _, _ = apiserver.Delete(context.Background(), c.crdPath())
			}
		}
	})
	bb := &boomBench{o: o, charts: tb.TempDir(), tools: tools}
	files := map[string]string{}
	for _, t := range tools {
		for p, content := range benchChart("charts/"+t.name, t.chart, t.version, t.crds) {
			files[p] = content
			f := filepath.Join(bb.charts, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	bb.push("boom: generated charts for the benchmark", files)
	bb.raw = inlineStack(tb, name, bb.program)
	kc, err := os.ReadFile(apiserver.Kubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	if err := bb.raw.SetConfig(context.Background(), stacks.KeyKubeconfig, auto.ConfigValue{Value: string(kc), Secret: true}); err != nil {
		tb.Fatal(err)
	}
	return bb
}

// setObjects makes every tool's chart render n namespaced objects: a spec change pushed for
// orbctl; the raw stack's program reads it at its next run.
func (bb *boomBench) setObjects(n int) {
	for i := range bb.tools {
		bb.tools[i].objects = n
	}
	bb.push(fmt.Sprintf("boom: %d objects per chart", n), nil)
}

// push commits files and the tools' spec (every tool replacing the starter's) to the ORB repository.
func (bb *boomBench) push(msg string, files map[string]string) {
	o := bb.o
	o.t.Helper()
	user := filepath.Join(o.t.TempDir(), "user")
	gittest.Git(o.t, filepath.Dir(user), "clone", "-q", o.remote, user)
	for p, content := range files {
		f := filepath.Join(user, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	spec := filepath.Join(user, stacks.StackFileName(o.name))
	raw, err := os.ReadFile(spec)
	if err != nil {
		o.t.Fatal(err)
	}
	edited, err := withTools(raw, bb.toolsSpec())
	if err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(spec, edited, 0o644); err != nil {
		o.t.Fatal(err)
	}
	gittest.Git(o.t, user, "add", "-A")
	gittest.Git(o.t, user, "commit", "-qm", msg)
	gittest.Git(o.t, user, "push", "-q", "origin", "main")
}

func (bb *boomBench) toolsSpec() map[string]any {
	out := map[string]any{}
	for _, t := range bb.tools {
		out[t.name] = map[string]any{
			"enabled":   true,
			"chart":     map[string]any{"repository": "charts/" + t.name, "name": t.chart, "version": t.version},
			"namespace": t.namespace,
			"values":    map[string]any{"objects": t.objects},
		}
	}
	return out
}

// withTools replaces orbos:boom.tools of a stack file, keeping the rest (and its comments).
func withTools(stackFile []byte, tools map[string]any) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(stackFile, &doc); err != nil {
		return nil, err
	}
	cfg := mappingAt(doc.Content[0], "config")
	b := mappingAt(cfg, "orbos:boom")
	if cfg == nil || b == nil {
		return nil, fmt.Errorf("the stack file has no config.orbos:boom")
	}
	var n yaml.Node
	if err := n.Encode(tools); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(b.Content); i += 2 {
		if b.Content[i].Value == "tools" {
			b.Content[i+1] = &n
			return yaml.Marshal(&doc)
		}
	}
	b.Content = append(b.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "tools"}, &n)
	return yaml.Marshal(&doc)
}

func mappingAt(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// program is the raw stack's program.
func (bb *boomBench) program(ctx *pulumi.Context) error {
	p, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
		Kubeconfig: config.RequireSecret(ctx, stacks.KeyKubeconfig), EnableConfigMapMutable: pulumi.Bool(true),
	})
	if err != nil {
		return err
	}
	byName := map[string]benchTool{}
	var named []stacks.NamedTool
	for _, t := range bb.tools {
		byName[t.name] = t
		named = append(named, stacks.NamedTool{Name: t.name})
	}
	ordered, after := boom.Order(named)
	made := map[string]pulumi.Resource{}
	for _, nt := range ordered {
		t := byName[nt.Name]
		ns := t.namespace + "-raw"
		nsr, err := corev1.NewNamespace(ctx, ns, &corev1.NamespaceArgs{Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ns)}}, pulumi.Provider(p))
		if err != nil {
			return err
		}
		deps := []pulumi.Resource{nsr}
		for _, a := range after[t.name] {
			deps = append(deps, made[a])
		}
		dir := filepath.Join(bb.charts, "charts", t.name)
		if len(t.crds) > 0 {
			crds, err := yamlv2.NewConfigGroup(ctx, t.name+"-crds", &yamlv2.ConfigGroupArgs{
				Files: pulumi.ToStringArray([]string{filepath.Join(dir, "crds", "*.yaml")}),
			}, pulumi.Provider(p), pulumi.RetainOnDelete(true))
			if err != nil {
				return err
			}
			deps = append(deps, crds)
		}
		values := pulumi.Map{"objects": pulumi.Int(t.objects)}
		opts := []pulumi.ResourceOption{pulumi.Provider(p), pulumi.DependsOn(deps)}
		if t.release() {
			made[t.name], err = helmv3.NewRelease(ctx, t.name, &helmv3.ReleaseArgs{
				Chart: pulumi.String(dir), Name: pulumi.String(t.name), Namespace: pulumi.String(ns), Values: values,
				SkipCrds: pulumi.Bool(true), SkipAwait: pulumi.Bool(true),
			}, opts...)
		} else {
			made[t.name], err = helmv4.NewChart(ctx, t.name, &helmv4.ChartArgs{
				Chart: pulumi.String(dir), Name: pulumi.String(t.name), Namespace: pulumi.String(ns), Values: values,
				SkipCrds: pulumi.Bool(true), SkipAwait: pulumi.Bool(true),
			}, opts...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// firstUp runs the first up of both sides, orbctl's first, and returns how long each took.
func (bb *boomBench) firstUp(tb testing.TB) (orbctl, raw time.Duration) {
	tb.Helper()
	start := time.Now()
	bb.o.mustRun("up")
	orbctl = time.Since(start)
	start = time.Now()
	if _, err := bb.raw.Up(context.Background()); err != nil {
		tb.Fatalf("raw up: %v", err)
	}
	return orbctl, time.Since(start)
}

// noop runs a no-op op ("up" or "preview") on one side, failing on any planned change; flags are
// orbctl's.
func (bb *boomBench) noop(tb testing.TB, op string, orbctl bool, flags ...string) {
	tb.Helper()
	ctx := context.Background()
	switch {
	case orbctl && op == "up":
		// A run that changes nothing makes no commit.
		head := bb.o.remoteHead()
		if r := bb.o.mustRun(append([]string{"up"}, flags...)...); bb.o.remoteHead() != head {
			tb.Fatalf("a no-op up committed:\n%s", r)
		}
	case orbctl:
		bb.o.mustRun(append([]string{"preview", "--expect-no-changes"}, flags...)...)
	case op == "up":
		if _, err := bb.raw.Up(ctx, optup.ExpectNoChanges()); err != nil {
			tb.Fatalf("raw no-op up: %v", err)
		}
	default:
		if _, err := bb.raw.Preview(ctx, optpreview.ExpectNoChanges()); err != nil {
			tb.Fatalf("raw no-op preview: %v", err)
		}
	}
}

// destroy removes both sides' objects (their CRDs stay until the test's cleanup).
func (bb *boomBench) destroy(tb testing.TB) {
	tb.Helper()
	bb.o.mustRun("destroy", "--yes")
	if _, err := bb.raw.Destroy(context.Background()); err != nil {
		tb.Fatalf("raw destroy: %v", err)
	}
}
