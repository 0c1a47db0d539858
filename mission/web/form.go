package web

import (
	"fmt"
	"html/template"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/schemaform"
	"github.com/orbos/orbos/stacks"
)

// editSections are the spec's sections MISSION edits: ORBITER (machines and Kubernetes) and BOOM.
var editSections = []string{stacks.KeyOrbiter, stacks.KeyBoom}

// specSchema is what `orbctl schema` prints; it depends only on the binary.
var specSchema = sync.OnceValue(stacks.JSONSchema)

const versionKey = stacks.KeyOrbiter + ".kubernetes.version"

// editForms are the forms generated from the schema for the ORB's sections, filled with its desired
// state. The schema cannot say which Kubernetes versions an ORB may move to (the catalog's next
// patch and minor) nor which chart versions exist (orbos's pins and the catalog's newest): those
// are selects the catalog fills; BOOM's tools of the catalog are offered even when the spec names none.
func (s *Server) editForms(o *fleet.ORB) ([]*schemaform.Field, error) {
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(o.Desired), &file); err != nil {
		return nil, fmt.Errorf("reading the desired state of %s: %w", o.Name, err)
	}
	cat := s.fleet.Catalog()
	current := o.Spec.Kubernetes().Version
	opts := schemaform.Options{
		Choices: func(path, value string) []schemaform.Option {
			switch {
			case path == versionKey:
				out := []schemaform.Option{{Value: current, Label: current + " (current)"}}
				for _, v := range cat.Next(current) {
					out = append(out, schemaform.Option{Value: v, Label: v})
				}
				return out
			case path == stacks.KeyOrbiter+".apiVersion" || path == stacks.KeyBoom+".apiVersion":
				return []schemaform.Option{{Value: stacks.APIVersion, Label: stacks.APIVersion}}
			}
			if tool, ok := chartVersionTool(path); ok {
				return chartChoices(value, stacks.BoomCatalog[tool].Chart.Version, cat.LatestChart(tool))
			}
			return nil
		},
		Keys: func(path string) []string {
			if path == stacks.KeyBoom+".tools" {
				return stacks.CatalogNames()
			}
			return nil
		},
	}
	var out []*schemaform.Field
	for _, sec := range editSections {
		f, err := schemaform.Build(specSchema(), sec, file.Config[sec], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// chartVersionTool tells whether path is the chart version of one of orbos's catalog tools; the
// chart of a tool of the user's own is free text.
func chartVersionTool(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, stacks.KeyBoom+".tools.")
	if !ok {
		return "", false
	}
	tool, ok := strings.CutSuffix(rest, ".chart.version")
	if !ok || strings.Contains(tool, ".") {
		return "", false
	}
	_, known := stacks.BoomCatalog[tool]
	return tool, known
}

// chartChoices are the chart versions offered for a catalog tool: the spec's (or, unset, orbos's
// pin), the pin and the catalog's newest.
func chartChoices(current, pin, latest string) []schemaform.Option {
	var out []schemaform.Option
	seen := map[string]bool{}
	add := func(v, label string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, schemaform.Option{Value: v, Label: label})
		}
	}
	if current == "" {
		add("", "orbos's pin ("+pin+")")
		seen[pin] = true
	} else {
		add(current, current+" (current)")
	}
	add(pin, pin+" (orbos's pin)")
	if latest != "" {
		add(latest, latest+" (newest in the catalog)")
	}
	return out
}

// renderForms is the HTML of the generated forms.
func renderForms(forms []*schemaform.Field) ([]template.HTML, error) {
	var out []template.HTML
	for _, f := range forms {
		h, err := schemaform.Render(f)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}
