package testenv

import (
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/internal/tools"
)

//go:embed machine/systemctl.sh
var systemctlStandIn []byte

// Machine is a test machine that is a machine: a network namespace on a Network (its own address,
// routes, iptables), its own mount and UTS namespaces (its own hostname, /etc, /usr, /var, /run and
// the state directories of kubeadm, the kubelet, containerd, etcd and the CNI) and its own sshd on
// port 22, reached by orbctl over SSH as any machine is. What it installs and starts (containerd, a
// kubelet, static pods, haproxy) is real; only systemd is a stand-in (machine/systemctl.sh),
// because the machines share this kernel and its PID 1. The machine never sees the test machine's
// /etc/kubernetes, /var/lib/kubelet or /etc/cni: those are empty directories of its own.
type Machine struct {
	Name    string
	Address string
	Port    int
	// HostKey is the sshd's public key, authorized_keys form.
	HostKey string
	// ClientKey is the private key (PEM) that logs in as root.
	ClientKey string
	// Dir holds the machine's directories on this machine.
	Dir string
	// NetNS is the machine's network namespace, as `ip netns` names it.
	NetNS string

	// Veth is the host end of its network link; Cgroup its cgroup root (the kubelet's too).
	Veth   string
	Cgroup string
	// AnchorPID is its sshd, the first process in its namespaces; MntNS names its mount namespace.
	AnchorPID int
	MntNS     string

	network *Network
	anchor  *exec.Cmd // when this process started it
}

// MachineOptions shape a test machine.
type MachineOptions struct {
	// ClientKey logs in as root; default a new key.
	ClientKey string
}

// overlaid are the trees a machine sees copy-on-write: it starts with this machine's files (the
// Debian packages tools.sh installed: containerd, runc, the CNI plugins, iptables) and what it
// installs or writes stays its own.
var overlaid = []string{"/etc", "/usr", "/opt", "/var"}

// ownDirs are the machine's own empty directories, bound over what the overlays would show of this
// machine: kubeadm's, the kubelet's, containerd's, etcd's and the CNI's state, and the package
// sources (the machines reach no package mirror but the one a test serves on the network).
var ownDirs = []string{
	"/etc/kubernetes", "/etc/cni", "/etc/apt/sources.list.d",
	"/var/lib/kubelet", "/var/lib/containerd", "/var/lib/etcd", "/var/lib/cni",
	"/var/log/pods", "/var/log/containers",
}

// StartMachine starts a machine named name on the network; it is destroyed when the test ends.
func (n *Network) StartMachine(t testing.TB, name string, o MachineOptions) *Machine {
	t.Helper()
	m, err := n.NewMachine(name, t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("test machine %s (%s): service logs:\n%s", name, m.Address, m.ServiceLogs(40))
		}
	})
	return m
}

// NewMachine starts a machine named name on the network, with its files in dir (which must exist
// and stay while the machine lives). The network's Destroy removes it.
func (n *Network) NewMachine(name, dir string, o MachineOptions) (*Machine, error) {
	m := &Machine{Name: name, Port: 22, network: n, Dir: dir, ClientKey: o.ClientKey}
	m.Address = n.nextAddress().String()
	m.NetNS = fmt.Sprintf("orbos-%s-%s", n.ID, name)
	m.Veth = "ov" + randomHex(5)
	m.Cgroup = "/" + m.NetNS
	n.mu.Lock()
	n.Machines = append(n.Machines, m)
	n.mu.Unlock()
	if m.ClientKey == "" {
		var err error
		if m.ClientKey, _, err = sshkey.Generate("test"); err != nil {
			return nil, err
		}
	}
	if err := m.setup(); err != nil {
		return nil, fmt.Errorf("test machine %s: %w", name, err)
	}
	if err := m.start(); err != nil {
		return nil, fmt.Errorf("test machine %s: %w", name, err)
	}
	// Recorded with its mount namespace, so that a sweep finds its processes.
	return m, n.register()
}

func (m *Machine) path(p ...string) string { return filepath.Join(append([]string{m.Dir}, p...)...) }

func (m *Machine) setup() error {
	n := m.network
	// The network: a veth pair, one end on the bridge, the other the machine's eth0.
	for _, args := range [][]string{
		{"ip", "netns", "add", m.NetNS},
		{"ip", "link", "add", m.Veth, "type", "veth", "peer", "name", "eth0", "netns", m.NetNS},
		{"ip", "link", "set", m.Veth, "master", n.Bridge, "up"},
		{"ip", "-n", m.NetNS, "addr", "add", fmt.Sprintf("%s/%d", m.Address, n.Prefix.Bits()), "dev", "eth0"},
		{"ip", "-n", m.NetNS, "link", "set", "lo", "up"},
		{"ip", "-n", m.NetNS, "link", "set", "eth0", "up"},
		{"ip", "-n", m.NetNS, "route", "add", "default", "via", n.Gateway.String()},
	} {
		if err := run(args...); err != nil {
			return err
		}
	}
	// A cgroup of its own in every hierarchy: the kubelet's cgroup root, so that kubelets of
	// different machines never take each other's pods for orphans.
	if err := m.makeCgroups(); err != nil {
		return err
	}
	// Files: overlays' layers, own directories, sshd.
	for _, o := range overlaid {
		for _, layer := range []string{"upper", "work"} {
			if err := os.MkdirAll(m.path(layer, o), 0o755); err != nil {
				return err
			}
		}
	}
	for _, d := range ownDirs {
		if err := os.MkdirAll(m.path("own", d), 0o755); err != nil {
			return err
		}
	}
	signer, err := ssh.ParsePrivateKey([]byte(m.ClientKey))
	if err != nil {
		return err
	}
	if err := os.WriteFile(m.path("authorized_keys"), ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		return err
	}
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", m.path("host_key")).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(m.path("host_key.pub"))
	if err != nil {
		return err
	}
	f := strings.Fields(string(pub))
	m.HostKey = f[0] + " " + f[1]
	bootID := m.path("boot_id")
	etc := m.path("upper/etc")
	files := map[string]string{
		bootID:                                  "00000000-0000-4000-8000-000000000001\n",
		etc + "/hostname":                       m.Name + "\n",
		etc + "/hosts":                          fmt.Sprintf("127.0.0.1 localhost\n%s %s\n", m.Address, m.Name),
		etc + "/resolv.conf":                    fmt.Sprintf("nameserver %s\n", n.Gateway), // nothing answers: lookups fail fast, never leave
		etc + "/apt/sources.list":               "",
		etc + "/default/kubelet":                fmt.Sprintf("KUBELET_EXTRA_ARGS=--cgroup-root=%s\n", m.Cgroup),
		etc + "/orbos-test/boot-id":             bootID + "\n",
		etc + "/orbos-test/machine":             m.Name + "\n",
		m.path("upper/usr/local/bin/systemctl"): string(systemctlStandIn),
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(m.path("upper/usr/local/bin/systemctl"), 0o755); err != nil {
		return err
	}
	sshd, err := tools.Find("sshd")
	if err != nil {
		return err
	}
	if err := writeSSHDConfig(m.Dir, m.Address, m.Port); err != nil {
		return err
	}
	var s strings.Builder
	s.WriteString("set -eu\n")
	fmt.Fprintf(&s, "hostname %s\n", shQuote(m.Name))
	// Mounts inherited from this machine under the machines' state directories are not theirs.
	s.WriteString(`for p in /var/lib/kubelet /run/containerd /var/lib/containerd /run/netns; do
  awk -v p="$p" '$5 == p || index($5, p "/") == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r mp; do umount -l "$mp" || true; done
done
`)
	for _, o := range overlaid {
		fmt.Fprintf(&s, "mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s\n",
			o, shQuote(m.path("upper", o)), shQuote(m.path("work", o)), o)
	}
	s.WriteString("mount -t tmpfs -o mode=0755 tmpfs /run\nmkdir -p /run/sshd /run/netns /run/lock\n")
	for _, d := range ownDirs {
		fmt.Fprintf(&s, "mkdir -p %[1]s && mount --bind %[2]s %[1]s\n", d, shQuote(m.path("own", d)))
	}
	fmt.Fprintf(&s, "mount --bind %s /proc/sys/kernel/random/boot_id\n", shQuote(bootID))
	s.WriteString("echo 1 > /proc/sys/net/ipv4/ip_forward\n")
	fmt.Fprintf(&s, "exec %s -D -e -f %s\n", shQuote(sshd), shQuote(m.path("sshd_config")))
	return os.WriteFile(m.path("start.sh"), []byte(s.String()), 0o700)
}

func (m *Machine) start() error {
	logf, err := os.OpenFile(m.path("sshd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("nsenter", "--net=/run/netns/"+m.NetNS, "unshare", "--mount", "--uts", "--propagation", "private",
		"bash", m.path("start.sh"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the machine: %w", err)
	}
	m.anchor, m.AnchorPID = cmd, cmd.Process.Pid
	addr := net.JoinHostPort(m.Address, strconv.Itoa(m.Port))
	for deadline := time.Now().Add(15 * time.Second); ; {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(m.path("sshd.log"))
			return fmt.Errorf("sshd did not listen on %s:\n%s", addr, lastLines(string(b), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	mnt, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", cmd.Process.Pid))
	if err != nil {
		return err
	}
	m.MntNS = mnt
	return nil
}

// Run runs a bash script inside the machine (its namespaces, as root), behind orbos's back, and
// returns its output.
func (m *Machine) Run(script string) (string, error) {
	if m.AnchorPID == 0 {
		return "", fmt.Errorf("machine %s is not running", m.Name)
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(m.AnchorPID), "--net", "--mount", "--uts",
		"env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "bash", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("on %s: %v: %s", m.Name, err, lastLines(out.String(), 20))
	}
	return out.String(), nil
}

// MustRun is Run that fails the test on error.
func (m *Machine) MustRun(t testing.TB, script string) string {
	t.Helper()
	out, err := m.Run(script)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ServiceLogs returns the last lines of every service's log on the machine.
func (m *Machine) ServiceLogs(lines int) string {
	var b strings.Builder
	dir := m.path("upper/var/log/orbos-systemd")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		c, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "--- %s\n%s\n", e.Name(), lastLines(string(c), lines))
	}
	if c, err := os.ReadFile(m.path("sshd.log")); err == nil {
		fmt.Fprintf(&b, "--- sshd.log\n%s\n", lastLines(string(c), 10))
	}
	return b.String()
}

// File reads a file the machine wrote in its own layer or directories; "" if there is none.
func (m *Machine) File(path string) string {
	for _, d := range ownDirs {
		if path == d || strings.HasPrefix(path, d+"/") {
			b, _ := os.ReadFile(m.path("own", path))
			return string(b)
		}
	}
	b, _ := os.ReadFile(m.path("upper", path))
	return string(b)
}

// Destroy removes everything of the machine: its processes (services, containers, sshd), its
// cgroups, its network namespace and veth; its mounts die with its mount namespace. Safe to call twice.
func (m *Machine) Destroy() {
	if m.AnchorPID != 0 {
		m.killAll()
		if m.anchor != nil {
			_ = m.anchor.Wait()
			m.anchor = nil
		}
		m.AnchorPID = 0
	}
	m.removeCgroups()
	_ = run("ip", "netns", "del", m.NetNS)
	_ = exec.Command("ip", "link", "del", m.Veth).Run()
	// A leaked mount under the machine's directories would keep them from being removed.
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		var leaked []string
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], m.Dir+"/") {
				leaked = append(leaked, f[4])
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(leaked)))
		for _, p := range leaked {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
}

// killAll kills every process of the machine: those in its mount namespace (sshd, containerd, the
// kubelet, shims, supervisors) and those in its cgroups (containers, which have namespaces of their
// own), until none is left.
func (m *Machine) killAll() {
	for range 50 {
		pids := m.pids()
		if len(pids) == 0 {
			return
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ownsMntNS says whether MntNS still names the machine's mount namespace. The kernel reuses a
// namespace's name (its inode number) once the namespace is gone: a record swept after its test
// died could otherwise name a namespace made since by someone else (a test's sshd host under
// `unshare --mount`, seen killed so in CI). It is the machine's while this process holds the
// machine, or while the machine's anchor still lives in it.
func (m *Machine) ownsMntNS() bool {
	if m.MntNS == "" {
		return false
	}
	if m.anchor != nil {
		return true
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", m.AnchorPID))
	return m.AnchorPID > 0 && err == nil && ns == m.MntNS
}

// pidsInMntNS lists the processes living in the mount namespace ns (a /proc/PID/ns/mnt link), this
// process excepted. Callers make sure ns is still theirs: the kernel reuses namespace names.
func pidsInMntNS(ns string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if got, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err == nil && got == ns {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (m *Machine) pids() []int {
	var pids []int
	seen := map[int]bool{}
	if m.ownsMntNS() {
		for _, pid := range pidsInMntNS(m.MntNS) {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	if m.Cgroup != "" { // an empty name would be the root: every process of the machine running the tests
		_ = filepath.WalkDir(filepath.Join("/sys/fs/cgroup/pids", m.Cgroup), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
					seen[pid] = true
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	if m.AnchorPID != 0 && !seen[m.AnchorPID] && syscall.Kill(m.AnchorPID, 0) == nil {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", m.AnchorPID)); err == nil && (m.anchor != nil || m.MntNS == "") {
			pids = append(pids, m.AnchorPID)
		}
	}
	return pids
}

// cgroupHierarchies are the cgroup v1 hierarchies of this machine (REAL-CLUSTER: cgroup v1 only).
func cgroupHierarchies() []string {
	entries, _ := os.ReadDir("/sys/fs/cgroup")
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "unified" {
			out = append(out, filepath.Join("/sys/fs/cgroup", e.Name()))
		}
	}
	return out
}

func (m *Machine) makeCgroups() error {
	for _, h := range cgroupHierarchies() {
		d := filepath.Join(h, m.Cgroup)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cgroup %s: %w", d, err)
		}
		if filepath.Base(h) == "cpuset" {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				b, err := os.ReadFile(filepath.Join(h, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(d, f), b, 0o644); err != nil {
					return fmt.Errorf("cgroup %s: %w", d, err)
				}
			}
		}
	}
	return nil
}

func (m *Machine) removeCgroups() {
	for _, h := range cgroupHierarchies() {
		root := filepath.Join(h, m.Cgroup)
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = syscall.Rmdir(dirs[i])
		}
	}
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Authorize lets the holder of a key (an authorized_keys line) log in as root too, e.g. a deploy
// key when the machine serves a Git repository over SSH.
func (m *Machine) Authorize(publicKey string) error {
	f, err := os.OpenFile(m.path("authorized_keys"), os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("testenv: authorizing a key on %s: %w", m.Name, err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, strings.TrimSpace(publicKey)); err != nil {
		return fmt.Errorf("testenv: authorizing a key on %s: %w", m.Name, err)
	}
	return nil
}

// KnownHosts is the known_hosts line that pins the machine's sshd.
func (m *Machine) KnownHosts() string {
	host := m.Address
	if m.Port != 22 {
		host = fmt.Sprintf("[%s]:%d", m.Address, m.Port)
	}
	return host + " " + strings.TrimSpace(m.HostKey)
}
