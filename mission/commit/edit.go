// Package commit turns a MISSION form into a change of an ORB's desired state and writes it: the
// edit is applied to the YAML document (comments, secrets and everything else kept as they are),
// validated with the spec's own validation, shown as a diff, and committed with the signed-in user
// as author, MISSION as committer and trailers saying what and who — onto the branch only when it
// has not moved since the form was shown, or onto a proposal branch when the ORB asks for review.
package commit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/kubeversion"
	"github.com/orbos/orbos/stacks"
)

// Edit is what a form asks to change; a nil or empty field changes nothing.
type Edit struct {
	KubernetesVersion string
	// ControlPlaneNodes is the control plane's node count.
	ControlPlaneNodes *int
	// PoolCounts are GCE pools' machine counts by pool name.
	PoolCounts map[string]int
	// Tools are BOOM tools to enable (true) or disable (false) by name.
	Tools map[string]bool
}

// Field is one changed value, for the commit's trailers and the page.
type Field struct{ Path, Old, New string }

func (f Field) String() string { return fmt.Sprintf("%s: %s -> %s", f.Path, f.Old, f.New) }

// Result is an edit applied to a desired-state file, not yet written anywhere.
type Result struct {
	Before, After string
	Fields        []Field
	// Errors are the spec's validation errors of After, by path; nothing may be written with any.
	Errors []stacks.FieldError
}

// Apply applies e to the desired-state file raw of orb. allowedVersions are the Kubernetes versions
// the form offered (the catalog's next versions); another version is refused.
func Apply(orb string, raw []byte, e Edit, allowedVersions []string) (*Result, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil || doc.Kind != yaml.DocumentNode {
		return nil, fmt.Errorf("the desired state of %s is not a YAML document", orb)
	}
	res := &Result{Before: string(raw)}
	root := doc.Content[0]
	orbiter := []string{"config", stacks.KeyOrbiter}
	set := func(path []string, value string, tag string) {
		old, err := setScalar(root, path, value, tag)
		if err != nil {
			res.Errors = append(res.Errors, stacks.FieldError{Path: strings.Join(path, "."), Message: err.Error()})
			return
		}
		if old != value {
			res.Fields = append(res.Fields, Field{Path: strings.Join(path[1:], "."), Old: old, New: value})
		}
	}
	if v := e.KubernetesVersion; v != "" {
		path := append(slices.Clone(orbiter), "kubernetes", "version")
		if !slices.Contains(allowedVersions, v) {
			res.Errors = append(res.Errors, stacks.FieldError{Path: strings.Join(path, "."),
				Message: fmt.Sprintf("%q is not offered: choose one of %s", v, strings.Join(allowedVersions, ", "))})
		} else {
			set(path, v, "!!str")
		}
	}
	if n := e.ControlPlaneNodes; n != nil {
		set(append(slices.Clone(orbiter), "kubernetes", "controlPlane", "nodes"), strconv.Itoa(*n), "!!int")
	}
	for _, pool := range sortedKeys(e.PoolCounts) {
		set(append(slices.Clone(orbiter), "providers", "gce", "pools", pool, "count"), strconv.Itoa(e.PoolCounts[pool]), "!!int")
	}
	for _, tool := range sortedKeys(e.Tools) {
		set([]string{"config", stacks.KeyBoom, "tools", tool, "enabled"}, strconv.FormatBool(e.Tools[tool]), "!!bool")
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encoding the desired state: %w", err)
	}
	res.After = b.String()
	if len(res.Errors) > 0 {
		return res, nil
	}
	_, err := stacks.Parse(orb, b.Bytes())
	var ve *stacks.ValidationError
	switch {
	case errors.As(err, &ve):
		res.Errors = ve.Errors
	case err != nil:
		return nil, err
	}
	if e.KubernetesVersion != "" && len(res.Errors) == 0 {
		if old := fieldOld(res.Fields, "kubernetes.version"); old != "" {
			if err := kubeversion.Step(old, e.KubernetesVersion); err != nil {
				res.Errors = append(res.Errors, stacks.FieldError{Path: "config.orbos:orbiter.kubernetes.version", Message: err.Error()})
			}
		}
	}
	return res, nil
}

func fieldOld(fs []Field, suffix string) string {
	for _, f := range fs {
		if strings.HasSuffix(f.Path, suffix) {
			return f.Old
		}
	}
	return ""
}

// setScalar sets the scalar at path under a mapping, creating missing mappings on the way; it returns
// the old value ("" when there was none). It never touches a value it does not set.
func setScalar(n *yaml.Node, path []string, value, tag string) (string, error) {
	for i, key := range path {
		if n.Kind != yaml.MappingNode {
			return "", fmt.Errorf("%s is not a mapping", strings.Join(path[:i], "."))
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				next = n.Content[j+1]
			}
		}
		last := i == len(path)-1
		if next == nil {
			if last {
				next = &yaml.Node{Kind: yaml.ScalarNode}
			} else {
				next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, next)
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode {
		return "", errors.New("is not a single value")
	}
	if n.Tag == "!!str" && n.Value != "" && tag != "!!str" {
		return "", errors.New("holds text where a number or true/false belongs")
	}
	old := n.Value
	n.Value, n.Tag, n.Style = value, tag, 0
	return old, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
