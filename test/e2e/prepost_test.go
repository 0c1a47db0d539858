package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// pushFiles writes (content) or removes ("") files of the ORB repository from a user's clone.
func (o *orb) pushFiles(msg string, files map[string]string) {
	o.t.Helper()
	user := filepath.Join(o.t.TempDir(), "user")
	gittest.Git(o.t, filepath.Dir(user), "clone", "-q", o.remote, user)
	for p, content := range files {
		f := filepath.Join(user, filepath.FromSlash(p))
		if content == "" {
			gittest.Git(o.t, user, "rm", "-rq", p)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			o.t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	gittest.Git(o.t, user, "add", "-A")
	gittest.Git(o.t, user, "commit", "-qm", msg)
	gittest.Git(o.t, user, "push", "-q", "origin", "main")
}

const gadgetCRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.prepost.e2e.orbos.io"

// The ORB repository's preApply/ and postApply/ on the real engine and kube-apiserver: a custom
// resource in the same file as its CRD applied in the same first run (the CRD in the step before),
// a kustomize directory, a postApply file; nothing left to change; a file and a directory removed
// from the repository pruned from the cluster, the rest kept.
func TestPreApplyAndPostApplyManifests(t *testing.T) {
	o := newORB(t, "prepost")
	t.Cleanup(func() { _, _, _ = apiserver.Delete(context.Background(), gadgetCRD) })
	ns := o.namespace()
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + ns + "}\ndata: {from: " + name + "}\n"
	}
	o.pushFiles("manifests around the tools", map[string]string{
		"preApply/gadgets.yaml": `apiVersion: prepost.e2e.orbos.io/v1
kind: Gadget
metadata: {name: first, namespace: ` + ns + `}
spec: {size: 3}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.prepost.e2e.orbos.io}
spec:
  group: prepost.e2e.orbos.io
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`,
		"preApply/base/kustomization.yaml": "namespace: " + ns + "\nresources: [cm.yaml]\n",
		"preApply/base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-kustomize}\ndata: {from: kustomize}\n",
		"postApply/after.yaml":             cm("after-tools"),
	})
	o.mustRun("up")
	gadget := "/apis/prepost.e2e.orbos.io/v1/namespaces/" + ns + "/gadgets/first"
	paths := map[string]string{
		"the CRD":             gadgetCRD,
		"the custom resource": gadget,
		"kustomize's object":  "/api/v1/namespaces/" + ns + "/configmaps/from-kustomize",
		"postApply's object":  "/api/v1/namespaces/" + ns + "/configmaps/after-tools",
	}
	for what, p := range paths {
		if code, _ := kube(t, p); code != http.StatusOK {
			t.Errorf("%s: HTTP %d", what, code)
		}
	}
	if _, g := kube(t, gadget); g["spec"].(map[string]any)["size"] != float64(3) {
		t.Errorf("the custom resource: %v", g)
	}
	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("a second preview sees changes:\n%s", r)
	}

	o.pushFiles("drop the kustomization and postApply's file", map[string]string{"preApply/base": "", "postApply/after.yaml": ""})
	diff := o.run("preview", "--expect-no-changes")
	if diff.code != 5 || !strings.Contains(diff.stderr, "after-tools") || !strings.Contains(diff.stderr, "from-kustomize") {
		t.Fatalf("preview of the removal does not show the objects to delete:\n%s", diff)
	}
	o.mustRun("up")
	waitGone(t, paths["kustomize's object"])
	waitGone(t, paths["postApply's object"])
	for _, what := range []string{"the CRD", "the custom resource"} {
		if code, _ := kube(t, paths[what]); code != http.StatusOK {
			t.Errorf("%s went with the other files: HTTP %d", what, code)
		}
	}
	o.mustRun("destroy", "--yes")
	waitGone(t, gadget)
}
