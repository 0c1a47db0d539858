package boom

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// The two halves of a rendered chart, which Helm hands to a post-renderer (`orbctl boom-manifests`).
const (
	// OnlyCRDs keeps the CustomResourceDefinitions, marked to be kept when the tool goes.
	OnlyCRDs = "crds"
	// WithoutCRDs keeps everything else, marked as owned by orbos.
	WithoutCRDs = "resources"
)

// Annotations the post-renderer sets.
const (
	// keepAnnotation is Helm's resource policy; Chart v4 turns it into RetainOnDelete.
	keepAnnotation = "helm.sh/resource-policy"
	// patchForce makes orbos's server-side apply take back fields another manager changed (drift
	// is undone by the next up instead of failing it with a conflict).
	patchForce = "pulumi.com/patchForce"
)

// FilterManifests reads a rendered chart (multi-document YAML) and writes the half named by part:
// OnlyCRDs or WithoutCRDs. Chart v4 renders a chart twice through it, so that the CRDs are applied,
// and kept, in a step before the objects that use them (pulumi-kubernetes#3176).
func FilterManifests(in io.Reader, out io.Writer, part string) error {
	if part != OnlyCRDs && part != WithoutCRDs {
		return fmt.Errorf("unknown part %q (want %s or %s)", part, OnlyCRDs, WithoutCRDs)
	}
	dec := yaml.NewDecoder(in)
	enc := yaml.NewEncoder(out)
	enc.SetIndent(2)
	wrote := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the rendered chart: %w", err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue // an empty document (a template that rendered nothing)
		}
		obj := doc.Content[0]
		crd := value(obj, "kind") == "CustomResourceDefinition" && bytes.HasPrefix([]byte(value(obj, "apiVersion")), []byte("apiextensions.k8s.io/"))
		if crd != (part == OnlyCRDs) {
			continue
		}
		if crd {
			annotate(obj, keepAnnotation, "keep")
		} else {
			annotate(obj, patchForce, "true")
		}
		if err := enc.Encode(&doc); err != nil {
			return err
		}
		wrote = true
	}
	if !wrote {
		return nil // closing an encoder that wrote nothing fails ("expected STREAM-START")
	}
	return enc.Close()
}

// value returns a mapping's scalar value at key, "" when absent.
func value(m *yaml.Node, key string) string {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// annotate sets metadata.annotations[key] = val, creating what is missing.
func annotate(obj *yaml.Node, key, val string) {
	meta := child(obj, "metadata")
	ann := child(meta, "annotations")
	if v := field(ann, key); v != nil {
		v.Kind, v.Tag, v.Value, v.Style = yaml.ScalarNode, "!!str", val, yaml.DoubleQuotedStyle
		return
	}
	ann.Content = append(ann.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val, Style: yaml.DoubleQuotedStyle})
}

// child returns the mapping at key, replacing a null or missing one by an empty mapping.
func child(m *yaml.Node, key string) *yaml.Node {
	if v := field(m, key); v != nil {
		if v.Kind != yaml.MappingNode {
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}
