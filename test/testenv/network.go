package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Network is an L2 network of test machines: a Linux bridge on this machine with an address of its
// own (the gateway, where loopback services for the machines listen: the image registry, the
// package repository). Nothing on it reaches the outside: forwarding from the bridge to any other
// interface is dropped, so a cluster's DNS forwarder or a package manager cannot leave the machine.
type Network struct {
	// Bridge is the bridge interface's name.
	Bridge string
	// Prefix is the network, a /24 of 10.250.0.0/16 not routed on this machine yet.
	Prefix netip.Prefix
	// Gateway is the bridge's own address.
	Gateway netip.Addr

	// ID makes the names of its interfaces, namespaces and cgroups unique on this machine.
	ID string
	// Sysctls are the kernel-wide settings as they were before, put back by Destroy.
	Sysctls map[string]string
	// Machines are the machines started on it, in order.
	Machines []*Machine
	Next     int
	// Owner is the process that made the network (see SweepStale).
	Owner int

	detached bool // not recorded for SweepStale

	mu sync.Mutex
}

// globalSysctls are the kernel settings a kubelet changes for the whole kernel (it protects kernel
// defaults only when asked to): the network puts them back when it is torn down.
var globalSysctls = []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "vm/panic_on_oom"}

// StartNetwork creates a network for test machines; it and every machine on it are removed when the
// test ends, also when it fails.
func StartNetwork(t testing.TB) *Network {
	t.Helper()
	n, err := NewNetwork()
	if n != nil {
		t.Cleanup(n.Destroy)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// NewNetwork creates a network for machines; Destroy removes it with its machines. On error, what
// was made is in the returned network (when not nil) for Destroy to remove. The network is recorded
// for SweepStale until Destroy.
func NewNetwork() (*Network, error) { return newNetwork(false) }

// NewDetachedNetwork is NewNetwork for machines that outlive the process that makes them (make
// demo's): the caller keeps its record (Save) and SweepStale never takes it.
func NewDetachedNetwork() (*Network, error) { return newNetwork(true) }

func newNetwork(detached bool) (*Network, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("test machines need root (network, mount and UTS namespaces)")
	}
	prefix, err := freePrefix()
	if err != nil {
		return nil, err
	}
	n := &Network{ID: randomHex(3), Next: 10, Sysctls: map[string]string{}, Prefix: prefix, Gateway: prefix.Addr().Next(), detached: detached}
	n.Bridge = "obr" + n.ID
	for _, s := range globalSysctls {
		if b, err := os.ReadFile("/proc/sys/" + s); err == nil {
			n.Sysctls[s] = strings.TrimSpace(string(b))
		}
	}
	for _, args := range [][]string{
		{"ip", "link", "add", n.Bridge, "type", "bridge"},
		{"ip", "addr", "add", fmt.Sprintf("%s/%d", n.Gateway, prefix.Bits()), "dev", n.Bridge},
		{"ip", "link", "set", n.Bridge, "up"},
		{"iptables", "-w", "-I", "FORWARD", "1", "-i", n.Bridge, "!", "-o", n.Bridge, "-j", "DROP"},
	} {
		if err := run(args...); err != nil {
			return n, fmt.Errorf("network %s: %w", n.Bridge, err)
		}
	}
	return n, n.register()
}

// Save writes the network and its machines to path, for LoadNetwork in another process (make demo
// leaves its machines running; make demo-down removes them).
func (n *Network) Save(path string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// LoadNetwork reads what Save wrote.
func LoadNetwork(path string) (*Network, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	n := &Network{}
	if err := json.Unmarshal(b, n); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, m := range n.Machines {
		m.network = n
	}
	return n, nil
}

// nextAddress hands out the machines' addresses in order.
func (n *Network) nextAddress() netip.Addr {
	n.mu.Lock()
	defer n.mu.Unlock()
	a := n.Prefix.Addr()
	for i := 0; i < n.Next; i++ {
		a = a.Next()
	}
	n.Next++
	return a
}

// Address returns a free address of the network for something that is not a machine (a VIP).
func (n *Network) Address() netip.Addr { return n.nextAddress() }

// Destroy removes every machine of the network, then the network, and puts back the kernel-wide
// settings the kubelets changed.
func (n *Network) Destroy() {
	n.mu.Lock()
	ms := append([]*Machine(nil), n.Machines...)
	n.mu.Unlock()
	for i := len(ms) - 1; i >= 0; i-- {
		ms[i].Destroy()
	}
	_ = run("iptables", "-w", "-D", "FORWARD", "-i", n.Bridge, "!", "-o", n.Bridge, "-j", "DROP")
	_ = run("ip", "link", "del", n.Bridge)
	for s, v := range n.Sysctls {
		_ = os.WriteFile("/proc/sys/"+s, []byte(v+"\n"), 0o644)
	}
	n.unregister()
}

// freePrefix picks a /24 of 10.250.0.0/16 that no route of this machine covers yet, so that test
// networks of parallel test binaries do not meet.
func freePrefix() (netip.Prefix, error) {
	out, err := exec.Command("ip", "-4", "route", "show").Output()
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("ip route: %w", err)
	}
	for range 50 {
		k, err := rand.Int(rand.Reader, big.NewInt(250))
		if err != nil {
			return netip.Prefix{}, err
		}
		p := netip.MustParsePrefix(fmt.Sprintf("10.250.%d.0/24", k.Int64()+1))
		if !strings.Contains(string(out), p.String()) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free /24 in 10.250.0.0/16")
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
