package e2e

import (
	"strings"
	"testing"
)

// reinstall gives a test host a new SSH host key and none of a node, as a reinstalled machine has.
func (k *kubeadmORB) reinstall(name string) {
	k.t.Helper()
	h := k.hosts[name]
	h.Stop()
	if err := h.NewHostKey(); err != nil {
		k.t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		k.t.Fatal(err)
	}
	k.exec(name, "rm -rf /etc/kubernetes /var/lib/orbos-recorder/service-kubelet")
}

// A machine's host key is pinned once, in its orbos:host:Machine resource: a node deleted (its
// pool no longer workers) and created again meets the key pinned before, and a machine presenting
// another key is refused by every resource of it (its node, its load-balancer files) until
// `orbctl node trust` (which asks first) or `orbctl node replace` accepts the new key.
func TestHostKeyPinnedPerMachine(t *testing.T) {
	k := newKubeadmORB(t, "pins", 1)
	k.mustRun("up")
	workers := "      workers: [{pool: workers, labels: {tier: web}, taints: [{key: dedicated, value: web, effect: NoSchedule}]}]\n"

	// w-1 and the load balancer lb-1 are reinstalled: new host keys. Then w-1's pool stops being
	// workers: its node goes (only its node object: the machine is not orbos's to reset any more),
	// the machine and its pin stay.
	k.reinstall("w-1")
	k.reinstall("lb-1")
	k.pushSpec("no workers", func(s string) string { return strings.Replace(s, workers, "      workers: []\n", 1) })
	before := len(k.calls("", ""))
	r := k.mustRun("up")
	if first(k.calls("", "")[before:], "cp-1", "kubectl", "delete node w-1") < 0 || !strings.Contains(r.stderr, "not resetting the machine") {
		t.Fatalf("w-1's node was not removed:\n%s", r)
	}
	// The pool is workers again: the node created anew meets the pinned key and refuses the machine.
	k.pushSpec("workers again", func(s string) string { return strings.Replace(s, "      workers: []\n", workers, 1) })
	before = len(k.calls("", ""))
	r = k.run("up")
	if r.code == 0 || !strings.Contains(r.stderr, "machine w-1") || !strings.Contains(r.stderr, "not the pinned") {
		t.Fatalf("a re-created node accepted a new host key:\n%s", r)
	}
	if first(k.calls("", "")[before:], "w-1", "kubeadm", "join") >= 0 {
		t.Fatal("w-1 was joined with a new host key")
	}
	// The load balancer's files refuse lb-1 as well.
	if r := k.run("refresh"); r.code == 0 || !strings.Contains(r.stderr, "machine lb-1") || !strings.Contains(r.stderr, "not the pinned") {
		t.Fatalf("lb-1's files accepted a new host key:\n%s", r)
	}

	// node trust shows the key and asks; without a yes it changes nothing.
	head := k.remoteHead()
	if r := k.run("node", "trust", "w-1"); r.code == 0 || !strings.Contains(r.stderr, "SHA256:") || !strings.Contains(r.stderr, "not confirmed") {
		t.Fatalf("node trust without confirmation:\n%s", r)
	}
	if k.remoteHead() != head {
		t.Fatal("an unconfirmed trust made a commit")
	}
	r = k.mustRun("node", "trust", "w-1", "--yes")
	if !strings.Contains(r.stdout, "trusted SHA256:") {
		t.Fatalf("node trust:\n%s", r)
	}
	if !strings.Contains(k.remoteFile("Pulumi.pins.yaml"), "trust: SHA256:") {
		t.Fatal("the trusted fingerprint is not in the desired state")
	}
	k.mustRun("node", "replace", "lb-1")
	before = len(k.calls("", ""))
	k.mustRun("up")
	if first(k.calls("", "")[before:], "w-1", "kubeadm", "join --config") < 0 {
		t.Fatal("w-1 was not joined after its new key was trusted")
	}
	k.mustRun("preview", "--expect-no-changes")
	// Every resource of the machines logs in with the new pins, node exec too.
	k.mustRun("refresh")
	if r := k.run("node", "exec", "w-1", "--", "cat", "/etc/orbos-test/host"); r.code != 0 || r.stdout != "w-1\n" {
		t.Fatalf("node exec after trust:\n%s", r)
	}
	// Trusting the pinned key again is nothing to do.
	if r := k.mustRun("node", "trust", "w-1"); !strings.Contains(r.stdout, "nothing to trust") {
		t.Fatalf("node trust of the pinned key:\n%s", r)
	}
}
