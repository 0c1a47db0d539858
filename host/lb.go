package host

// LoadBalancer is the static provider's load balancing on one machine of the load-balancer pool:
// keepalived holds the VIPs (VRRP over unicast to the pool's other machines) and haproxy forwards
// each transport to its backends.
type LoadBalancer struct {
	// Machine is this machine's name; Address its own address, the VRRP source.
	Machine string
	Address string
	// Interface carries the VIPs.
	Interface string
	// Priority orders the pool's machines for holding the VIPs (higher wins).
	Priority int
	// Peers are the addresses of the pool's other machines.
	Peers []string
	// AuthPass authenticates VRRP adverts between the pool's machines (a secret, 8 characters).
	AuthPass string
	VIPs     []LBVIP
}

// LBVIP is one virtual IP and what it forwards.
type LBVIP struct {
	Name string
	IP   string
	// RouterID is the VRRP virtual router ID (1-255), unique per VIP in the network.
	RouterID   int
	Transports []LBTransport
}

// LBTransport forwards FrontendPort on the VIP to BackendPort on Backends.
type LBTransport struct {
	Name          string
	FrontendPort  int
	BackendPort   int
	Backends      []LBBackend
	Whitelist     []string
	ProxyProtocol bool
	// HealthCheck is tcp, http or https; Path and Port for http(s).
	HealthCheck     string
	HealthCheckPath string
	HealthCheckPort int
	IntervalSeconds int
}

// LBBackend is one backend machine.
type LBBackend struct{ Name, Address string }

// Keepalived paths and the reload the files resource runs after changing them.
const (
	KeepalivedConfigPath = "/etc/keepalived/keepalived.conf"
	HAProxyConfigPath    = "/etc/haproxy/haproxy.cfg"
)

// KeepalivedConfig renders keepalived.conf.
func KeepalivedConfig(lb LoadBalancer) string { return render("keepalived.conf", lb) }

// HAProxyConfig renders haproxy.cfg.
func HAProxyConfig(lb LoadBalancer) string { return render("haproxy.cfg", lb) }

// LoadBalancerScript installs keepalived and haproxy, checks the uploaded configurations and
// reloads both; it lets haproxy bind VIPs this machine does not hold at the moment.
func LoadBalancerScript(lb LoadBalancer) string { return render("lb.sh", lb) }
