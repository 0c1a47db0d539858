// Package valid holds the rules for values that reach machines: names, addresses, interface and user
// names, paths. The spec (stacks) applies them at its boundary, naming the field of each refusal; the
// renderers (host) apply them again before writing configuration files, so that a value validation
// missed is refused rather than written. Each rule returns the reasons a value is refused, none when
// it is fine, like k8s.io/apimachinery/pkg/util/validation whose rules they use.
package valid

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Name is a DNS-1123 label: machine IDs (they become node names and host names), pool, VIP and
// transport names, namespaces.
func Name(s string) []string { return validation.IsDNS1123Label(s) }

// Subdomain is a DNS-1123 subdomain: DNS domains.
func Subdomain(s string) []string { return validation.IsDNS1123Subdomain(s) }

// LabelKey is a Kubernetes qualified name, optionally prefixed by a DNS subdomain: label and taint keys.
func LabelKey(s string) []string { return validation.IsQualifiedName(s) }

// LabelValue is a Kubernetes label value (taint values follow the same rule).
func LabelValue(s string) []string { return validation.IsValidLabelValue(s) }

// TaintEffect is one of the three effects Kubernetes knows.
func TaintEffect(s string) []string {
	switch s {
	case "NoSchedule", "PreferNoSchedule", "NoExecute":
		return nil
	}
	return []string{"must be NoSchedule, PreferNoSchedule or NoExecute"}
}

// IP is an IP address in canonical form, without a zone: machine and virtual addresses go into
// kubeadm, keepalived and haproxy configurations as they are written.
func IP(s string) []string { return messages(validation.IsValidIP(nil, s)) }

// CIDR is an address range: a network address and its prefix length, e.g. 10.0.0.0/8.
func CIDR(s string) []string {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		return []string{"must be a CIDR like 203.0.113.0/24"}
	case p.Masked() != p:
		return []string{fmt.Sprintf("must be a network address: %s", p.Masked())}
	}
	return nil
}

// Port is a TCP port, 1-65535.
func Port(n int) []string { return validation.IsValidPortNum(n) }

// The kernel's IFNAMSIZ is 16 with the terminating NUL.
const maxInterfaceName = 15

var interfaceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// InterfaceName is a Linux network interface name: 1 to 15 bytes, not . or .., and none of the
// characters the kernel refuses (/, : and white space); orbos further keeps to letters, digits,
// '_', '.' and '-', so that the name needs no quoting in keepalived's configuration.
func InterfaceName(s string) []string {
	var out []string
	if len(s) == 0 || len(s) > maxInterfaceName {
		out = append(out, fmt.Sprintf("must be 1 to %d characters (Linux IFNAMSIZ)", maxInterfaceName))
	}
	if s == "." || s == ".." {
		out = append(out, "must not be . or ..")
	}
	if !interfaceName.MatchString(s) {
		out = append(out, "must consist of letters, digits, '_', '.' and '-' (no '/', ':', white space or quotes)")
	}
	return out
}

// The portable filename character set of POSIX user names; useradd refuses leading '-' and names of
// digits only (they read as user IDs); 32 is the length utmp keeps.
var (
	userName = regexp.MustCompile(`^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$`)
	digits   = regexp.MustCompile(`^[0-9]+$`)
)

// UserName is a POSIX user name: the SSH login of a machine.
func UserName(s string) []string {
	if !userName.MatchString(s) || digits.MatchString(s) || s == "." || s == ".." {
		return []string{"must be a POSIX user name: up to 32 letters, digits, '.', '_' and '-', not starting with '-' and not only digits"}
	}
	return nil
}

// HostKey is one SSH public key in authorized_keys form (type, base64 key, optional comment), with
// neither options nor a second line.
func HostKey(s string) []string {
	line := strings.TrimSuffix(s, "\n")
	if strings.ContainsAny(line, "\r\n") || len(Printable(line, false)) > 0 {
		return []string{"must be one key on one line, without control characters"}
	}
	_, _, options, _, err := ssh.ParseAuthorizedKey([]byte(line))
	switch {
	case err != nil:
		return []string{"must be an SSH public key like ssh-ed25519 AAAA... (authorized_keys form)"}
	case len(options) > 0:
		return []string{"must be a bare public key, without authorized_keys options"}
	}
	return nil
}

// Characters of a request path (RFC 3986 pchar, '/' and '?') without quotes, white space, '#', '\'
// and '$', which mean something in haproxy's configuration.
var healthCheckPath = regexp.MustCompile(`^/[A-Za-z0-9\-._~%!&()*+,;=:@/?]*$`)

// HealthCheckPath is the request path of an HTTP(S) health check.
func HealthCheckPath(s string) []string {
	if len(s) > 1024 || !healthCheckPath.MatchString(s) {
		return []string{"must be a request path starting with / of at most 1024 characters, without white space, quotes, '#', '\\' or '$'"}
	}
	return nil
}

// Token is an opaque value orbos writes itself (snapshot tags, VRRP passwords): letters, digits,
// '.', '_' and '-'.
var token = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Token refuses anything but letters, digits, '.', '_' and '-', and more than max characters.
func Token(s string, max int) []string {
	if !token.MatchString(s) || len(s) > max {
		return []string{fmt.Sprintf("must be 1 to %d letters, digits, '.', '_' or '-'", max)}
	}
	return nil
}

// Printable refuses control characters (newlines included) and, with noSpace, white space: free-form
// values that no machine interprets (request stamps, bucket names) but that end in logs and status.
func Printable(s string, noSpace bool) []string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || noSpace && (r == ' ' || r == '\u00a0') {
			if noSpace {
				return []string{"must not contain white space or control characters"}
			}
			return []string{"must not contain control characters"}
		}
	}
	return nil
}

// messages turns apimachinery's field errors (of a nil path) into plain reasons.
func messages(list field.ErrorList) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Detail)
	}
	return out
}

// Check returns an error naming what for the first value a rule refuses; renderers use it to refuse
// a value validation should have refused.
func Check(what, value string, reasons []string) error {
	if len(reasons) == 0 {
		return nil
	}
	return fmt.Errorf("%s %q: %s", what, value, strings.Join(reasons, "; "))
}
