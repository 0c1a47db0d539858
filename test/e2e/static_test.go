package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// A static ORB whose machines are real sshd hosts: the preflight reaches each and checks its pinned
// host key; the inventory lands in the state, and `node list` reads it from a fresh clone.
func TestStaticMachinesArePreflightedAndListed(t *testing.T) {
	o := newORB(t, "static")
	dir := t.TempDir()
	cp := startSSHDOn(t, "127.0.0.1", writeKey(t, filepath.Join(dir, "k1")))
	worker := startSSHDOn(t, "127.0.0.2", writeKey(t, filepath.Join(dir, "k2")))

	section := fmt.Sprintf(`    providers:
      static:
        pools:
          control:
            - {id: cp-1, address: 127.0.0.1, sshPort: %d, hostKey: %q}
          workers:
            - {id: w-1, address: 127.0.0.2, sshPort: %d, hostKey: %q}
    loadBalancing:
      vips:
        - name: default
          ip: 127.0.0.10
          transports:
            - {name: kubeapi, frontendPort: 6443, backendPort: 6443, backendPools: [control]}
`, cp.port, cp.hostKey, worker.port, worker.hostKey)
	kube := "      controlPlane: {pool: control, nodes: 1}\n      workers: [{pool: workers}]\n"
	push := func(section, kube, msg string) {
		user := filepath.Join(t.TempDir(), "user")
		gittest.Git(t, filepath.Dir(user), "clone", "-q", o.remote, user)
		f := filepath.Join(user, "Pulumi.static.yaml")
		raw, _ := os.ReadFile(f)
		s := strings.Replace(string(raw), "    kubernetes:\n", section+"    kubernetes:\n", 1)
		s = strings.Replace(s, "      namespace: "+o.namespace()+"\n", "      namespace: "+o.namespace()+"\n"+kube, 1)
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		gittest.Git(t, user, "commit", "-qam", msg)
		gittest.Git(t, user, "push", "-q", "origin", "main")
	}
	push(section, kube, "machines")
	r := o.mustRun("up")
	if !strings.Contains(r.stderr, "checking 2 machines over SSH") {
		t.Fatalf("no preflight:\n%s", r)
	}
	fresh := o.withCheckout(filepath.Join(t.TempDir(), "fresh"))
	nodes := fresh.mustRun("node", "list", "-o", "json")
	var inv []map[string]any
	if err := json.Unmarshal([]byte(nodes.stdout), &inv); err != nil {
		t.Fatalf("%v\n%s", err, nodes)
	}
	if len(inv) != 2 || inv[0]["name"] != "cp-1" || inv[0]["role"] != "controlplane" || inv[1]["role"] != "worker" || inv[1]["privateIP"] != "127.0.0.2" {
		t.Fatalf("inventory %v", inv)
	}
	if table := fresh.mustRun("node", "list"); !strings.Contains(table.stdout, "cp-1") || !strings.Contains(table.stdout, "controlplane") {
		t.Fatalf("node list:\n%s", table)
	}

	// A machine that presents another host key: refused before the engine, nothing changed.
	user := filepath.Join(t.TempDir(), "user")
	gittest.Git(t, filepath.Dir(user), "clone", "-q", o.remote, user)
	f := filepath.Join(user, "Pulumi.static.yaml")
	raw, _ := os.ReadFile(f)
	if err := os.WriteFile(f, []byte(strings.Replace(string(raw), worker.hostKey, cp.hostKey, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, user, "commit", "-qam", "wrong pin")
	gittest.Git(t, user, "push", "-q", "origin", "main")
	head := o.remoteHead()
	r = o.run("up")
	if r.code == 0 || !strings.Contains(r.stderr, "machine w-1") || !strings.Contains(r.stderr, "not the pinned") {
		t.Fatalf("a machine with another host key passed the preflight:\n%s", r)
	}
	if o.remoteHead() != head {
		t.Fatal("a refused run committed")
	}
	o.mustRun("destroy", "--yes")
}
