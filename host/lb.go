package host

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

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

// KeepalivedConfig renders keepalived.conf. A field that could change the file's structure (a
// value validation should have refused) is an error: nothing is written.
func KeepalivedConfig(lb LoadBalancer) (string, error) { return renderConfig("keepalived.conf", lb) }

// HAProxyConfig renders haproxy.cfg, with the same checks as KeepalivedConfig.
func HAProxyConfig(lb LoadBalancer) (string, error) { return renderConfig("haproxy.cfg", lb) }

func renderConfig(name string, lb LoadBalancer) (string, error) {
	if err := lb.Validate(); err != nil {
		return "", fmt.Errorf("%s of %s: %w", name, quote(lb.Machine), err)
	}
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, lb); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	return b.String(), nil
}

// LoadBalancerScript installs keepalived and haproxy, checks the uploaded configurations and
// reloads both; it lets haproxy bind VIPs this machine does not hold at the moment.
func LoadBalancerScript(LoadBalancer) string {
	vars := struct {
		HAProxy    string `sh:"HAPROXY_CONFIG"`
		Keepalived string `sh:"KEEPALIVED_CONFIG"`
	}{HAProxyConfigPath, KeepalivedConfigPath}
	return script("load balancer", "lb.sh", vars, scriptFlags{})
}

// Validate checks every field that reaches keepalived.conf or haproxy.cfg with the rules the spec
// is validated with (package internal/valid): names, addresses, the interface, paths, numbers.
func (lb LoadBalancer) Validate() error {
	var errs []error
	check := func(what, value string, reasons []string) {
		if err := valid.Check(what, value, reasons); err != nil {
			errs = append(errs, err)
		}
	}
	inRange := func(what string, n, lo, hi int) {
		if n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s %d: must be %d to %d", what, n, lo, hi))
		}
	}
	check("machine", lb.Machine, valid.Name(lb.Machine))
	check("address", lb.Address, valid.IP(lb.Address))
	check("interface", lb.Interface, valid.InterfaceName(lb.Interface))
	inRange("priority", lb.Priority, 1, 254)
	for _, p := range lb.Peers {
		check("peer", p, valid.IP(p))
	}
	// The VRRP password is a secret: its refusal does not quote it.
	if len(valid.Token(lb.AuthPass, 8)) > 0 {
		errs = append(errs, errors.New("the VRRP password must be 1 to 8 letters, digits, '.', '_' or '-'"))
	}
	for _, v := range lb.VIPs {
		check("VIP name", v.Name, valid.Name(v.Name))
		check("VIP address", v.IP, valid.IP(v.IP))
		inRange("virtual router ID", v.RouterID, 1, 255)
		for _, t := range v.Transports {
			check("transport name", t.Name, valid.Name(t.Name))
			inRange("frontend port", t.FrontendPort, 1, 65535)
			inRange("backend port", t.BackendPort, 1, 65535)
			inRange("health-check port", t.HealthCheckPort, 1, 65535)
			inRange("health-check interval", t.IntervalSeconds, 1, 300)
			for _, b := range t.Backends {
				check("backend name", b.Name, valid.Name(b.Name))
				check("backend address", b.Address, valid.IP(b.Address))
			}
			for _, c := range t.Whitelist {
				check("whitelist range", c, valid.CIDR(c))
			}
			switch t.HealthCheck {
			case "tcp":
			case "http", "https":
				check("health-check path", t.HealthCheckPath, valid.HealthCheckPath(t.HealthCheckPath))
			default:
				errs = append(errs, fmt.Errorf("health check %q: must be tcp, http or https", t.HealthCheck))
			}
		}
	}
	return errors.Join(errs...)
}
