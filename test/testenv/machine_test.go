package testenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/sshexec"
)

// Two machines on one network: each its own hostname, address, /etc/kubernetes and services; they
// reach each other and the gateway, nothing of this machine's state shows through, and destroying
// them leaves no process, namespace, interface, cgroup or mount behind.
func TestMachines(t *testing.T) {
	n := StartNetwork(t)
	a := n.StartMachine(t, "m-a", MachineOptions{})
	b := n.StartMachine(t, "m-b", MachineOptions{ClientKey: a.ClientKey})

	c, err := sshexec.Dial(context.Background(), sshexec.Target{Name: a.Name, Address: a.Address, Port: a.Port, User: "root",
		PrivateKey: a.ClientKey, HostKey: a.HostKey}, sshexec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Run(context.Background(), "hostname; ip -4 -o addr show dev eth0 | awk '{print $4}'; find /etc/kubernetes /var/lib/kubelet /etc/cni -mindepth 1 | wc -l; timeout 2 bash -c '</dev/tcp/"+b.Address+"/22' && echo reach")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(res.Stdout)
	if len(got) != 4 || got[0] != "m-a" || !strings.HasPrefix(got[1], a.Address+"/") || got[3] != "reach" {
		t.Fatalf("machine m-a: %q", res.Stdout)
	}
	// The directories are empty.
	if got[2] != "0" {
		t.Fatalf("the machine sees state of its own in /etc/kubernetes, /var/lib/kubelet or /etc/cni: %q", res.Stdout)
	}

	// A file written on one machine stays there.
	a.MustRun(t, "mkdir -p /etc/kubernetes && echo a > /etc/kubernetes/marker && echo x > /etc/orbos-marker")
	if out := b.MustRun(t, "cat /etc/kubernetes/marker /etc/orbos-marker 2>/dev/null || echo none"); strings.TrimSpace(out) != "none" {
		t.Fatalf("m-b sees m-a's files: %q", out)
	}
	if _, err := os.Stat("/etc/orbos-marker"); err == nil {
		t.Fatal("a machine wrote into this machine's /etc")
	}
	if a.File("/etc/kubernetes/marker") != "a\n" || a.File("/etc/orbos-marker") != "x\n" {
		t.Fatal("the machine's own files are not where File looks")
	}

	// The systemd stand-in runs a unit from its unit file, restarts it, reports it, stops it.
	a.MustRun(t, `mkdir -p /etc/systemd/system && cat > /etc/systemd/system/sleeper.service <<'EOF'
[Service]
Environment="WHAT=300"
ExecStart=/bin/sleep $WHAT
Restart=always
EOF
systemctl enable --now sleeper`)
	if out := a.MustRun(t, "systemctl is-active sleeper; systemctl is-enabled sleeper"); out != "active\nenabled\n" {
		t.Fatalf("sleeper: %q", out)
	}
	main := strings.TrimSpace(a.MustRun(t, "cat /run/orbos-systemd/sleeper.main"))
	a.MustRun(t, "kill "+main+"; sleep 2.5")
	if out := a.MustRun(t, "systemctl is-active sleeper; kill -0 $(cat /run/orbos-systemd/sleeper.main) && cat /run/orbos-systemd/sleeper.main"); out == "active\n"+main+"\n" || !strings.HasPrefix(out, "active\n") {
		t.Fatalf("sleeper not restarted: %q (main process was %s)", out, main)
	}
	bootID := a.MustRun(t, "cat /proc/sys/kernel/random/boot_id")
	// The reboot runs in the background, as a real one does: wait (a minute at most, for a loaded
	// machine) until the boot ID changed and the enabled service is back, then tell which did not.
	a.MustRun(t, `old=`+shQuote(strings.TrimSpace(bootID))+`; systemctl reboot
for i in $(seq 600); do
  [ "$(cat /proc/sys/kernel/random/boot_id)" != "$old" ] && [ "$(systemctl is-active sleeper)" = active ] && break
  sleep 0.1
done`)
	if now := a.MustRun(t, "cat /proc/sys/kernel/random/boot_id"); now == bootID {
		t.Fatal("reboot kept the boot id")
	}
	if out := a.MustRun(t, "systemctl is-active sleeper"); out != "active\n" {
		t.Fatalf("an enabled service did not come back after the reboot: %q", out)
	}
	if out, _ := a.Run("systemctl stop sleeper; systemctl is-active sleeper"); out != "inactive\n" {
		t.Fatalf("stop: %q", out)
	}

	// A service that takes a while to stop and refuses to run twice (as keepalived does): restarts,
	// even two at once, leave exactly one running. The service holds its lock once it has started
	// (its trap is set before it takes the lock: a TERM while mkdir runs still releases it).
	a.MustRun(t, `cat > /etc/systemd/system/slow.service <<'UNIT'
[Service]
ExecStart=/bin/bash -c 'trap "sleep 1; rmdir /run/slow.lock; exit 0" TERM; mkdir /run/slow.lock || exit 0; while :; do sleep 0.2; done'
UNIT
systemctl start slow; until test -d /run/slow.lock; do sleep 0.1; done
systemctl restart slow & systemctl restart slow; wait; sleep 0.5`)
	if out := a.MustRun(t, "systemctl is-active slow; test -d /run/slow.lock && echo locked"); out != "active\nlocked\n" {
		t.Fatalf("slow after two restarts at once: %q", out)
	}

	// Destroy leaves nothing behind.
	a.MustRun(t, "systemctl start sleeper")
	a.Destroy()
	if pids := a.pids(); len(pids) != 0 {
		t.Fatalf("processes left: %v", pids)
	}
	if err := run("ip", "netns", "pids", a.NetNS); err == nil {
		t.Fatal("the network namespace is left")
	}
	if _, err := os.Stat("/sys/fs/cgroup/pids" + a.Cgroup); err == nil {
		t.Fatal("the cgroup is left")
	}
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), a.Dir) {
		t.Fatal("mounts of the machine are left on this machine")
	}
}
