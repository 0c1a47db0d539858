package host

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/orbos/orbos/internal/kubeversion"
	"github.com/orbos/orbos/internal/valid"
)

// Validate checks every field of a node with the rules the spec is validated with (package
// internal/valid). The scripts need no such check (their values reach them quoted, see script.go)
// and the kubeadm configurations are encoded; it is for callers that want a wrong node refused
// before anything runs, and for the tests.
func (n Node) Validate() error {
	var errs []error
	check := func(what, value string, reasons []string) {
		if err := valid.Check(what, value, reasons); err != nil {
			errs = append(errs, err)
		}
	}
	check("node name", n.Name, valid.Name(n.Name))
	switch n.Role {
	case RoleInit, RoleControlPlane, RoleWorker:
	default:
		errs = append(errs, fmt.Errorf("role %q: must be %s, %s or %s", n.Role, RoleInit, RoleControlPlane, RoleWorker))
	}
	if _, err := kubeversion.Parse(n.Version); err != nil {
		errs = append(errs, err)
	}
	check("address", n.Address, valid.IP(n.Address))
	check("control-plane endpoint", n.ControlPlaneEndpoint, hostPort(n.ControlPlaneEndpoint))
	for _, san := range n.CertSANs {
		check("certificate SAN", san, hostName(san))
	}
	check("pod CIDR", n.PodCIDR, valid.CIDR(n.PodCIDR))
	check("service CIDR", n.ServiceCIDR, valid.CIDR(n.ServiceCIDR))
	check("DNS domain", n.DNSDomain, valid.Subdomain(n.DNSDomain))
	if n.CNI != "calico" && n.CNI != "cilium" {
		errs = append(errs, fmt.Errorf("CNI %q: must be calico or cilium", n.CNI))
	}
	for _, kv := range sortedLabels(n.Labels) {
		check("label key", kv.Key, valid.LabelKey(kv.Key))
		check("label value", kv.Value, valid.LabelValue(kv.Value))
	}
	for _, t := range n.Taints {
		check("taint key", t.Key, valid.LabelKey(t.Key))
		check("taint value", t.Value, valid.LabelValue(t.Value))
		check("taint effect", t.Effect, valid.TaintEffect(t.Effect))
	}
	for signal, threshold := range n.Runtime.EvictionHard {
		check("eviction signal", signal, matches(evictionSignal, signal, "must be a signal like memory.available"))
		check("eviction threshold", threshold, matches(evictionThreshold, threshold, "must be a quantity like 100Mi or a percentage like 5%"))
	}
	return errors.Join(errs...)
}

var (
	evictionSignal    = regexp.MustCompile(`^[a-z]+\.[a-zA-Z]+$`)
	evictionThreshold = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(%|Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$`)
)

// matches gives reason when s does not match re.
func matches(re *regexp.Regexp, s, reason string) []string {
	if re.MatchString(s) {
		return nil
	}
	return []string{reason}
}

// hostName is an IP address or a DNS name.
func hostName(s string) []string {
	if len(valid.IP(s)) == 0 {
		return nil
	}
	if reasons := valid.Subdomain(s); len(reasons) > 0 {
		return []string{"must be an IP address or a DNS name"}
	}
	return nil
}

// hostPort is host:port with a host of hostName.
func hostPort(s string) []string {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return []string{"must be host:port"}
	}
	port, err := strconv.Atoi(p)
	if err != nil || strconv.Itoa(port) != p || len(valid.Port(port)) > 0 {
		return []string{"must end in a port, 1-65535"}
	}
	return hostName(h)
}
