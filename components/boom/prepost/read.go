// Package prepost applies the manifests of an ORB repository's preApply/ and postApply/ directories
// around BOOM's tools: plain multi-document YAML files and kustomize directories, each file or
// directory a Pulumi resource of its own (previewed object by object, pruned when removed), the
// CustomResourceDefinitions of the plain files in a step before everything else of their phase.
package prepost

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/valid"
)

// The two phases, named as their directories in the ORB repository.
const (
	PreApply  = "preApply"
	PostApply = "postApply"
)

// Set is what one phase's directory holds.
type Set struct {
	// Phase is PreApply or PostApply.
	Phase string
	// CRDs are the CustomResourceDefinitions of the plain files, applied first.
	CRDs []Doc
	// Files are the plain YAML files (without their CRDs), by path in the repository, sorted.
	Files []File
	// Kustomizations are the absolute paths of the kustomize directories, by path in the
	// repository, sorted.
	Kustomizations []Kustomization
}

// Empty says whether the phase has nothing to apply.
func (s *Set) Empty() bool {
	return s == nil || len(s.CRDs)+len(s.Files)+len(s.Kustomizations) == 0
}

// Doc is one YAML document, re-encoded with orbos's annotations.
type Doc struct {
	// Source is "file, document N" for messages.
	Source string
	YAML   string
}

// File is a plain YAML file's documents other than CRDs.
type File struct {
	Path string // in the repository, slash-separated
	Docs []Doc
}

// Kustomization is a directory with a kustomization file.
type Kustomization struct {
	Path string // in the repository, slash-separated
	Dir  string // absolute, for the provider
}

var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Read reads a phase's directory of the checkout repoDir; a missing directory is an empty set.
// Every path must stay inside the repository (a symbolic link may point only inside it), every
// document be a Kubernetes object, and no object appear twice.
func Read(repoDir, phase string) (*Set, error) {
	root, err := filepath.Abs(repoDir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("the ORB repository: %w", err)
	}
	set := &Set{Phase: phase}
	top := filepath.Join(root, phase)
	info, err := os.Lstat(top)
	if errors.Is(err, fs.ErrNotExist) {
		return set, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", phase, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", phase)
	}
	seen := map[string]string{}
	err = filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := relSlash(root, path)
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := inside(root, path)
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if st, err := os.Stat(target); err != nil || st.IsDir() {
				return fmt.Errorf("%s: a symbolic link to a directory (link the files, or move the directory here)", rel)
			}
		}
		if d.IsDir() {
			if k := kustomizationIn(path); k != "" {
				if err := checkKustomization(root, path, k); err != nil {
					return fmt.Errorf("%s: %w", relSlash(root, filepath.Join(path, k)), err)
				}
				set.Kustomizations = append(set.Kustomizations, Kustomization{Path: rel, Dir: path})
				return fs.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil // a README or notes next to the manifests
		}
		return set.readFile(path, rel, seen)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", phase, err)
	}
	return set, nil
}

func relSlash(root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// inside resolves path's symbolic links and refuses a target outside root.
func inside(root, path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("a symbolic link that does not resolve: %w", err)
	}
	if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", errors.New("a symbolic link out of the ORB repository")
	}
	return target, nil
}

func kustomizationIn(dir string) string {
	for _, k := range kustomizationFiles {
		if _, err := os.Lstat(filepath.Join(dir, k)); err == nil {
			return k
		}
	}
	return ""
}

// readFile splits a file into its CRDs and the rest, each document checked and annotated.
func (s *Set) readFile(path, rel string, seen map[string]string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	file := File{Path: rel}
	dec := yaml.NewDecoder(io.LimitReader(f, 16<<20))
	for i := 1; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		src := fmt.Sprintf("%s, document %d", rel, i)
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
			continue // an empty document between two separators
		}
		obj := doc.Content[0]
		key, err := checkObject(obj)
		if err != nil {
			return fmt.Errorf("%s (line %d): %w", src, obj.Line, err)
		}
		if first, ok := seen[key]; ok {
			return fmt.Errorf("%s (line %d): %s is already in %s", src, obj.Line, key, first)
		}
		seen[key] = src
		crd := str(obj, "kind") == "CustomResourceDefinition" && strings.HasPrefix(str(obj, "apiVersion"), "apiextensions.k8s.io/")
		// orbos owns what it applies: a change made behind its back is drift that up undoes, not a
		// server-side-apply conflict.
		annotate(obj, "pulumi.com/patchForce", "true")
		// Comments are not applied: editing one must not show as a change of the file's step.
		uncomment(&doc)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		_ = enc.Close()
		d := Doc{Source: src, YAML: buf.String()}
		if crd {
			s.CRDs = append(s.CRDs, d)
		} else {
			file.Docs = append(file.Docs, d)
		}
	}
	if len(file.Docs) > 0 {
		s.Files = append(s.Files, file)
	}
	return nil
}

// checkObject refuses a document that is not a Kubernetes object orbos may apply, and returns the
// object's identity (apiVersion's group, kind, namespace, name).
func checkObject(obj *yaml.Node) (string, error) {
	if obj.Kind != yaml.MappingNode {
		return "", errors.New("not a Kubernetes object (a mapping with apiVersion, kind and metadata.name)")
	}
	api, kind := str(obj, "apiVersion"), str(obj, "kind")
	if api == "" || kind == "" {
		return "", errors.New("apiVersion and kind are required")
	}
	if strings.HasSuffix(kind, "List") {
		return "", fmt.Errorf("a %s: write its items as documents of their own", kind)
	}
	if kind == "Secret" && (api == "v1") {
		return "", errors.New("a Secret in plain text in the ORB repository: Secrets come from the stack's encrypted secrets")
	}
	meta := field(obj, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode {
		return "", errors.New("metadata.name is required")
	}
	name, ns := str(meta, "name"), str(meta, "namespace")
	if name == "" {
		return "", errors.New("metadata.name is required")
	}
	if err := valid.Check("metadata.name", name, valid.Subdomain(name)); err != nil {
		return "", err
	}
	if ns != "" {
		if err := valid.Check("metadata.namespace", ns, valid.Name(ns)); err != nil {
			return "", err
		}
	}
	id := kind
	if group, _, ok := strings.Cut(api, "/"); ok {
		id += "." + group
	}
	if ns != "" {
		name = ns + "/" + name
	}
	return id + " " + name, nil
}

func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func str(m *yaml.Node, key string) string {
	if v := field(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func uncomment(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		uncomment(c)
	}
}

// annotate sets metadata.annotations[key] = val.
func annotate(obj *yaml.Node, key, val string) {
	meta := field(obj, "metadata")
	ann := field(meta, "annotations")
	if ann == nil || ann.Kind != yaml.MappingNode {
		if ann == nil {
			ann = &yaml.Node{}
			meta.Content = append(meta.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "annotations"}, ann)
		}
		*ann = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if v := field(ann, key); v != nil {
		*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val, Style: yaml.DoubleQuotedStyle}
		return
	}
	ann.Content = append(ann.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val, Style: yaml.DoubleQuotedStyle})
}

// The kustomization fields that name files or directories.
var (
	pathLists  = []string{"resources", "bases", "components", "crds", "patchesStrategicMerge", "configurations", "transformers", "generators", "validators"}
	pathFields = []string{"path"}
)

// checkKustomization refuses a kustomization that reaches outside the ORB repository: a remote
// resource (unpinned, and fetched over a network air-gapped ORBs lack) or a path out of it.
func checkKustomization(root, dir, name string) error {
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	var k map[string]any
	if err := yaml.Unmarshal(raw, &k); err != nil {
		return fmt.Errorf("not a kustomization: %w", err)
	}
	var refs []string
	for _, f := range pathLists {
		for _, v := range asList(k[f]) {
			if s, ok := v.(string); ok && !strings.Contains(s, "\n") {
				refs = append(refs, s)
			}
		}
	}
	for _, gen := range []string{"configMapGenerator", "secretGenerator", "patches", "replacements"} {
		for _, g := range asList(k[gen]) {
			m, _ := g.(map[string]any)
			for _, f := range append(slices.Clone(pathFields), "files", "envs", "env") {
				for _, v := range asList(m[f]) {
					if s, ok := v.(string); ok {
						_, s, _ = strings.Cut(s, "=") // files: [key=path]
						if s == "" {
							s, _ = v.(string)
						}
						refs = append(refs, s)
					}
				}
			}
		}
	}
	if len(asList(k["secretGenerator"])) > 0 {
		return errors.New("secretGenerator: Secrets in plain text in the ORB repository (they come from the stack's encrypted secrets)")
	}
	for _, ref := range refs {
		if strings.Contains(ref, "://") || strings.HasPrefix(ref, "github.com/") || strings.HasPrefix(ref, "git@") {
			return fmt.Errorf("%s: a remote resource (only paths inside the ORB repository)", ref)
		}
		p := filepath.Join(dir, filepath.FromSlash(ref))
		if filepath.IsAbs(filepath.FromSlash(ref)) {
			return fmt.Errorf("%s: an absolute path (only paths inside the ORB repository)", ref)
		}
		if rel, err := filepath.Rel(root, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("%s: a path out of the ORB repository", ref)
		}
		if _, err := os.Lstat(p); err == nil {
			if _, err := inside(root, p); err != nil {
				return fmt.Errorf("%s: %w", ref, err)
			}
		}
	}
	return nil
}

// asList returns v as a list: a list, a single value as a list of one, nil as nothing.
func asList(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	default:
		return []any{t}
	}
}
