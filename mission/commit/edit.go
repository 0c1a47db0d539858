// Package commit turns a MISSION form into a change of an ORB's desired state and writes it: the
// edit is applied to the YAML document (comments, secrets and everything else kept as they are),
// validated with the spec's own validation, shown as a diff, and committed with the signed-in user
// as author, MISSION as committer and trailers saying what and who — onto the branch only when it
// has not moved since the form was shown, or onto a proposal branch when the ORB asks for review.
package commit

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/stackconfig"
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
	// ChartVersions pin BOOM tools' chart versions by tool name.
	ChartVersions map[string]string
	// Values are scalar values by config key (orbos:boom.tools.metrics.namespace), as the form
	// generated from the schema posts them; YAML types them as a user typing them would.
	Values map[string]string
	// Lists are lists of scalars by config key, set whole (empty removes every item).
	Lists map[string][]string
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

// Apply applies e to the desired-state file raw of orb with orbctl's own editor (stackconfig: the
// comments, the secrets' ciphertexts and every value not named stay as they are; nothing is
// decrypted). allowedVersions are the Kubernetes versions the form offered (the catalog's next
// versions); another version is refused.
func Apply(orb string, raw []byte, e Edit, allowedVersions []string) (*Result, error) {
	f, err := stackconfig.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the desired state of %s: %w", orb, err)
	}
	res := &Result{Before: string(raw)}
	set := func(key, value string) {
		old := ""
		if v, err := f.Get(key, nil); err == nil {
			if v.Secret || strings.Contains(v.Value, "\n") {
				res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + key, Message: "is not a single value"})
				return
			}
			old = v.Value
		}
		if old == value {
			return
		}
		if err := f.Set(key, value, false, nil); err != nil {
			res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + key, Message: err.Error()})
			return
		}
		res.Fields = append(res.Fields, Field{Path: key, Old: old, New: value})
	}
	orbiter := stacks.KeyOrbiter + "."
	if v := e.KubernetesVersion; v != "" {
		if !slices.Contains(allowedVersions, v) {
			res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + orbiter + "kubernetes.version",
				Message: fmt.Sprintf("%q is not offered: choose one of %s", v, strings.Join(allowedVersions, ", "))})
		} else {
			set(orbiter+"kubernetes.version", v)
		}
	}
	if n := e.ControlPlaneNodes; n != nil {
		set(orbiter+"kubernetes.controlPlane.nodes", strconv.Itoa(*n))
	}
	for _, pool := range sortedKeys(e.PoolCounts) {
		set(orbiter+"providers.gce.pools."+pool+".count", strconv.Itoa(e.PoolCounts[pool]))
	}
	for _, tool := range sortedKeys(e.Tools) {
		set(stacks.KeyBoom+".tools."+tool+".enabled", strconv.FormatBool(e.Tools[tool]))
	}
	for _, tool := range sortedKeys(e.ChartVersions) {
		set(stacks.KeyBoom+".tools."+tool+".chart.version", e.ChartVersions[tool])
	}
	for _, key := range sortedKeys(e.Values) {
		if key == orbiter+"kubernetes.version" {
			res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + key, Message: "is changed through KubernetesVersion only (the offered versions)"})
			continue
		}
		set(key, e.Values[key])
	}
	for _, key := range sortedKeys(e.Lists) {
		setList(f, res, key, e.Lists[key])
	}
	after, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	res.After = string(after)
	if len(res.Errors) > 0 {
		return res, nil
	}
	_, err = stacks.Parse(orb, after)
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
				res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + orbiter + "kubernetes.version", Message: err.Error()})
			}
		}
	}
	return res, nil
}

// setList sets a list of scalars and records it as one changed field, [a, b] -> [a, b, c].
func setList(f *stackconfig.File, res *Result, key string, items []string) {
	old := "[]"
	if v, err := f.Get(key, nil); err == nil {
		var cur []string
		if v.Secret || yaml.Unmarshal([]byte(v.Value), &cur) != nil {
			res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + key, Message: "is not a list of values"})
			return
		}
		old = "[" + strings.Join(cur, ", ") + "]"
	}
	value := "[" + strings.Join(items, ", ") + "]"
	if old == value {
		return
	}
	if err := f.SetList(key, items); err != nil {
		res.Errors = append(res.Errors, stacks.FieldError{Path: "config." + key, Message: err.Error()})
		return
	}
	res.Fields = append(res.Fields, Field{Path: key, Old: old, New: value})
}

func fieldOld(fs []Field, suffix string) string {
	for _, f := range fs {
		if strings.HasSuffix(f.Path, suffix) {
			return f.Old
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
