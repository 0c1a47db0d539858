package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// Providers says where the ORB's machines come from; exactly one is set.
type Providers struct {
	GCE    *GCE    `yaml:"gce" doc:"machines created on Google Compute Engine"`
	Static *Static `yaml:"static" doc:"existing machines reached over SSH"`
}

// GCE is a Google Compute Engine project and region.
type GCE struct {
	Project string             `yaml:"project" orbos:"required" doc:"GCP project ID"`
	Region  string             `yaml:"region" orbos:"required" doc:"region, e.g. europe-west1"`
	Zones   []string           `yaml:"zones" orbos:"required" doc:"zones of the region machines are spread over"`
	CIDR    string             `yaml:"cidr" doc:"subnet range; default 10.10.0.0/20"`
	Pools   map[string]GCEPool `yaml:"pools" orbos:"required" doc:"machine pools by name"`
}

// GCEPool is a set of identical machines.
type GCEPool struct {
	MachineType string            `yaml:"machineType" doc:"machine type, e.g. e2-standard-4; or give minCPU and minMemoryGB"`
	MinCPU      int               `yaml:"minCPU" doc:"smallest vCPU count, for a custom e2 machine type"`
	MinMemoryGB int               `yaml:"minMemoryGB" doc:"smallest memory in GB, for a custom e2 machine type"`
	DiskType    string            `yaml:"diskType" enum:"pd-standard,pd-balanced,pd-ssd" doc:"pd-standard, pd-balanced (default) or pd-ssd"`
	DiskSizeGB  int               `yaml:"diskSizeGB" doc:"boot disk size in GB; default 50"`
	Spot        bool              `yaml:"spot" doc:"spot (preemptible) machines"`
	Image       string            `yaml:"image" doc:"boot image; default ubuntu-os-cloud/ubuntu-2204-lts"`
	Count       int               `yaml:"count" doc:"number of machines"`
	Labels      map[string]string `yaml:"labels" doc:"GCE labels added to each machine"`
}

// Static is a set of pools of existing machines.
type Static struct {
	Pools map[string][]StaticMachine `yaml:"pools" orbos:"required" doc:"pools of existing machines by name"`
}

// StaticMachine is an existing machine.
type StaticMachine struct {
	ID         string   `yaml:"id" orbos:"required" doc:"unique machine ID"`
	Address    string   `yaml:"address" orbos:"required" doc:"IP address orbos reaches it at"`
	SSHUser    string   `yaml:"sshUser" doc:"SSH user; default root"`
	SSHPort    int      `yaml:"sshPort" doc:"SSH port; default 22"`
	HostKey    string   `yaml:"hostKey" doc:"pinned SSH host key (authorized_keys format); checked when set"`
	Interfaces []string `yaml:"interfaces" doc:"network interfaces, for VIPs"`
	// Retired machines are replaced by the next listed machine of their pool.
	Retired bool `yaml:"retired" doc:"replace this machine by another listed one of its pool"`
}

// NodeRequest asks for something to happen to one machine once: a new value repeats it.
type NodeRequest struct {
	// Reboot: a new value (orbctl writes the time) drains, reboots and uncordons the machine.
	Reboot string `yaml:"reboot" doc:"a new value drains, reboots and uncordons the machine once"`
	// Replace: a new value removes the node (reset, or only its node object when the machine is gone
	// or was reinstalled with a new host key) and joins the machine anew, trusting its new host key.
	Replace string `yaml:"replace" doc:"a new value removes the node and joins the machine anew (e.g. after a reinstall)"`
	// Trust: a new value (orbctl node trust writes the fingerprint the operator confirmed) makes
	// the machine's pinned SSH host key the one with this fingerprint.
	Trust string `yaml:"trust" doc:"SHA256 fingerprint of a new SSH host key to accept for the machine (orbctl node trust writes it)"`
}

// LoadBalancing lists the ORB's virtual IPs.
type LoadBalancing struct {
	VIPs []VIP `yaml:"vips" orbos:"required" doc:"virtual IPs"`
	// Pool (static provider) runs the load balancers: keepalived announces the VIPs, haproxy forwards.
	Pool string `yaml:"pool" doc:"static provider: the pool whose machines announce the VIPs (keepalived) and forward them (haproxy); empty: you run the load balancer"`
}

// VIP is one virtual IP with its transports.
type VIP struct {
	Name       string      `yaml:"name" orbos:"required" doc:"name of the VIP"`
	IP         string      `yaml:"ip" doc:"the address (static provider); GCE reserves one"`
	Transports []Transport `yaml:"transports" orbos:"required" doc:"ports it forwards"`
}

// Transport forwards one port of a VIP to backend pools.
type Transport struct {
	Name          string       `yaml:"name" orbos:"required" doc:"transport name; kubeapi is the Kubernetes API"`
	FrontendPort  int          `yaml:"frontendPort" orbos:"required" doc:"port on the VIP"`
	BackendPort   int          `yaml:"backendPort" orbos:"required" doc:"port on the backends"`
	BackendPools  []string     `yaml:"backendPools" orbos:"required" doc:"pools receiving the traffic"`
	Whitelist     []string     `yaml:"whitelist" doc:"source CIDRs allowed; empty: the firewall section decides"`
	HealthCheck   *HealthCheck `yaml:"healthCheck" doc:"backend health check; default a TCP check of the backend port (for the kubeapi transport: https GET /readyz)"`
	ProxyProtocol bool         `yaml:"proxyProtocol" doc:"send the PROXY protocol header to the backends"`
}

// HealthCheck probes a backend.
type HealthCheck struct {
	Protocol        string `yaml:"protocol" enum:"tcp,http,https" doc:"tcp, http or https"`
	Path            string `yaml:"path" doc:"request path for http and https"`
	Port            int    `yaml:"port" doc:"port; default the backend port"`
	IntervalSeconds int    `yaml:"intervalSeconds" doc:"seconds between probes; default 5"`
}

// Firewall lists who may reach what; a missing list means nobody from outside.
type Firewall struct {
	SSH     []string `yaml:"ssh" doc:"source CIDRs allowed to reach SSH"`
	KubeAPI []string `yaml:"kubeAPI" doc:"source CIDRs allowed to reach the Kubernetes API"`
	Ingress []string `yaml:"ingress" doc:"source CIDRs allowed to reach HTTP(S) ingress"`
	// AllowWorld names the kinds (ssh, kubeAPI) that may be open to 0.0.0.0/0; the policy pack
	// refuses that otherwise.
	AllowWorld []string `yaml:"allowWorld" doc:"ssh and/or kubeAPI: allow 0.0.0.0/0 for these explicitly"`
}

// ControlPlane is the pool that runs the control plane.
type ControlPlane struct {
	Pool  string `yaml:"pool" orbos:"required" doc:"machine pool of the control plane"`
	Nodes int    `yaml:"nodes" orbos:"required" doc:"control-plane nodes: 1, 3 or 5"`
}

// WorkerPool is a pool of worker nodes.
type WorkerPool struct {
	Pool   string            `yaml:"pool" orbos:"required" doc:"machine pool"`
	Labels map[string]string `yaml:"labels" doc:"node labels"`
	Taints []Taint           `yaml:"taints" doc:"node taints"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `yaml:"key" orbos:"required"`
	Value  string `yaml:"value"`
	Effect string `yaml:"effect" orbos:"required" enum:"NoSchedule,PreferNoSchedule,NoExecute" doc:"NoSchedule, PreferNoSchedule or NoExecute"`
}

// Networking is the cluster's network.
type Networking struct {
	CNI         string `yaml:"cni" enum:"calico,cilium,hostgw" doc:"calico (default), cilium, or hostgw (a bridge per node and routes between nodes: machines on one L2 network)"`
	PodCIDR     string `yaml:"podCIDR" doc:"default 100.64.0.0/16"`
	ServiceCIDR string `yaml:"serviceCIDR" doc:"default 100.126.0.0/16"`
	DNSDomain   string `yaml:"dnsDomain" doc:"default cluster.local"`
}

func (s *Spec) orbiterDefaults() {
	o := &s.File.Config.Orbiter
	if p := o.Providers; p != nil && p.GCE != nil {
		if p.GCE.CIDR == "" {
			p.GCE.CIDR = "10.10.0.0/20"
		}
		for name, pool := range p.GCE.Pools {
			if pool.DiskType == "" {
				pool.DiskType = "pd-balanced"
			}
			if pool.DiskSizeGB == 0 {
				pool.DiskSizeGB = 50
			}
			if pool.Image == "" {
				pool.Image = "ubuntu-os-cloud/ubuntu-2204-lts"
			}
			p.GCE.Pools[name] = pool
		}
	}
	if p := o.Providers; p != nil && p.Static != nil {
		for name, machines := range p.Static.Pools {
			for i := range machines {
				if machines[i].SSHUser == "" {
					machines[i].SSHUser = "root"
				}
				if machines[i].SSHPort == 0 {
					machines[i].SSHPort = 22
				}
			}
			p.Static.Pools[name] = machines
		}
	}
	if lb := o.LoadBalancing; lb != nil {
		for i := range lb.VIPs {
			for j := range lb.VIPs[i].Transports {
				t := &lb.VIPs[i].Transports[j]
				if t.HealthCheck == nil {
					t.HealthCheck = &HealthCheck{}
				}
				if t.HealthCheck.Protocol == "" {
					t.HealthCheck.Protocol = "tcp"
					// An API server takes requests only once it is ready: until its RBAC caches
					// have synced it denies even the admin (a control plane that has just joined
					// or restarted). Its /readyz answers anyone.
					if t.Name == "kubeapi" {
						t.HealthCheck.Protocol, t.HealthCheck.Path = "https", "/readyz"
					}
				}
				if t.HealthCheck.Port == 0 {
					t.HealthCheck.Port = t.BackendPort
				}
				if t.HealthCheck.IntervalSeconds == 0 {
					t.HealthCheck.IntervalSeconds = 5
				}
			}
		}
	}
	k := &o.Kubernetes
	if k.CgroupDriver == "" {
		k.CgroupDriver = "systemd"
	}
	if k.Networking == nil {
		k.Networking = &Networking{}
	}
	n := k.Networking
	for _, d := range []struct {
		v   *string
		def string
	}{
		{&n.CNI, "calico"}, {&n.PodCIDR, "100.64.0.0/16"}, {&n.ServiceCIDR, "100.126.0.0/16"}, {&n.DNSDomain, "cluster.local"},
	} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
}

var (
	gcpName     = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	gcpProject  = regexp.MustCompile(`^[a-z][-a-z0-9]{4,28}[a-z0-9]$`)
	machineType = regexp.MustCompile(`^[a-z0-9]+-[a-z0-9-]+$`)
	labelKey    = regexp.MustCompile(`^[a-z][-_a-z0-9]{0,62}$`)
	labelValue  = regexp.MustCompile(`^[-_a-z0-9]{0,63}$`)
	// An image name, a project/name, or a partial or full URL path of an image or image family.
	gceImage = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$`)
)

// pools returns the machine count of every pool of the configured provider, and the provider's path.
func (o *Orbiter) pools() (map[string]int, string) {
	out := map[string]int{}
	switch {
	case o.Providers == nil:
		return nil, ""
	case o.Providers.GCE != nil:
		for name, p := range o.Providers.GCE.Pools {
			out[name] = p.Count
		}
		return out, "providers.gce.pools"
	case o.Providers.Static != nil:
		for name, ms := range o.Providers.Static.Pools {
			for _, m := range ms {
				if !m.Retired {
					out[name]++
				}
			}
		}
		return out, "providers.static.pools"
	}
	return nil, ""
}

func (s *Spec) validateOrbiter(e *errs) {
	o := &s.File.Config.Orbiter
	const root = "config." + KeyOrbiter
	if p := o.Providers; p != nil {
		switch {
		case p.GCE == nil && p.Static == nil:
			e.add(root+".providers", nil, "set one provider: gce or static")
		case p.GCE != nil && p.Static != nil:
			e.add(root+".providers", nil, "set one provider, not both gce and static")
		}
		if p.GCE != nil {
			validateGCE(p.GCE, root+".providers.gce", e)
		}
		if p.Static != nil {
			validateStatic(p.Static, root+".providers.static", e)
		}
	}
	pools, poolsPath := o.pools()
	checkPool := func(path, pool string) {
		if pools == nil {
			e.add(path, nil, "names pool %q, but no provider is configured", pool)
		} else if _, ok := pools[pool]; !ok {
			e.add(path, nil, "names pool %q, which %s does not have (it has: %s)", pool, poolsPath, strings.Join(SortedKeys(pools), ", "))
		}
	}
	k := o.Kubernetes
	kp := root + ".kubernetes"
	if cp := k.ControlPlane; cp != nil {
		if cp.Pool != "" {
			checkPool(kp+".controlPlane.pool", cp.Pool)
		}
		if cp.Nodes != 1 && cp.Nodes != 3 && cp.Nodes != 5 {
			e.add(kp+".controlPlane.nodes", nil, "must be 1, 3 or 5 (etcd needs an odd quorum), not %d", cp.Nodes)
		} else if n, ok := pools[cp.Pool]; ok && n < cp.Nodes {
			e.add(kp+".controlPlane.nodes", nil, "wants %d nodes, but pool %q has %d machines", cp.Nodes, cp.Pool, n)
		}
	} else if o.Providers != nil {
		e.add(kp+".controlPlane", nil, "required with a provider")
	}
	seenWorkers := map[string]bool{}
	for i, w := range k.Workers {
		p := fmt.Sprintf("%s.workers[%d]", kp, i)
		if w.Pool != "" {
			checkPool(p+".pool", w.Pool)
			if seenWorkers[w.Pool] {
				e.add(p+".pool", nil, "pool %q is listed twice", w.Pool)
			}
			seenWorkers[w.Pool] = true
		}
		for _, key := range SortedKeys(w.Labels) {
			lp := join(p+".labels", key)
			e.check(lp, key, prefixed("key ", valid.LabelKey(key)))
			e.check(lp, w.Labels[key], valid.LabelValue(w.Labels[key]))
		}
		for j, t := range w.Taints {
			tp := fmt.Sprintf("%s.taints[%d]", p, j)
			if t.Key != "" {
				e.check(tp+".key", t.Key, valid.LabelKey(t.Key))
			}
			e.check(tp+".value", t.Value, valid.LabelValue(t.Value))
			if t.Effect != "" {
				e.check(tp+".effect", t.Effect, valid.TaintEffect(t.Effect))
			}
		}
	}
	if n := k.Networking; n != nil {
		np := kp + ".networking"
		if n.CNI != "calico" && n.CNI != "cilium" && n.CNI != "hostgw" {
			e.add(np+".cni", nil, "must be calico, cilium or hostgw, not %q", n.CNI)
		}
		podErr, svcErr := valid.CIDR(n.PodCIDR), valid.CIDR(n.ServiceCIDR)
		e.check(np+".podCIDR", n.PodCIDR, podErr)
		e.check(np+".serviceCIDR", n.ServiceCIDR, svcErr)
		if podErr == nil && svcErr == nil && netip.MustParsePrefix(n.PodCIDR).Overlaps(netip.MustParsePrefix(n.ServiceCIDR)) {
			e.add(np+".serviceCIDR", nil, "overlaps podCIDR %s", n.PodCIDR)
		}
		e.check(np+".dnsDomain", n.DNSDomain, valid.Subdomain(n.DNSDomain))
	}
	validateSources(k.Sources, kp+".sources", e)
	validatePreflight(k.IgnorePreflightErrors, kp+".ignorePreflightErrors", e)
	validateKubelet(k.Kubelet, kp+".kubelet", e)
	if k.CgroupDriver != "systemd" && k.CgroupDriver != "cgroupfs" {
		e.add(kp+".cgroupDriver", nil, "must be systemd or cgroupfs, not %q", k.CgroupDriver)
	}
	if f := o.Firewall; f != nil {
		checkCIDRs(root+".firewall.ssh", f.SSH, e)
		checkCIDRs(root+".firewall.kubeAPI", f.KubeAPI, e)
		checkCIDRs(root+".firewall.ingress", f.Ingress, e)
		for i, k := range f.AllowWorld {
			if k != "ssh" && k != "kubeAPI" {
				e.add(fmt.Sprintf("%s.firewall.allowWorld[%d]", root, i), nil, "must be ssh or kubeAPI, not %q", k)
			}
		}
	}
	s.validateLoadBalancing(pools, checkPool, e)
	validateNodeRequests(o, root+".nodes", e)
}

func (s *Spec) validateLoadBalancing(pools map[string]int, checkPool func(path, pool string), e *errs) {
	o := &s.File.Config.Orbiter
	const root = "config." + KeyOrbiter + ".loadBalancing"
	hasKubeAPI := false
	if lb := o.LoadBalancing; lb != nil {
		if lb.Pool != "" {
			if o.Providers == nil || o.Providers.Static == nil {
				e.add(root+".pool", nil, "only the static provider runs its own load balancers")
			} else {
				checkPool(root+".pool", lb.Pool)
			}
		}
		vipNames := map[string]bool{}
		for i, v := range lb.VIPs {
			vp := fmt.Sprintf("%s.vips[%d]", root, i)
			if v.Name != "" && !gcpName.MatchString(v.Name) {
				e.add(vp+".name", nil, "%s must be lower-case letters, digits and dashes, starting with a letter", quoteShort(v.Name))
			}
			if vipNames[v.Name] {
				e.add(vp+".name", nil, "%q is used twice", v.Name)
			}
			vipNames[v.Name] = true
			static := o.Providers != nil && o.Providers.Static != nil
			if v.IP != "" {
				e.check(vp+".ip", v.IP, valid.IP(v.IP))
			} else if static {
				e.add(vp+".ip", nil, "required with the static provider (keepalived announces it)")
			}
			names, ports := map[string]bool{}, map[int]bool{}
			for j, t := range v.Transports {
				tp := fmt.Sprintf("%s.transports[%d]", vp, j)
				if t.Name != "" {
					e.check(tp+".name", t.Name, valid.Name(t.Name))
				}
				if names[t.Name] {
					e.add(tp+".name", nil, "%q is used twice on this VIP", t.Name)
				}
				names[t.Name] = true
				if ports[t.FrontendPort] {
					e.add(tp+".frontendPort", nil, "port %d is used twice on this VIP", t.FrontendPort)
				}
				ports[t.FrontendPort] = true
				for _, pp := range []struct {
					path string
					port int
				}{{".frontendPort", t.FrontendPort}, {".backendPort", t.BackendPort}} {
					if pp.port < 1 || pp.port > 65535 {
						e.add(tp+pp.path, nil, "%d is not a port (1-65535)", pp.port)
					}
				}
				if o.Providers != nil && o.Providers.GCE != nil {
					if t.FrontendPort != t.BackendPort {
						e.add(tp+".backendPort", nil, "GCE network load balancers pass the port through: must equal frontendPort %d", t.FrontendPort)
					}
					if t.ProxyProtocol {
						e.add(tp+".proxyProtocol", nil, "GCE network load balancers cannot send the PROXY protocol")
					}
				}
				for k, pool := range t.BackendPools {
					checkPool(fmt.Sprintf("%s.backendPools[%d]", tp, k), pool)
				}
				checkCIDRs(tp+".whitelist", t.Whitelist, e)
				if hc := t.HealthCheck; hc != nil {
					switch hc.Protocol {
					case "tcp":
						if hc.Path != "" {
							e.add(tp+".healthCheck.path", nil, "a tcp health check has no path")
						}
					case "http", "https":
						if hc.Path == "" {
							e.add(tp+".healthCheck.path", nil, "an %s health check needs a path starting with /", hc.Protocol)
						} else {
							e.check(tp+".healthCheck.path", hc.Path, valid.HealthCheckPath(hc.Path))
						}
					default:
						e.add(tp+".healthCheck.protocol", nil, "must be tcp, http or https, not %s", quoteShort(hc.Protocol))
					}
					if hc.Port < 1 || hc.Port > 65535 {
						e.add(tp+".healthCheck.port", nil, "%d is not a port", hc.Port)
					}
					if hc.IntervalSeconds < 1 || hc.IntervalSeconds > 300 {
						e.add(tp+".healthCheck.intervalSeconds", nil, "must be 1 to 300")
					}
				}
				if t.Name == "kubeapi" {
					hasKubeAPI = true
					if cp := o.Kubernetes.ControlPlane; cp != nil && !slices.Contains(t.BackendPools, cp.Pool) {
						e.add(tp+".backendPools", nil, "the kubeapi transport must reach the control-plane pool %q", cp.Pool)
					}
				}
			}
		}
	}
	// One static control plane is its own API endpoint; several need a VIP in front of them, and GCE
	// always reserves one.
	single := o.Providers != nil && o.Providers.Static != nil && o.Kubernetes.ControlPlane != nil && o.Kubernetes.ControlPlane.Nodes == 1
	if o.Providers != nil && !hasKubeAPI && !single {
		e.add(root, nil, "a VIP with a transport named kubeapi (to the control-plane pool) is required")
	}
}

func validateGCE(g *GCE, path string, e *errs) {
	if g.Project != "" && !gcpProject.MatchString(g.Project) {
		e.add(path+".project", nil, "%q is not a GCP project ID", g.Project)
	}
	if g.Region != "" && !regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]$`).MatchString(g.Region) {
		e.add(path+".region", nil, "%q is not a GCP region like europe-west1", g.Region)
	}
	for i, z := range g.Zones {
		if !strings.HasPrefix(z, g.Region+"-") || len(z) != len(g.Region)+2 || z[len(z)-1] < 'a' || z[len(z)-1] > 'z' {
			e.add(fmt.Sprintf("%s.zones[%d]", path, i), nil, "%q is not a zone of region %s", z, g.Region)
		}
	}
	if g.Zones != nil && len(g.Zones) == 0 {
		e.add(path+".zones", nil, "name at least one zone")
	}
	if _, err := netip.ParsePrefix(g.CIDR); err != nil {
		e.add(path+".cidr", nil, "%q is not a CIDR", g.CIDR)
	}
	for _, name := range SortedKeys(g.Pools) {
		p := g.Pools[name]
		pp := join(path+".pools", name)
		if !gcpName.MatchString(name) {
			e.add(pp, nil, "pool names are lower-case letters, digits and dashes")
		}
		switch {
		case p.MachineType != "" && (p.MinCPU != 0 || p.MinMemoryGB != 0):
			e.add(pp+".machineType", nil, "give machineType or minCPU/minMemoryGB, not both")
		case p.MachineType != "" && !machineType.MatchString(p.MachineType):
			e.add(pp+".machineType", nil, "%q is not a machine type like e2-standard-4", p.MachineType)
		case p.MachineType == "" && (p.MinCPU < 2 || p.MinCPU > 32 || p.MinCPU%2 != 0):
			e.add(pp+".minCPU", nil, "without machineType, minCPU must be an even number from 2 to 32, not %d", p.MinCPU)
		case p.MachineType == "" && (p.MinMemoryGB < p.MinCPU/2 || p.MinMemoryGB > 8*p.MinCPU):
			e.add(pp+".minMemoryGB", nil, "must be 0.5 to 8 GB per vCPU (%d to %d for %d vCPUs), not %d", p.MinCPU/2, 8*p.MinCPU, p.MinCPU, p.MinMemoryGB)
		}
		if !gceImage.MatchString(p.Image) {
			e.add(pp+".image", nil, "%s is not an image like ubuntu-os-cloud/ubuntu-2204-lts or projects/P/global/images/family/F", quoteShort(p.Image))
		}
		if p.DiskType != "pd-standard" && p.DiskType != "pd-balanced" && p.DiskType != "pd-ssd" {
			e.add(pp+".diskType", nil, "must be pd-standard, pd-balanced or pd-ssd, not %q", p.DiskType)
		}
		if p.DiskSizeGB < 10 || p.DiskSizeGB > 65536 {
			e.add(pp+".diskSizeGB", nil, "must be 10 to 65536, not %d", p.DiskSizeGB)
		}
		if p.Count < 0 || p.Count > 100 {
			e.add(pp+".count", nil, "must be 0 to 100, not %d", p.Count)
		}
		for _, k := range SortedKeys(p.Labels) {
			v := p.Labels[k]
			if !labelKey.MatchString(k) || !labelValue.MatchString(v) {
				e.add(join(pp+".labels", k), nil, "GCE labels are lower-case letters, digits, - and _ (keys start with a letter)")
			}
			if k == "orb" || k == "pool" {
				e.add(join(pp+".labels", k), nil, "%q is set by orbos", k)
			}
		}
	}
}

func checkCIDRs(path string, cidrs []string, e *errs) {
	for i, c := range cidrs {
		e.check(fmt.Sprintf("%s[%d]", path, i), c, valid.CIDR(c))
	}
}

// prefixed puts prefix before each reason, to tell a map key's reasons from its value's.
func prefixed(prefix string, reasons []string) []string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = prefix + r
	}
	return out
}

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
