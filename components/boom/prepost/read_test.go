package prepost

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repo writes files (path -> content) into a new ORB checkout and returns it.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.e2e.orbos.io}
`

// A phase's plain files split into their CRDs and the rest, each object annotated as orbos's;
// kustomize directories taken whole; other files ignored; an absent directory empty.
func TestReadSplitsCRDsAndFindsKustomizations(t *testing.T) {
	dir := repo(t, map[string]string{
		"preApply/a.yaml":                    crd + "---\n# a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: x, annotations: {keep: me}} # another\n---\n",
		"preApply/sub/b.yml":                 "apiVersion: e2e.orbos.io/v1\nkind: Gadget\nmetadata: {name: g}\n",
		"preApply/README.md":                 "not a manifest",
		"preApply/kust/kustomization.yaml":   "resources: [cm.yaml]\n",
		"preApply/kust/cm.yaml":              "this is kustomize's to read: not a document orbos checks",
		"preApply/kust/nested/anything.yaml": "never read: inside a kustomization",
		"postApply/only-crds.yaml":           crd,
		"elsewhere/ignored.yaml":             "kind: [",
	})
	pre, err := Read(dir, PreApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(pre.CRDs) != 1 || !strings.Contains(pre.CRDs[0].Source, "preApply/a.yaml, document 1") {
		t.Fatalf("CRDs %+v", pre.CRDs)
	}
	if len(pre.Files) != 2 || pre.Files[0].Path != "preApply/a.yaml" || pre.Files[1].Path != "preApply/sub/b.yml" {
		t.Fatalf("files %+v", pre.Files)
	}
	cm := pre.Files[0].Docs[0].YAML
	if !strings.Contains(cm, `pulumi.com/patchForce: "true"`) || !strings.Contains(cm, "keep: me") || strings.Contains(cm, "comment") || strings.Contains(cm, "another") {
		t.Errorf("the ConfigMap as applied:\n%s", cm)
	}
	if len(pre.Kustomizations) != 1 || pre.Kustomizations[0].Path != "preApply/kust" || !filepath.IsAbs(pre.Kustomizations[0].Dir) {
		t.Errorf("kustomizations %+v", pre.Kustomizations)
	}
	post, err := Read(dir, PostApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(post.CRDs) != 1 || len(post.Files) != 0 {
		t.Errorf("a file of only CRDs: %+v", post)
	}
	empty, err := Read(repo(t, nil), PostApply)
	if err != nil || !empty.Empty() {
		t.Errorf("no postApply/: %+v %v", empty, err)
	}
}

// What orbos refuses, each error naming the file and document.
func TestReadRefusesByPath(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  string
	}{
		"not an object":       {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- a list\n"}, "preApply/a.yaml, document 2 (line 5): not a Kubernetes object"},
		"no kind":             {map[string]string{"preApply/a.yaml": "apiVersion: v1\nmetadata: {name: a}\n"}, "preApply/a.yaml, document 1 (line 1): apiVersion and kind are required"},
		"no name":             {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: a}\n"}, "metadata.name is required"},
		"bad name":            {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\\nb\"}\n"}, "preApply/a.yaml, document 1 (line 1): metadata.name"},
		"bad namespace":       {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: Big}\n"}, "metadata.namespace"},
		"broken yaml":         {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: [\n"}, "preApply/a.yaml, document 1:"},
		"a Secret":            {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\nstringData: {p: w}\n"}, "a Secret in plain text"},
		"a List":              {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMapList\nmetadata: {name: a}\n"}, "ConfigMapList"},
		"twice":               {map[string]string{"preApply/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n", "preApply/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n"}, "preApply/b.yaml, document 1 (line 1): ConfigMap n/a is already in preApply/a.yaml, document 1"},
		"remote kustomize":    {map[string]string{"postApply/k/kustomization.yaml": "resources:\n  - https://github.com/x/y//z?ref=main\n"}, "postApply/k/kustomization.yaml: https://github.com/x/y//z?ref=main: a remote resource"},
		"kustomize out":       {map[string]string{"postApply/k/kustomization.yaml": "resources: [../../../etc]\n"}, "postApply/k/kustomization.yaml: ../../../etc: a path out of the ORB repository"},
		"kustomize patch out": {map[string]string{"postApply/k/kustomization.yaml": "patches: [{path: ../../../p.yaml}]\n"}, "a path out of the ORB repository"},
		"secretGenerator":     {map[string]string{"postApply/k/kustomization.yaml": "secretGenerator: [{name: s, literals: [a=b]}]\n"}, "secretGenerator: Secrets in plain text"},
		"phase is a file":     {map[string]string{"preApply": "x"}, "preApply: not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := repo(t, tc.files)
			_, err := Read(dir, PreApply)
			if err == nil {
				_, err = Read(dir, PostApply)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// A symbolic link may point to a file inside the repository, never out of it nor to a directory.
func TestReadSymlinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(outside, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: out}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := repo(t, map[string]string{"shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n"})
	if err := os.MkdirAll(filepath.Join(dir, "preApply"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "preApply", "cm.yaml")
	if err := os.Symlink("../shared/cm.yaml", link); err != nil {
		t.Fatal(err)
	}
	set, err := Read(dir, PreApply)
	if err != nil || len(set.Files) != 1 || !strings.Contains(set.Files[0].Docs[0].YAML, "shared") {
		t.Fatalf("a link inside the repository: %+v %v", set, err)
	}
	for target, want := range map[string]string{outside: "preApply/out.yaml: a symbolic link out of the ORB repository", filepath.Join(dir, "shared"): "preApply/out.yaml: a symbolic link to a directory"} {
		l := filepath.Join(dir, "preApply", "out.yaml")
		_ = os.Remove(l)
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(dir, PreApply); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("link to %s: %v, want %q", target, err, want)
		}
	}
}
