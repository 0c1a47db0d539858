package automation

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"github.com/orbos/orbos/automation/record"
)

// Step is one resource operation of a run, as the engine reported it.
type Step = record.Step

// Diff is one changed property of an update.
type Diff = record.Diff

// progress turns engine events into progress lines while the engine works, and collects the steps.
type progress struct {
	w       io.Writer // nil: collect only
	preview bool

	mu      sync.Mutex
	started map[string]time.Time
	steps   map[string]*Step
	order   []string
	errors  []string
	// violations are the mandatory policies the run broke, "policy: message".
	violations []string
	summary    *apitype.SummaryEvent
}

func newProgress(w io.Writer, preview bool) *progress {
	return &progress{w: w, preview: preview, started: map[string]time.Time{}, steps: map[string]*Step{}}
}

var symbols = map[apitype.OpType]string{
	apitype.OpCreate: "+", apitype.OpUpdate: "~", apitype.OpDelete: "-", apitype.OpReplace: "+-",
	apitype.OpCreateReplacement: "++", apitype.OpDeleteReplaced: "--", apitype.OpRead: ">",
	apitype.OpRefresh: "*", apitype.OpImport: "=",
}

var doing = map[apitype.OpType][2]string{
	apitype.OpCreate: {"creating", "created"}, apitype.OpUpdate: {"updating", "updated"},
	apitype.OpDelete: {"deleting", "deleted"}, apitype.OpReplace: {"replacing", "replaced"},
	apitype.OpCreateReplacement: {"creating replacement", "created replacement"},
	apitype.OpDeleteReplaced:    {"deleting replaced", "deleted replaced"}, apitype.OpRead: {"reading", "read"},
	apitype.OpRefresh: {"refreshing", "refreshed"}, apitype.OpImport: {"importing", "imported"},
}

// consume reads events until the channel closes.
func (p *progress) consume(ch <-chan events.EngineEvent) {
	for ev := range ch {
		p.handle(ev.EngineEvent)
	}
}

func (p *progress) handle(ev apitype.EngineEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ev.ResourcePreEvent != nil:
		m := ev.ResourcePreEvent.Metadata
		if !shown(m) {
			return
		}
		s := p.step(m)
		s.Diffs = diffs(m)
		p.started[m.URN] = time.Now()
		if p.preview {
			s.Status = "planned"
			p.printf("  %-2s %s %s%s\n", symbols[m.Op], m.Type, s.Name, replaceNote(m))
			for _, d := range s.Diffs {
				p.printf("       %s\n", d)
			}
			return
		}
		p.printf("  %-2s %-9s %s %s\n", symbols[m.Op], doing[m.Op][0], m.Type, s.Name)
	case ev.ResOutputsEvent != nil:
		m := ev.ResOutputsEvent.Metadata
		if !shown(m) || p.preview {
			return
		}
		s := p.step(m)
		s.Status = "done"
		if t, ok := p.started[m.URN]; ok {
			s.Seconds = time.Since(t).Round(10 * time.Millisecond).Seconds()
		}
		if m.Op == apitype.OpRefresh && len(m.Diffs) == 0 {
			return // refreshed without drift: not worth a line
		}
		p.printf("  %-2s %-9s %s %s (%.1fs)\n", symbols[m.Op], doing[m.Op][1], m.Type, s.Name, s.Seconds)
	case ev.ResOpFailedEvent != nil:
		m := ev.ResOpFailedEvent.Metadata
		s := p.step(m)
		s.Status = "failed"
		p.printf("  !  failed    %s %s\n", m.Type, s.Name)
	case ev.DiagnosticEvent != nil:
		d := ev.DiagnosticEvent
		if d.Ephemeral || (d.Severity != "error" && d.Severity != "warning") {
			return
		}
		msg := strings.TrimSpace(d.Message)
		if d.Severity == "error" {
			p.errors = append(p.errors, msg)
		}
		where := ""
		if d.URN != "" {
			where = " " + nameOf(d.URN)
		}
		p.printf("  %s%s: %s\n", d.Severity, where, indent(msg))
	case ev.PolicyEvent != nil:
		pe := ev.PolicyEvent
		msg := strings.TrimSpace(pe.Message)
		p.printf("  policy %s/%s (%s): %s\n", pe.PolicyPackName, pe.PolicyName, pe.EnforcementLevel, indent(msg))
		if pe.EnforcementLevel == "mandatory" {
			// The first line repeats the policy's description; the rest says what is wrong.
			detail := msg
			if _, rest, ok := strings.Cut(msg, "\n"); ok {
				detail = strings.ReplaceAll(strings.TrimSpace(rest), "\n", "; ")
			}
			p.violations = append(p.violations, pe.PolicyName+": "+detail)
		}
	case ev.SummaryEvent != nil:
		p.summary = ev.SummaryEvent
	}
}

func (p *progress) printf(format string, args ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, format, args...)
	}
}

// shown hides the steps nobody needs to read: unchanged resources, the stack and provider resources.
func shown(m apitype.StepEventMetadata) bool {
	return m.Op != apitype.OpSame && m.Type != "pulumi:pulumi:Stack" && !strings.HasPrefix(m.Type, "pulumi:providers:")
}

func (p *progress) step(m apitype.StepEventMetadata) *Step {
	key := m.URN + "\x00" + string(m.Op)
	if s, ok := p.steps[key]; ok {
		return s
	}
	s := &Step{Op: string(m.Op), Type: m.Type, Name: nameOf(m.URN), URN: m.URN}
	p.steps[key] = s
	p.order = append(p.order, key)
	return s
}

// Steps returns the steps in the order the engine began them.
func (p *progress) Steps() []Step {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Step, 0, len(p.order))
	for _, k := range p.order {
		out = append(out, *p.steps[k])
	}
	return out
}

func replaceNote(m apitype.StepEventMetadata) string {
	if m.Op == apitype.OpReplace && len(m.Keys) > 0 {
		return " (replace: " + strings.Join(m.Keys, ", ") + " changed)"
	}
	return ""
}

func nameOf(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n      ") }

// diffs renders the detailed diff of an update, with old and new input values.
func diffs(m apitype.StepEventMetadata) []Diff {
	var out []Diff
	var oldIn, newIn map[string]any
	if m.Old != nil {
		oldIn = m.Old.Inputs
	}
	if m.New != nil {
		newIn = m.New.Inputs
	}
	for path, pd := range m.DetailedDiff {
		d := Diff{Path: path, Kind: string(pd.Kind)}
		if v, ok := lookupPath(oldIn, path); ok {
			d.Old = render(v)
		}
		if v, ok := lookupPath(newIn, path); ok {
			d.New = render(v)
		}
		// A difference the provider found in what it read back (a stopped kubelet) is in the
		// outputs, not the inputs: show what was read, and that up makes it right.
		if _, isInput := lookupPath(oldIn, path); !isInput && m.Old != nil && d.New == "" {
			if v, ok := lookupPath(m.Old.Outputs, path); ok {
				d.Old, d.New = render(v), "(made right by up)"
			}
		}
		out = append(out, d)
	}
	if len(m.DetailedDiff) == 0 && m.Op == apitype.OpUpdate {
		for _, k := range m.Diffs {
			d := Diff{Path: k, Kind: "update"}
			if v, ok := oldIn[k]; ok {
				d.Old = render(v)
			}
			if v, ok := newIn[k]; ok {
				d.New = render(v)
			}
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func render(v any) string {
	// A secret arrives as Pulumi's envelope around its ciphertext: neither is for reading.
	if m, ok := v.(map[string]any); ok && m[sig.Key] == sig.Secret {
		return "[secret]"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// lookupPath finds a property path like data.version, items[0] or labels["a.b/c"] in v.
func lookupPath(v map[string]any, path string) (any, bool) {
	var cur any = v
	for path != "" {
		var key string
		switch {
		case strings.HasPrefix(path, "["):
			end := strings.Index(path, "]")
			if end < 0 {
				return nil, false
			}
			key, path = path[1:end], path[end+1:]
			if uq, err := strconv.Unquote(key); err == nil {
				key = uq
			} else if i, err := strconv.Atoi(key); err == nil {
				list, ok := cur.([]any)
				if !ok || i >= len(list) {
					return nil, false
				}
				cur = list[i]
				path = strings.TrimPrefix(path, ".")
				continue
			}
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			key, path = path[:end], path[end:]
		}
		path = strings.TrimPrefix(path, ".")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[key]; !ok {
			return nil, false
		}
	}
	return cur, true
}
