package host

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"text/template/parse"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
	"mvdan.cc/sh/v3/syntax"
)

// No script body inserts a value: their templates have no output action ({{.X}}, {{q .X}}), only
// branches on scriptFlags, which are booleans. Values reach scripts through the prelude alone.
func TestScriptBodiesInsertNoValue(t *testing.T) {
	ft := reflect.TypeOf(scriptFlags{})
	for i := 0; i < ft.NumField(); i++ {
		if ft.Field(i).Type.Kind() != reflect.Bool {
			t.Errorf("scriptFlags.%s is a %s: a script body must get booleans only", ft.Field(i).Name, ft.Field(i).Type)
		}
	}
	checked := 0
	for _, tmpl := range templates.Templates() {
		if !strings.HasSuffix(tmpl.Name(), ".sh") && tmpl.Name() != "k8s-repo" || tmpl.Tree == nil {
			continue
		}
		checked++
		var walk func(parse.Node)
		walk = func(n parse.Node) {
			switch n := n.(type) {
			case *parse.ListNode:
				if n != nil {
					for _, c := range n.Nodes {
						walk(c)
					}
				}
			case *parse.IfNode:
				walk(n.List)
				if n.ElseList != nil {
					walk(n.ElseList)
				}
			case *parse.TextNode, *parse.TemplateNode:
			default:
				t.Errorf("%s: %s inserts into the script text (only if/else/template are allowed; use the prelude)", tmpl.Name(), n)
			}
		}
		walk(tmpl.Tree.Root)
	}
	if checked < 15 {
		t.Fatalf("checked %d script templates", checked)
	}
}

// scripts renders every script of n (and the load balancer script), by name.
func scripts(n Node) map[string]string {
	return map[string]string{
		"prepare": PrepareScript(n), "init": InitScript(n), "join": JoinScript(n),
		"join-token-cp": JoinTokenScript(true), "join-token": JoinTokenScript(false),
		"label": LabelScript(n, []string{n.Name, "gone"}, append([]Taint{{Key: "old", Effect: "NoSchedule"}}, n.Taints...)),
		"read":  ReadScript(n),
		"drain": DrainScript(n.Name), "uncordon": UncordonScript(n.Name), "delete-node": DeleteNodeScript(n.Name),
		"etcd-snapshot": EtcdSnapshotScript(n.Version + "-to-" + n.Name),
		"upgrade":       UpgradeScript(n), "reboot": RebootScript(n), "boot-id": BootIDScript(), "reset": ResetScript(n),
		"lb": LoadBalancerScript(LoadBalancer{Machine: n.Name}),
	}
}

// shape is a script's command structure: every node of its syntax tree with its literal text,
// except the values of the prelude's readonly declarations, which become VALUE (each must be one
// single-quoted word). It returns the values, unquoted, by variable name.
func shape(t *testing.T, name, script string) (string, map[string][]string) {
	t.Helper()
	f, err := syntax.NewParser(syntax.KeepComments(true)).Parse(strings.NewReader(script), name)
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", name, err, script)
	}
	var b strings.Builder
	values := map[string][]string{}
	unquote := func(w *syntax.Word) string {
		var s strings.Builder
		for _, p := range w.Parts {
			switch p := p.(type) {
			case *syntax.SglQuoted:
				if p.Dollar {
					t.Errorf("%s: a value in $'...'", name)
				}
				s.WriteString(p.Value)
			case *syntax.Lit:
				if p.Value != `\'` {
					t.Errorf("%s: a value with unquoted text %q", name, p.Value)
				}
				s.WriteString("'")
			default:
				t.Errorf("%s: a value with a %T part", name, p)
			}
		}
		return s.String()
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if d, ok := n.(*syntax.DeclClause); ok && d.Variant.Value == "readonly" {
			b.WriteString("readonly")
			for _, a := range d.Args {
				switch {
				case a.Naked && a.Value != nil:
					fmt.Fprintf(&b, " %s", a.Value.Lit())
				case a.Array != nil:
					fmt.Fprintf(&b, " %s=(VALUES)", a.Name.Value)
					values[a.Name.Value] = []string{}
					for _, e := range a.Array.Elems {
						values[a.Name.Value] = append(values[a.Name.Value], unquote(e.Value))
					}
				case a.Value != nil:
					fmt.Fprintf(&b, " %s=VALUE", a.Name.Value)
					values[a.Name.Value] = []string{unquote(a.Value)}
				default:
					t.Errorf("%s: readonly %v", name, a)
				}
			}
			b.WriteString("\n")
			return false
		}
		switch n := n.(type) {
		case nil:
			return true
		case *syntax.Lit:
			fmt.Fprintf(&b, "Lit(%s) ", n.Value)
		case *syntax.SglQuoted:
			fmt.Fprintf(&b, "Sgl(%s) ", n.Value)
		case *syntax.Comment:
			fmt.Fprintf(&b, "Comment(%s) ", n.Text)
		case *syntax.ParamExp:
			fmt.Fprintf(&b, "Param(%s) ", n.Param.Value)
		default:
			fmt.Fprintf(&b, "%T ", n)
		}
		return true
	})
	return b.String(), values
}

var benign = Node{
	Name: "w-0", Role: RoleWorker, Version: "v1.31.4", Address: "10.0.0.20", ControlPlaneEndpoint: "10.0.0.100:6443",
	CertSANs: []string{"10.0.0.100"}, PodCIDR: "100.64.0.0/16", ServiceCIDR: "100.126.0.0/16", DNSDomain: "cluster.local",
	CNI: "calico", Labels: map[string]string{"tier": "web"}, Taints: []Taint{{Key: "dedicated", Value: "db", Effect: "NoSchedule"}},
}

// sameValue compares a value as the shell parser read it with what was rendered; the parser reads
// \r\n as \n even inside quotes (bash does not).
func sameValue(parsed, rendered string) bool {
	return parsed == strings.ReplaceAll(rendered, "\r\n", "\n")
}

// benignLike is the benign node with n's branches: its role, CNI and which sources it has.
func benignLike(n Node) Node {
	b := benign
	b.Role, b.CNI = n.Role, n.CNI
	if n.Runtime.PackageRepository != "" {
		b.Runtime.PackageRepository, b.Runtime.PackageKey = "http://10.0.0.1/{minor}/deb/", "KEY"
	}
	if n.Runtime.ImageRepository != "" {
		b.Runtime.ImageRepository = "10.0.0.1:5000/k8s"
	}
	if n.Runtime.SharedKernel {
		b.Runtime.SharedKernel = true
	}
	for range n.Runtime.IgnorePreflightErrors {
		b.Runtime.IgnorePreflightErrors = append(b.Runtime.IgnorePreflightErrors, "Swap")
	}
	return b
}

// assertSameCommands renders every script of n and of a benign node with the same branches, and
// fails unless each has the same command structure, and its prelude carries n's values unchanged.
func assertSameCommands(t *testing.T, n Node) {
	t.Helper()
	want := scripts(benignLike(n))
	for name, got := range scripts(n) {
		gotShape, values := shape(t, name, got)
		wantShape, _ := shape(t, name, want[name])
		if gotShape != wantShape {
			t.Fatalf("%s: the command structure changed with the node's values\n--- got\n%s\n--- benign\n%s\n--- script\n%s", name, gotShape, wantShape, got)
		}
		if v, ok := values["NODE_NAME"]; ok && !sameValue(v[0], n.Name) {
			t.Errorf("%s: NODE_NAME reaches the script as %q, not %q", name, v[0], n.Name)
		}
		if v, ok := values["LABELS"]; ok {
			for i, kv := range sortedLabels(n.Labels) {
				if !sameValue(v[i], kv.Key+"="+kv.Value) {
					t.Errorf("%s: label %q reaches the script as %q", name, kv.Key+"="+kv.Value, v[i])
				}
			}
		}
		if v, ok := values["KUBERNETES_VERSION"]; ok && !sameValue(v[0], n.Version) {
			t.Errorf("%s: the version reaches the script as %q, not %q", name, v[0], n.Version)
		}
	}
}

// assertKubeadmEncodes checks that the kubeadm configurations decode to n's values with the benign
// node's structure: no value adds a key, an item or a document.
func assertKubeadmEncodes(t *testing.T, n Node) {
	t.Helper()
	b := benignLike(n)
	j := Join{Token: "abcdef.0123456789abcdef", CACertHash: "sha256:00", CertificateKey: "00"}
	for _, c := range []struct {
		name      string
		got, want string
	}{{"init", InitConfig(n), InitConfig(b)}, {"join", JoinConfig(n, j), JoinConfig(b, j)}} {
		gotDocs, wantDocs := yamlShapes(t, c.got), yamlShapes(t, c.want)
		if len(n.Taints) == len(b.Taints) && len(n.CertSANs) == len(b.CertSANs) && strings.Join(gotDocs, "---") != strings.Join(wantDocs, "---") {
			t.Fatalf("%s: the structure changed with the node's values\n%s\n--- benign\n%s", c.name, gotDocs, wantDocs)
		}
	}
	var ic initConfiguration
	if err := yaml.Unmarshal([]byte(InitConfig(n)), &ic); err != nil {
		t.Fatal(err)
	}
	if r := ic.NodeRegistration; string(r.Name) != n.Name || string(r.KubeletExtraArgs[0].Value) != n.Address {
		t.Fatalf("init configuration decodes to name %q, node IP %q", r.Name, r.KubeletExtraArgs[0].Value)
	}
}

// yamlShapes lists each document's keys and kinds, without scalar values.
func yamlShapes(t *testing.T, doc string) []string {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	var out []string
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("%v\n%s", err, doc)
		}
		var b strings.Builder
		var walk func(*yaml.Node)
		walk = func(n *yaml.Node) {
			fmt.Fprintf(&b, "(%d", n.Kind)
			for i, c := range n.Content {
				if n.Kind == yaml.MappingNode && i%2 == 0 {
					fmt.Fprintf(&b, " %s:", c.Value)
					continue
				}
				walk(c)
			}
			b.WriteString(")")
		}
		walk(&n)
		out = append(out, b.String())
	}
}

// The two injections a review found, given to the renderers directly (as if validation had let
// them through): scripts carry them as quoted values, the load balancer's files are refused.
func TestRenderersNeutraliseKnownInjections(t *testing.T) {
	n := benign
	n.Name = "w-1\ntouch /tmp/x"
	assertSameCommands(t, n)
	assertKubeadmEncodes(t, n)
	for name, s := range scripts(n) {
		if strings.Contains(s, "\ntouch /tmp/x") {
			// the name's second line starts a line of the script only inside quotes
			if shapeHasCommand(t, name, s, "touch") {
				t.Errorf("%s runs touch:\n%s", name, s)
			}
		}
	}
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), `node name "w-1\ntouch /tmp/x"`) {
		t.Errorf("Node.Validate: %v", err)
	}

	lb := balance
	lb.Interface = "eth0\n  notify_master \"/usr/bin/touch /tmp/x\""
	if out, err := KeepalivedConfig(lb); err == nil || !strings.Contains(err.Error(), "interface") {
		t.Errorf("keepalived.conf with an interface of two lines: %v\n%s", err, out)
	}
	lb = balance
	lb.Machine = "lb-0\nglobal_defs {"
	for _, render := range []func(LoadBalancer) (string, error){KeepalivedConfig, HAProxyConfig} {
		if _, err := render(lb); err == nil {
			t.Error("a machine name of two lines was rendered")
		}
	}
	lb = balance
	lb.VIPs = append([]LBVIP{}, balance.VIPs...)
	lb.VIPs[0].Transports = append([]LBTransport{}, balance.VIPs[0].Transports...)
	lb.VIPs[0].Transports[0].HealthCheckPath = "/healthz\n  server evil 203.0.113.9:6443"
	if _, err := HAProxyConfig(lb); err == nil || !strings.Contains(err.Error(), "health-check path") {
		t.Errorf("haproxy.cfg with a path of two lines: %v", err)
	}
	lb.VIPs[0].Transports[0].HealthCheckPath = "/healthz"
	lb.AuthPass = "secret-too-long"
	if _, err := KeepalivedConfig(lb); err == nil || strings.Contains(err.Error(), lb.AuthPass) {
		t.Errorf("a long VRRP password: %v (refused without quoting it)", err)
	}
}

func shapeHasCommand(t *testing.T, name, script, command string) bool {
	f, err := syntax.NewParser().Parse(strings.NewReader(script), name)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 && c.Args[0].Lit() == command {
			found = true
		}
		return true
	})
	return found
}

// FuzzRender gives nodes and load balancers of arbitrary values to every renderer. Scripts must keep
// the command structure of a benign node whatever the values (they are quoted in the prelude); the
// kubeadm configurations must keep their structure (they are YAML-encoded); the load balancer's
// files are either refused or keep their structure. `go test` runs the seeds; `make fuzz` explores.
func FuzzRender(f *testing.F) {
	f.Add("w-1", "10.0.0.21", "tier", "web", "eth0", "/healthz", "v1.31.4", uint8(2), uint8(0))
	f.Add("w-1\ntouch /tmp/x", "10.0.0.21", "tier", "web", "eth0\n  notify_master /tmp/x", "/healthz", "v1.31.4", uint8(3), uint8(15))
	f.Add("$(touch /tmp/x)", "`id`", "a'b", `"; id; "`, "eth0 }", "/x y", "v1.31.4'; id #", uint8(7), uint8(9))
	f.Add("-rf", "${IFS}", "orbos.io/pool", "it's", "lo", "/healthz?x=1", "v1.32.0", uint8(8), uint8(6))
	f.Add("a\\", "::1", "x\\'", "'\\''", "eth0#", "/#", "\r\n", uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, name, address, key, value, iface, path, version string, role, cni uint8) {
		for _, s := range []string{name, address, key, value, iface, path, version} {
			if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
				// Bash strings cannot hold NUL, and the shell parser of this test reads UTF-8 only
				// (bash takes any other byte inside single quotes).
				t.Skip("NUL or not UTF-8")
			}
		}
		n := Node{
			Name: name, Role: []string{RoleInit, RoleControlPlane, RoleWorker}[int(role)%3], Version: version, Address: address,
			ControlPlaneEndpoint: address + ":6443", CertSANs: []string{address}, PodCIDR: value, ServiceCIDR: key, DNSDomain: value,
			CNI: "calico", Labels: map[string]string{key: value}, Taints: []Taint{{Key: key, Value: value, Effect: path}},
		}
		n.CNI = []string{"calico", "cilium", "hostgw"}[int(role/3)%3]
		if cni&1 != 0 {
			n.Runtime.PackageRepository, n.Runtime.PackageKey = path, value
		}
		if cni&2 != 0 {
			n.Runtime.ImageRepository = key
		}
		if cni&4 != 0 {
			n.Runtime.SharedKernel, n.Runtime.CgroupDriver = true, "cgroupfs"
			n.Runtime.IgnorePreflightErrors = []string{value, key}
		}
		if cni&8 != 0 {
			n.Runtime.Registries = []Registry{{Host: name, Mirrors: []string{path, address}}}
		}
		assertSameCommands(t, n)
		assertKubeadmEncodes(t, n)

		lb := balance
		lb.Machine, lb.Address, lb.Interface = name, address, iface
		lb.VIPs = append([]LBVIP{}, balance.VIPs...)
		lb.VIPs[0].Name = key
		lb.VIPs[0].Transports = append([]LBTransport{}, balance.VIPs[0].Transports...)
		lb.VIPs[0].Transports[0].Name, lb.VIPs[0].Transports[0].HealthCheckPath = value, path
		for _, render := range []func(LoadBalancer) (string, error){KeepalivedConfig, HAProxyConfig} {
			got, err := render(lb)
			if err != nil {
				continue
			}
			want, _ := render(balance)
			if a, b := configShape(got), configShape(want); a != b {
				t.Fatalf("a load balancer's file changed structure with its values\n%s\n--- benign\n%s", got, want)
			}
		}
	})
}

// configShape is a configuration file's structure: per line, its first word and its word count.
func configShape(cfg string) string {
	var b strings.Builder
	for _, l := range strings.Split(cfg, "\n") {
		w := strings.Fields(l)
		if len(w) > 0 && !strings.HasPrefix(w[0], "#") {
			fmt.Fprintf(&b, "%s/%d\n", w[0], len(w))
		} else {
			b.WriteString("-\n")
		}
	}
	return b.String()
}
