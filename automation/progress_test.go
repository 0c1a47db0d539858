package automation

import (
	"bytes"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"github.com/orbos/orbos/internal/golden"
)

const (
	nsURN = "urn:pulumi:demo::orbos::kubernetes:core/v1:Namespace::orbos-system"
	cmURN = "urn:pulumi:demo::orbos::kubernetes:core/v1:ConfigMap::orb"
)

func previewEvents() []apitype.EngineEvent {
	return []apitype.EngineEvent{
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
			Op: apitype.OpSame, URN: "urn:pulumi:demo::orbos::pulumi:pulumi:Stack::orbos-demo", Type: "pulumi:pulumi:Stack"}}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
			Op: apitype.OpCreate, URN: nsURN, Type: "kubernetes:core/v1:Namespace"}}},
		{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: apitype.StepEventMetadata{
			Op: apitype.OpUpdate, URN: cmURN, Type: "kubernetes:core/v1:ConfigMap",
			Old: &apitype.StepEventStateMetadata{Inputs: map[string]any{"data": map[string]any{"kubernetesVersion": "v1.31.4", "old": "x"},
				"metadata": map[string]any{"labels": map[string]any{"orbos.io/orb": "demo"}}}},
			New: &apitype.StepEventStateMetadata{Inputs: map[string]any{"data": map[string]any{"kubernetesVersion": "v1.31.5", "boom.ingress": "4.11.3"},
				"metadata": map[string]any{"labels": map[string]any{"orbos.io/orb": "demo2"}}}},
			DetailedDiff: map[string]apitype.PropertyDiff{
				"data.kubernetesVersion":          {Kind: apitype.DiffUpdate},
				`data["boom.ingress"]`:            {Kind: apitype.DiffAdd},
				"data.old":                        {Kind: apitype.DiffDelete},
				`metadata.labels["orbos.io/orb"]`: {Kind: apitype.DiffUpdate},
			}}}},
		{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "info", Message: "noise"}},
		{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "warning", URN: cmURN, Message: "the cluster is slow"}},
		{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: map[apitype.OpType]int{"create": 1, "update": 1, "same": 2}}},
	}
}

func TestPreviewRendersAReadableDiff(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, true)
	for _, ev := range previewEvents() {
		p.handle(ev)
	}
	golden.Assert(t, "preview", b.String())
	steps := p.Steps()
	if len(steps) != 2 || steps[1].Diffs[2].Path != `data["boom.ingress"]` || steps[1].Diffs[2].New != `"4.11.3"` {
		t.Fatalf("steps %+v", steps)
	}
}

func TestUpRendersProgressPerResource(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b, false)
	meta := apitype.StepEventMetadata{Op: apitype.OpCreate, URN: nsURN, Type: "kubernetes:core/v1:Namespace"}
	p.handle(apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: meta}})
	p.started[nsURN] = p.started[nsURN].Add(-1500e6) // pretend it took 1.5s
	p.handle(apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: meta}})
	failed := apitype.StepEventMetadata{Op: apitype.OpCreate, URN: cmURN, Type: "kubernetes:core/v1:ConfigMap"}
	p.handle(apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: failed}})
	p.handle(apitype.EngineEvent{ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: failed}})
	p.handle(apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "error", URN: cmURN, Message: "forbidden\nby RBAC"}})
	golden.Assert(t, "up", b.String())
	if len(p.errors) != 1 {
		t.Fatalf("errors %v", p.errors)
	}
	if s := p.Steps(); s[0].Status != "done" || s[1].Status != "failed" {
		t.Fatalf("steps %+v", s)
	}
}

func TestRedactorMasksSecretsInProgress(t *testing.T) {
	r := &Redactor{}
	r.Add("hunter2-long-secret", "ab") // too short to redact safely
	var b bytes.Buffer
	w := r.Writer(&b)
	_, _ = w.Write([]byte("token hunter2-long-secret in ab\n"))
	if got := b.String(); got != "token [secret] in ab\n" {
		t.Fatalf("got %q", got)
	}
}

// A secret's diff shows that it changed, never its ciphertext.
func TestDiffOfASecret(t *testing.T) {
	envelope := func(ct string) map[string]any {
		return map[string]any{sig.Key: sig.Secret, "ciphertext": ct}
	}
	d := diffs(apitype.StepEventMetadata{
		Op:           apitype.OpUpdate,
		Old:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"content": envelope("v1:AAAA")}},
		New:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"content": envelope("v1:BBBB")}},
		DetailedDiff: map[string]apitype.PropertyDiff{"content": {Kind: apitype.DiffUpdate}},
	})
	if len(d) != 1 || d[0].String() != "~ content: [secret] => [secret]" {
		t.Fatalf("%v", d)
	}
}

// A difference the provider read back from the machine (a kubelet stopped behind orbos's back) is
// no input: the diff shows what was read and that up makes it right, not an empty change.
func TestDiffOfWhatWasReadBack(t *testing.T) {
	d := diffs(apitype.StepEventMetadata{
		Op:           apitype.OpUpdate,
		Old:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"version": "v1.31.4"}, Outputs: map[string]any{"version": "v1.31.4", "kubeletActive": false}},
		New:          &apitype.StepEventStateMetadata{Inputs: map[string]any{"version": "v1.31.4"}},
		DetailedDiff: map[string]apitype.PropertyDiff{"kubeletActive": {Kind: apitype.DiffUpdate}},
	})
	if len(d) != 1 || d[0].String() != "~ kubeletActive: false => (made right by up)" {
		t.Fatalf("%v", d)
	}
}
