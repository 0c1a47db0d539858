// Package staticlb runs the static provider's load balancers: on each machine of the load-balancer
// pool, keepalived announces the VIPs (VRRP over unicast to the pool's other machines) and haproxy
// forwards each transport to its backend pools. The configurations are orbos:host:File resources,
// so a change made on a machine behind orbos's back is drift that refresh sees and up corrects.
package staticlb

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/machine"
	"github.com/orbos/orbos/components/static"
	"github.com/orbos/orbos/host"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
)

// Args of the load balancers.
type Args struct {
	Orb string
	// Pool is the load-balancer pool; Inventory all machines (retired ones already left out).
	Pool          string
	Inventory     []static.Machine
	Interfaces    map[string]string // machine ID -> interface carrying the VIPs
	LoadBalancing stacks.LoadBalancing
	// PrivateKey is the ORB's SSH key; it keys the VRRP password.
	PrivateKey string
	// Pins are the machines' pinned host keys by machine ID: the files log in with their connections.
	Pins map[string]*machine.Machine
}

// LoadBalancers are the pool's machines with their configurations.
type LoadBalancers struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	// Files are the configuration resources, for others to depend on.
	Files []pulumi.Resource
}

// Configs renders the load balancer of every machine of the pool, in inventory order: priorities
// fall by 10 from 150, each machine's peers are the pool's others.
func Configs(a Args) []host.LoadBalancer {
	var lbs []static.Machine
	for _, m := range a.Inventory {
		if m.Pool == a.Pool {
			lbs = append(lbs, m)
		}
	}
	var vips []host.LBVIP
	for _, v := range a.LoadBalancing.VIPs {
		vip := host.LBVIP{Name: v.Name, IP: v.IP, RouterID: routerID(a.Orb, v.Name)}
		for _, t := range v.Transports {
			lt := host.LBTransport{Name: t.Name, FrontendPort: t.FrontendPort, BackendPort: t.BackendPort, Whitelist: t.Whitelist,
				ProxyProtocol: t.ProxyProtocol, HealthCheck: t.HealthCheck.Protocol, HealthCheckPath: t.HealthCheck.Path,
				HealthCheckPort: t.HealthCheck.Port, IntervalSeconds: t.HealthCheck.IntervalSeconds}
			for _, pool := range t.BackendPools {
				for _, m := range a.Inventory {
					if m.Pool == pool && m.Role != "spare" {
						lt.Backends = append(lt.Backends, host.LBBackend{Name: m.ID, Address: m.Address})
					}
				}
			}
			vip.Transports = append(vip.Transports, lt)
		}
		vips = append(vips, vip)
	}
	var out []host.LoadBalancer
	for i, m := range lbs {
		lb := host.LoadBalancer{Machine: m.ID, Address: m.Address, Interface: a.Interfaces[m.ID], Priority: 150 - 10*i,
			AuthPass: AuthPass(a.PrivateKey, a.Orb), VIPs: vips}
		if lb.Interface == "" {
			lb.Interface = "eth0"
		}
		for _, p := range lbs {
			if p.ID != m.ID {
				lb.Peers = append(lb.Peers, p.Address)
			}
		}
		out = append(out, lb)
	}
	return out
}

// routerID is a VRRP router ID (1-255) stable per ORB and VIP, so that two ORBs in one network
// rarely collide.
func routerID(orb, vip string) int {
	h := fnv.New32a()
	h.Write([]byte(orb + "/" + vip))
	return int(h.Sum32()%254) + 1
}

// AuthPass is keepalived's 8-character VRRP password, derived from the ORB's private key: secret,
// stable across runs, and nothing more to store.
func AuthPass(key, orb string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("orbos keepalived " + orb))
	return hex.EncodeToString(m.Sum(nil))[:8]
}

// New writes the configurations of every load balancer and applies them.
func New(ctx *pulumi.Context, name string, a Args, opts ...pulumi.ResourceOption) (*LoadBalancers, error) {
	c := &LoadBalancers{}
	if err := ctx.RegisterComponentResource("orbos:staticlb:LoadBalancers", name, c, append(slices.Clip(opts), c.Recording(c))...); err != nil {
		return nil, err
	}
	for _, lb := range Configs(a) {
		pin := a.Pins[lb.Machine]
		if pin == nil {
			return nil, fmt.Errorf("load balancer %s has no host-key pin", lb.Machine)
		}
		conn := pin.Connection()
		apply := pulumi.String(host.LoadBalancerScript(lb))
		keepalived, err := host.KeepalivedConfig(lb)
		if err != nil {
			return nil, err
		}
		haproxy, err := host.HAProxyConfig(lb)
		if err != nil {
			return nil, err
		}
		var prev []pulumi.Resource
		for _, f := range []struct{ suffix, path, content string }{
			{"-keepalived", host.KeepalivedConfigPath, keepalived},
			{"-haproxy", host.HAProxyConfigPath, haproxy},
		} {
			var res pulumi.CustomResourceState
			if err := ctx.RegisterResource(provider.FileType, lb.Machine+f.suffix, pulumi.Map{
				"connection": conn, "path": pulumi.String(f.path), "mode": pulumi.Int(0o640),
				// keepalived.conf holds the VRRP password.
				"content": pulumi.ToSecret(pulumi.String(f.content)), "apply": apply,
			}, &res, pulumi.Parent(c), pulumi.Version(provider.Version), pulumi.DependsOn(prev)); err != nil {
				return nil, err
			}
			c.Files = append(c.Files, &res)
			prev = []pulumi.Resource{&res}
		}
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{})
}
