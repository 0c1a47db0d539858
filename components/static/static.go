// Package static turns pools of existing machines into the ORB's machine inventory: it picks the
// machines each role needs (skipping retired ones, so that the next listed machine of the pool
// replaces them) and checks before a run that each is reachable and presents its pinned SSH host key.
package static

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Machine is one entry of the inventory.
type Machine struct {
	ID      string `json:"id"`
	Pool    string `json:"pool"`
	Role    string `json:"role"` // controlplane, worker, machine, or spare
	Address string `json:"address"`
	SSHUser string `json:"sshUser"`
	SSHPort int    `json:"sshPort"`
	HostKey string `json:"-"`
}

// Args of the machines.
type Args struct {
	Static stacks.Static
	// Roles maps pool names to roles; other pools are "machine".
	Roles map[string]string
	// ControlPlanePool runs ControlPlaneNodes control planes; its other usable machines are spares.
	ControlPlanePool  string
	ControlPlaneNodes int
}

// Inventory picks the machines: in each pool, in the listed order, retired machines are skipped;
// the control-plane pool uses its first ControlPlaneNodes usable machines and keeps the rest as spares.
func Inventory(a Args) []Machine {
	var out []Machine
	pools := make([]string, 0, len(a.Static.Pools))
	for p := range a.Static.Pools {
		pools = append(pools, p)
	}
	sort.Strings(pools)
	for _, pool := range pools {
		used := 0
		for _, m := range a.Static.Pools[pool] {
			if m.Retired {
				continue
			}
			role := a.Roles[pool]
			if role == "" {
				role = "machine"
			}
			if pool == a.ControlPlanePool {
				if used >= a.ControlPlaneNodes {
					role = "spare"
				}
				used++
			}
			out = append(out, Machine{ID: m.ID, Pool: pool, Role: role, Address: m.Address, SSHUser: m.SSHUser, SSHPort: m.SSHPort, HostKey: m.HostKey})
		}
	}
	return out
}

// Machines is the component holding the static inventory.
type Machines struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	Inventory pulumi.MapArrayOutput `pulumi:"inventory"`
	// Machines is the inventory as the components that configure the machines take it.
	Machines []Machine
}

// New registers the inventory as the component's output.
func New(ctx *pulumi.Context, name string, a Args, opts ...pulumi.ResourceOption) (*Machines, error) {
	m := &Machines{}
	if err := ctx.RegisterComponentResource("orbos:static:Machines", name, m, append(slices.Clip(opts), m.Recording(m))...); err != nil {
		return nil, err
	}
	m.Machines = Inventory(a)
	inv := pulumi.MapArray{}
	for _, mc := range m.Machines {
		inv = append(inv, pulumi.Map{
			"name": pulumi.String(mc.ID), "pool": pulumi.String(mc.Pool), "role": pulumi.String(mc.Role),
			"privateIP": pulumi.String(mc.Address), "sshUser": pulumi.String(mc.SSHUser), "sshPort": pulumi.Int(mc.SSHPort),
		})
	}
	m.Inventory = inv.ToMapArrayOutput()
	return m, ctx.RegisterResourceOutputs(m, pulumi.Map{"inventory": m.Inventory})
}

// Check dials every machine in parallel and completes an SSH key exchange with it. A machine that
// cannot be reached, or whose host key differs from the pinned one, is an error naming it.
func Check(ctx context.Context, machines []Machine, timeout time.Duration) error {
	errs := make([]error, len(machines))
	done := make(chan struct{})
	for i, m := range machines {
		go func() {
			errs[i] = check(ctx, m, timeout)
			done <- struct{}{}
		}()
	}
	for range machines {
		<-done
	}
	return errors.Join(errs...)
}

var errStop = errors.New("host key read")

func check(ctx context.Context, m Machine, timeout time.Duration) error {
	addr := net.JoinHostPort(m.Address, strconv.Itoa(m.SSHPort))
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("machine %s (pool %s) at %s is unreachable: %w", m.ID, m.Pool, addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var presented ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User: m.SSHUser,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			presented = key
			return errStop // the identity is all this check needs; no login
		},
		Timeout: timeout,
	}
	_, _, _, err = ssh.NewClientConn(conn, addr, cfg)
	if presented == nil {
		return fmt.Errorf("machine %s (pool %s) at %s does not speak SSH: %v", m.ID, m.Pool, addr, err)
	}
	if m.HostKey == "" {
		return nil
	}
	pinned, _, _, _, perr := ssh.ParseAuthorizedKey([]byte(m.HostKey))
	if perr != nil {
		return fmt.Errorf("machine %s: the pinned hostKey is not in authorized_keys format: %w", m.ID, perr)
	}
	if string(pinned.Marshal()) != string(presented.Marshal()) {
		return fmt.Errorf("machine %s (pool %s) at %s presents the host key %s, not the pinned %s: it was replaced or the connection is intercepted",
			m.ID, m.Pool, addr, ssh.FingerprintSHA256(presented), ssh.FingerprintSHA256(pinned))
	}
	return nil
}

// Describe lists machines as "id (pool, role)" for messages.
func Describe(ms []Machine) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s (%s, %s)", m.ID, m.Pool, m.Role))
	}
	return strings.Join(parts, ", ")
}
