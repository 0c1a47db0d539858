package valid

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestRules(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := ssh.NewPublicKey(pub)
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	for _, c := range []struct {
		rule     string
		check    func(string) []string
		ok, fail []string
	}{
		{"Name", Name, []string{"w-1", "cp0", "a"}, []string{"", "W-1", "w_1", "w-1.example", "-w", "w-1\ntouch /tmp/x", strings.Repeat("a", 64)}},
		{"InterfaceName", InterfaceName, []string{"eth0", "ens4", "enp0s31f6", "br-lan", "eth0.100", "lo", "wg_0"},
			[]string{"", ".", "..", "eth/0", "eth:0", "eth 0", "eth0\n", "eth0}", `eth0"`, "eth0#x", strings.Repeat("e", 16)}},
		{"UserName", UserName, []string{"root", "orbos", "ci.bot", "_svc", "Admin", "a-b"},
			[]string{"", "-oProxyCommand=x", "1000", ".", "..", "a b", "a;b", "a\nb", strings.Repeat("u", 33)}},
		{"HostKey", HostKey, []string{key, key + " root@cp-1", key + "\n"},
			[]string{"", "ssh-ed25519", "ssh-ed25519 AAAA", `command="id" ` + key, key + "\n" + key, "# comment\n" + key, key + " a\x1bb"}},
		{"HealthCheckPath", HealthCheckPath, []string{"/", "/healthz", "/readyz?verbose=1&x=%20", "/a/b:c@d"},
			[]string{"", "healthz", "/a b", "/a'", `/a"`, "/a#b", `/a\b`, "/$x", "/a\nb", "/" + strings.Repeat("a", 1024)}},
		{"IP", IP, []string{"10.0.0.1", "2001:db8::1", "::1"}, []string{"", "10.0.0.01", "fe80::1%eth0", "2001:DB8::1", "::ffff:10.0.0.1", "10.0.0.1\n", "host.local"}},
		{"CIDR", CIDR, []string{"10.0.0.0/8", "0.0.0.0/0", "2001:db8::/32"}, []string{"", "10.0.0.1/8", "10.0.0.0", "10.0.0.0/33", "10.0.0.0/8\n"}},
		{"LabelKey", LabelKey, []string{"tier", "orbos.io/pool", "a_b.c-d"}, []string{"", "a b", "orbos.io/", "/x", "a/b/c", "x'"}},
		{"LabelValue", LabelValue, []string{"", "web", "a_b.c-d"}, []string{"a b", "x'", "-x", strings.Repeat("v", 64)}},
		{"TaintEffect", TaintEffect, []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}, []string{"", "noschedule", "Never"}},
		{"Subdomain", Subdomain, []string{"cluster.local", "example.com"}, []string{"", "Cluster.local", "a..b", "a b"}},
	} {
		for _, v := range c.ok {
			if r := c.check(v); len(r) > 0 {
				t.Errorf("%s(%q) refused: %v", c.rule, v, r)
			}
		}
		for _, v := range c.fail {
			if r := c.check(v); len(r) == 0 {
				t.Errorf("%s(%q) accepted", c.rule, v)
			}
		}
	}
	if len(Printable("a b", false)) > 0 || len(Printable("a b", true)) == 0 || len(Printable("a\nb", false)) == 0 {
		t.Error("Printable")
	}
	if len(Token("abcd1234", 8)) > 0 || len(Token("abcd12345", 8)) == 0 || len(Token("a b", 8)) == 0 {
		t.Error("Token")
	}
	if err := Check("interface", "eth0\nx", InterfaceName("eth0\nx")); err == nil || !strings.Contains(err.Error(), `interface "eth0\nx"`) {
		t.Errorf("Check quotes the value: %v", err)
	}
}
