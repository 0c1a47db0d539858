// Package gce builds an ORB's machines on Google Compute Engine: a VPC and subnet, firewall rules
// from the spec, Cloud NAT, per-pool instances reachable with the ORB's SSH key, and external network
// load balancers for the spec's VIPs. Its output is the machine inventory the Kubernetes layer uses.
package gce

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// SSHUser is the login the ORB's key is installed for.
const SSHUser = "orbos"

// healthCheckRanges are where Google's network load balancer health checks come from.
var healthCheckRanges = []string{"35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"}

// Args of the infrastructure.
type Args struct {
	Orb           string
	GCE           stacks.GCE
	LoadBalancing *stacks.LoadBalancing
	Firewall      *stacks.Firewall
	// Roles maps pool names to roles: controlplane, worker; other pools get "machine".
	Roles map[string]string
	// PodCIDR is allowed inside the network besides the subnet.
	PodCIDR string
	// SSHPublicKey is installed on every machine; SSHPrivateKey is passed through as a secret output.
	SSHPublicKey  string
	SSHPrivateKey pulumi.StringInput
}

// Infrastructure is the built infrastructure.
type Infrastructure struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder

	// Inventory lists every machine: name, pool, role, zone, privateIP, publicIP.
	Inventory pulumi.MapArrayOutput `pulumi:"inventory"`
	// VIPs maps VIP names to their reserved addresses.
	VIPs pulumi.StringMapOutput `pulumi:"vips"`
	// SSHPrivateKey reaches every machine as SSHUser; always a secret.
	SSHPrivateKey pulumi.StringOutput `pulumi:"sshPrivateKey"`

	// Machines are the instances in pool order, for the components that configure them.
	Machines []Machine
	// VIPAddresses maps VIP names to their reserved addresses.
	VIPAddresses pulumi.StringMap
}

// Machine is one instance with its addresses; PublicIP is nil without public addresses.
type Machine struct {
	Name, Pool, Role string
	PrivateIP        pulumi.StringOutput
	PublicIP         pulumi.StringOutput
	HasPublicIP      bool
}

type machine struct {
	name, pool, zone string
	instance         *compute.Instance
}

// New builds the infrastructure.
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*Infrastructure, error) {
	infra := &Infrastructure{}
	if err := ctx.RegisterComponentResource("orbos:gce:Infrastructure", name, infra, append(slices.Clip(opts), infra.Recording(infra))...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(infra)
	g := args.GCE
	orb := args.Orb

	network, err := compute.NewNetwork(ctx, orb, &compute.NetworkArgs{
		Name: pulumi.String(orb), Project: pulumi.String(g.Project), AutoCreateSubnetworks: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	subnet, err := compute.NewSubnetwork(ctx, orb, &compute.SubnetworkArgs{
		Name: pulumi.String(orb), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region),
		Network: network.ID(), IpCidrRange: pulumi.String(g.CIDR), PrivateIpGoogleAccess: pulumi.Bool(true),
	}, parent)
	if err != nil {
		return nil, err
	}
	router, err := compute.NewRouter(ctx, orb, &compute.RouterArgs{
		Name: pulumi.String(orb), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region), Network: network.ID(),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := compute.NewRouterNat(ctx, orb, &compute.RouterNatArgs{
		Name: pulumi.String(orb), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region), Router: router.Name,
		NatIpAllocateOption:           pulumi.String("AUTO_ONLY"),
		SourceSubnetworkIpRangesToNat: pulumi.String("ALL_SUBNETWORKS_ALL_IP_RANGES"),
	}, parent); err != nil {
		return nil, err
	}

	fw := newFirewalls(ctx, args, network, parent)
	internal := []string{g.CIDR}
	if args.PodCIDR != "" {
		internal = append(internal, args.PodCIDR)
	}
	fw.rule("internal", "all", nil, internal, []string{orbTag(orb)})
	if args.Firewall != nil {
		// Machines are reachable over SSH only from the allowed ranges; without any, only from inside.
		fw.rule("ssh", "tcp", []string{"22"}, args.Firewall.SSH, []string{orbTag(orb)})
	}

	// Machines get a public address only when somebody outside may reach them over SSH; the others
	// reach the internet through Cloud NAT.
	public := args.Firewall != nil && len(args.Firewall.SSH) > 0
	var machines []machine
	for _, poolName := range stacks.SortedKeys(g.Pools) {
		pool := g.Pools[poolName]
		for i := 0; i < pool.Count; i++ {
			m, err := newInstance(ctx, args, poolName, pool, i, subnet, public, parent)
			if err != nil {
				return nil, err
			}
			machines = append(machines, m)
		}
	}

	vips, err := loadBalancers(ctx, args, network, machines, fw, parent)
	if err != nil {
		return nil, err
	}
	if fw.err != nil {
		return nil, fw.err
	}

	inventory := pulumi.MapArray{}
	for _, m := range machines {
		nic := m.instance.NetworkInterfaces.Index(pulumi.Int(0))
		exported := Machine{Name: m.name, Pool: m.pool, Role: role(args.Roles, m.pool), PrivateIP: nic.NetworkIp().Elem(), HasPublicIP: public}
		if public {
			exported.PublicIP = nic.AccessConfigs().Index(pulumi.Int(0)).NatIp().Elem()
		}
		infra.Machines = append(infra.Machines, exported)
		entry := pulumi.Map{
			"name":      m.instance.Name,
			"pool":      pulumi.String(m.pool),
			"role":      pulumi.String(role(args.Roles, m.pool)),
			"zone":      pulumi.String(m.zone),
			"privateIP": nic.NetworkIp(),
		}
		if public {
			entry["publicIP"] = nic.AccessConfigs().Index(pulumi.Int(0)).NatIp()
		}
		inventory = append(inventory, entry)
	}
	infra.Inventory = inventory.ToMapArrayOutput()
	infra.VIPs = vips.ToStringMapOutput()
	infra.VIPAddresses = vips
	infra.SSHPrivateKey = pulumi.ToSecret(args.SSHPrivateKey).(pulumi.StringOutput)
	return infra, ctx.RegisterResourceOutputs(infra, pulumi.Map{
		"inventory": infra.Inventory, "vips": infra.VIPs, "sshPrivateKey": infra.SSHPrivateKey,
	})
}

func role(roles map[string]string, pool string) string {
	if r, ok := roles[pool]; ok {
		return r
	}
	return "machine"
}

func orbTag(orb string) string                    { return "orb-" + orb }
func poolTag(orb, pool string) string             { return orb + "-" + pool }
func instanceName(orb, pool string, i int) string { return fmt.Sprintf("%s-%s-%d", orb, pool, i) }

// MachineType is the pool's machine type: the one given, or a custom e2 type of minCPU and minMemoryGB.
func MachineType(p stacks.GCEPool) string {
	if p.MachineType != "" {
		return p.MachineType
	}
	return "e2-custom-" + strconv.Itoa(p.MinCPU) + "-" + strconv.Itoa(p.MinMemoryGB*1024)
}

func newInstance(ctx *pulumi.Context, args Args, poolName string, pool stacks.GCEPool, i int, subnet *compute.Subnetwork,
	public bool, parent pulumi.ResourceOption) (machine, error) {
	g := args.GCE
	zone := g.Zones[i%len(g.Zones)]
	labels := pulumi.StringMap{"orb": pulumi.String(args.Orb), "pool": pulumi.String(poolName)}
	for k, v := range pool.Labels {
		labels[k] = pulumi.String(v)
	}
	scheduling := &compute.InstanceSchedulingArgs{AutomaticRestart: pulumi.Bool(true), OnHostMaintenance: pulumi.String("MIGRATE")}
	if pool.Spot {
		scheduling = &compute.InstanceSchedulingArgs{
			Preemptible: pulumi.Bool(true), AutomaticRestart: pulumi.Bool(false),
			ProvisioningModel: pulumi.String("SPOT"), OnHostMaintenance: pulumi.String("TERMINATE"),
		}
	}
	nic := compute.InstanceNetworkInterfaceArgs{Subnetwork: subnet.ID()}
	if public {
		nic.AccessConfigs = compute.InstanceNetworkInterfaceAccessConfigArray{compute.InstanceNetworkInterfaceAccessConfigArgs{}}
	}
	name := instanceName(args.Orb, poolName, i)
	inst, err := compute.NewInstance(ctx, name, &compute.InstanceArgs{
		Name: pulumi.String(name), Project: pulumi.String(g.Project), Zone: pulumi.String(zone),
		MachineType: pulumi.String(MachineType(pool)),
		BootDisk: &compute.InstanceBootDiskArgs{
			AutoDelete: pulumi.Bool(true),
			InitializeParams: &compute.InstanceBootDiskInitializeParamsArgs{
				Image: pulumi.String(pool.Image), Size: pulumi.Int(pool.DiskSizeGB), Type: pulumi.String(pool.DiskType),
			},
		},
		NetworkInterfaces: compute.InstanceNetworkInterfaceArray{nic},
		Scheduling:        scheduling,
		Labels:            labels,
		Tags:              pulumi.StringArray{pulumi.String(orbTag(args.Orb)), pulumi.String(poolTag(args.Orb, poolName))},
		Metadata: pulumi.StringMap{
			"ssh-keys":               pulumi.String(SSHUser + ":" + args.SSHPublicKey),
			"block-project-ssh-keys": pulumi.String("true"),
		},
		AllowStoppingForUpdate: pulumi.Bool(true),
	}, parent)
	return machine{name: name, pool: poolName, zone: zone, instance: inst}, err
}

// firewalls creates rules, remembering the first error.
type firewalls struct {
	ctx     *pulumi.Context
	args    Args
	network *compute.Network
	parent  pulumi.ResourceOption
	err     error
}

func newFirewalls(ctx *pulumi.Context, args Args, network *compute.Network, parent pulumi.ResourceOption) *firewalls {
	return &firewalls{ctx: ctx, args: args, network: network, parent: parent}
}

// rule allows protocol on ports from sources to the targets; no sources, no rule.
func (f *firewalls) rule(name, protocol string, ports, sources, targets []string) {
	if f.err != nil || len(sources) == 0 {
		return
	}
	allow := compute.FirewallAllowArgs{Protocol: pulumi.String(protocol)}
	if len(ports) > 0 {
		allow.Ports = pulumi.ToStringArray(ports)
	}
	full := f.args.Orb + "-" + name
	_, f.err = compute.NewFirewall(f.ctx, full, &compute.FirewallArgs{
		Name: pulumi.String(full), Project: pulumi.String(f.args.GCE.Project), Network: f.network.SelfLink,
		Direction: pulumi.String("INGRESS"), Allows: compute.FirewallAllowArray{allow},
		SourceRanges: pulumi.ToStringArray(sources), TargetTags: pulumi.ToStringArray(targets),
	}, f.parent)
}

// loadBalancers builds an external network load balancer per transport of every VIP.
func loadBalancers(ctx *pulumi.Context, args Args, network *compute.Network, machines []machine, fw *firewalls,
	parent pulumi.ResourceOption) (pulumi.StringMap, error) {
	vips := pulumi.StringMap{}
	if args.LoadBalancing == nil {
		return vips, nil
	}
	g := args.GCE
	groups := map[string]*compute.InstanceGroup{} // by pool/zone
	group := func(pool, zone string) (*compute.InstanceGroup, error) {
		key := pool + "/" + zone
		if ig, ok := groups[key]; ok {
			return ig, nil
		}
		var members pulumi.StringArray
		for _, m := range machines {
			if m.pool == pool && m.zone == zone {
				members = append(members, m.instance.SelfLink)
			}
		}
		name := args.Orb + "-" + pool + "-" + zone
		ig, err := compute.NewInstanceGroup(ctx, name, &compute.InstanceGroupArgs{
			Name: pulumi.String(name), Project: pulumi.String(g.Project), Zone: pulumi.String(zone),
			Network: network.SelfLink, Instances: members,
		}, parent)
		groups[key] = ig
		return ig, err
	}
	for _, vip := range args.LoadBalancing.VIPs {
		addrName := args.Orb + "-" + vip.Name
		addr, err := compute.NewAddress(ctx, addrName, &compute.AddressArgs{
			Name: pulumi.String(addrName), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region),
			AddressType: pulumi.String("EXTERNAL"),
		}, parent)
		if err != nil {
			return nil, err
		}
		vips[vip.Name] = addr.Address
		for _, t := range vip.Transports {
			base := args.Orb + "-" + vip.Name + "-" + t.Name
			hc, err := compute.NewRegionHealthCheck(ctx, base, healthCheckArgs(base, g, t), parent)
			if err != nil {
				return nil, err
			}
			var backends compute.RegionBackendServiceBackendArray
			var targets []string
			for _, pool := range t.BackendPools {
				targets = append(targets, poolTag(args.Orb, pool))
				for _, zone := range g.Zones {
					if !hasMachine(machines, pool, zone) {
						continue
					}
					ig, err := group(pool, zone)
					if err != nil {
						return nil, err
					}
					backends = append(backends, compute.RegionBackendServiceBackendArgs{
						Group: ig.SelfLink, BalancingMode: pulumi.String("CONNECTION"),
					})
				}
			}
			bs, err := compute.NewRegionBackendService(ctx, base, &compute.RegionBackendServiceArgs{
				Name: pulumi.String(base), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region),
				LoadBalancingScheme: pulumi.String("EXTERNAL"), Protocol: pulumi.String("TCP"),
				HealthChecks: hc.ID(), Backends: backends,
			}, parent)
			if err != nil {
				return nil, err
			}
			if _, err := compute.NewForwardingRule(ctx, base, &compute.ForwardingRuleArgs{
				Name: pulumi.String(base), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region),
				IpAddress: addr.Address, IpProtocol: pulumi.String("TCP"), PortRange: pulumi.String(strconv.Itoa(t.FrontendPort)),
				BackendService: bs.ID(), LoadBalancingScheme: pulumi.String("EXTERNAL"),
			}, parent); err != nil {
				return nil, err
			}
			fw.rule(vip.Name+"-"+t.Name, "tcp", []string{strconv.Itoa(t.BackendPort)}, sources(args.Firewall, t), targets)
			fw.rule(vip.Name+"-"+t.Name+"-health", "tcp", []string{strconv.Itoa(t.HealthCheck.Port)}, healthCheckRanges, targets)
		}
	}
	return vips, nil
}

func hasMachine(machines []machine, pool, zone string) bool {
	for _, m := range machines {
		if m.pool == pool && m.zone == zone {
			return true
		}
	}
	return false
}

// sources are who may use a transport: its own whitelist, else the firewall's list for its kind.
func sources(f *stacks.Firewall, t stacks.Transport) []string {
	if len(t.Whitelist) > 0 {
		return t.Whitelist
	}
	if f == nil {
		return nil
	}
	if t.Name == "kubeapi" {
		return f.KubeAPI
	}
	return f.Ingress
}

func healthCheckArgs(name string, g stacks.GCE, t stacks.Transport) *compute.RegionHealthCheckArgs {
	hc := t.HealthCheck
	a := &compute.RegionHealthCheckArgs{
		Name: pulumi.String(name), Project: pulumi.String(g.Project), Region: pulumi.String(g.Region),
		CheckIntervalSec: pulumi.Int(hc.IntervalSeconds), TimeoutSec: pulumi.Int(hc.IntervalSeconds),
	}
	switch hc.Protocol {
	case "http":
		a.HttpHealthCheck = &compute.RegionHealthCheckHttpHealthCheckArgs{Port: pulumi.Int(hc.Port), RequestPath: pulumi.String(hc.Path)}
	case "https":
		a.HttpsHealthCheck = &compute.RegionHealthCheckHttpsHealthCheckArgs{Port: pulumi.Int(hc.Port), RequestPath: pulumi.String(hc.Path)}
	default:
		a.TcpHealthCheck = &compute.RegionHealthCheckTcpHealthCheckArgs{Port: pulumi.Int(hc.Port)}
	}
	return a
}
