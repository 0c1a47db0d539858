package stacks

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// The two injections a review found: a machine ID and an interface name with a newline reached the
// machines' root shells (a script's comment, keepalived's configuration). Both are refused, by path
// and line.
func TestKnownInjectionsAreRefusedByPath(t *testing.T) {
	const s = "config.orbos:orbiter.providers.static.pools"
	for _, c := range []struct {
		name, old, new, path string
		line                 int
	}{
		{"machine id", "{id: w-1,", `{id: "w-1\ntouch /tmp/x",`, s + ".workers[0].id", 17},
		{"interface", "interfaces: [eth0]}\n            - {id: lb-2", `interfaces: ["eth0\n  notify_master /tmp/x"]}` + "\n            - {id: lb-2", s + ".lb[0].interfaces[0]", 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := readExample(t, "static")
			if !strings.Contains(src, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			_, err := Parse("static-demo", []byte(strings.Replace(src, c.old, c.new, 1)))
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) != 1 {
				t.Fatalf("want one field error, got %v", err)
			}
			if fe := ve.Errors[0]; fe.Path != c.path || fe.Line != c.line {
				t.Errorf("refused at %s line %d, want %s line %d: %v", fe.Path, fe.Line, c.path, c.line, fe)
			}
			// The refusal quotes the value: no line of the message starts with the injected command.
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "touch") || strings.HasPrefix(strings.TrimSpace(l), "notify_master") {
					t.Errorf("the error prints the injected line raw: %q", err)
				}
			}
		})
	}
}

func hostKey(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// Every value that reaches a machine has a rule; each case breaks one and names the paths refused.
func TestValuesThatReachMachinesAreChecked(t *testing.T) {
	const s = "config.orbos:orbiter.providers.static.pools"
	const g = "config.orbos:orbiter.providers.gce.pools"
	const lb = "config.orbos:orbiter.loadBalancing.vips[0]"
	const k = "config.orbos:orbiter.kubernetes"
	key := hostKey(t)
	cases := []struct {
		example, name, old, new string
		want                    []string
	}{
		{"static", "pool name with a space", "          lb:\n", "          \"lb x\":\n", []string{s + `["lb x"]`, "config.orbos:orbiter.loadBalancing.pool"}},
		{"static", "upper-case machine id", "{id: w-1,", "{id: W-1,", []string{s + ".workers[0].id"}},
		{"static", "dotted machine id", "{id: w-1,", "{id: w-1.example.com,", []string{s + ".workers[0].id"}},
		{"static", "address with a zone", "address: 192.168.10.22", "address: \"fe80::1%eth0\"", []string{s + ".workers[1].address"}},
		{"static", "address with leading zeros", "address: 192.168.10.22", "address: 192.168.10.022", []string{s + ".workers[1].address"}},
		{"static", "address with a newline", "address: 192.168.10.22", "address: \"192.168.10.22\\nx\"", []string{s + ".workers[1].address"}},
		{"static", "user with a command", "sshUser: orbos}\n            - {id: cp-2", "sshUser: \"orbos; id\"}\n            - {id: cp-2", []string{s + ".control[0].sshUser"}},
		{"static", "user like an option", "sshUser: orbos}\n            - {id: cp-2", "sshUser: -oProxyCommand=x}\n            - {id: cp-2", []string{s + ".control[0].sshUser"}},
		{"static", "user of digits", "sshUser: orbos}\n            - {id: cp-2", "sshUser: \"1000\"}\n            - {id: cp-2", []string{s + ".control[0].sshUser"}},
		{"static", "a host key", "sshUser: orbos}\n            - {id: cp-2", "sshUser: orbos, hostKey: \"" + key + " root@cp-1\"}\n            - {id: cp-2", nil},
		{"static", "host key garbage", "sshUser: orbos}\n            - {id: cp-2", "sshUser: orbos, hostKey: not-a-key}\n            - {id: cp-2", []string{s + ".control[0].hostKey"}},
		{"static", "host key with options", "sshUser: orbos}\n            - {id: cp-2", "sshUser: orbos, hostKey: \"command=\\\"id\\\" " + key + "\"}\n            - {id: cp-2", []string{s + ".control[0].hostKey"}},
		{"static", "two host keys", "sshUser: orbos}\n            - {id: cp-2", "sshUser: orbos, hostKey: \"" + key + "\\n" + key + "\"}\n            - {id: cp-2", []string{s + ".control[0].hostKey"}},
		{"static", "interface too long", "interfaces: [eth0]}\n            - {id: lb-2", "interfaces: [enp0s31f6-vlan1234]}\n            - {id: lb-2", []string{s + ".lb[0].interfaces[0]"}},
		{"static", "interface with a slash", "interfaces: [eth0]}\n            - {id: lb-2", "interfaces: [eth/0]}\n            - {id: lb-2", []string{s + ".lb[0].interfaces[0]"}},
		{"static", "interface with a brace", "interfaces: [eth0]}\n            - {id: lb-2", "interfaces: [\"eth0}\"]}\n            - {id: lb-2", []string{s + ".lb[0].interfaces[0]"}},
		{"static", "interface dot-dot", "interfaces: [eth0]}\n            - {id: lb-2", "interfaces: [\"..\"]}\n            - {id: lb-2", []string{s + ".lb[0].interfaces[0]"}},
		{"static", "VIP IP with leading zeros", "ip: 192.168.10.100", "ip: 192.168.010.100", []string{lb + ".ip"}},
		{"static", "transport name with a space", "- name: https", "- name: \"https x\"", []string{lb + ".transports[1].name"}},
		{"static", "transport name with a newline", "- name: https", "- name: \"https\\nfrontend x\"", []string{lb + ".transports[1].name"}},
		{"static", "health check path with a space", "path: /readyz}", "path: \"/healthz HTTP/1.0\\r\\nHost: x\"}", []string{lb + ".transports[0].healthCheck.path"}},
		{"static", "health check path with a quote", "path: /readyz}", "path: \"/healthz'\"}", []string{lb + ".transports[0].healthCheck.path"}},
		{"static", "health check path with a comment", "path: /readyz}", "path: \"/healthz#x\"}", []string{lb + ".transports[0].healthCheck.path"}},
		{"static", "health check path with a query", "path: /readyz}", "path: \"/healthz?verbose=1&x=%20\"}", nil},
		{"static", "tcp check with a path", "proxyProtocol: true", "proxyProtocol: true\n              healthCheck: {protocol: tcp, path: /x}", []string{lb + ".transports[1].healthCheck.path"}},
		{"static", "reboot request with a newline", "    kubernetes:", "    nodes:\n      w-1: {reboot: \"2026-11-30\\nx\"}\n    kubernetes:", []string{"config.orbos:orbiter.nodes.w-1.reboot"}},
		{"static", "reboot request of an unknown machine", "    kubernetes:", "    nodes:\n      \"w-1\\nx\": {reboot: \"2026-11-30\"}\n    kubernetes:", []string{`config.orbos:orbiter.nodes["w-1\nx"]`}},
		{"static", "a version with a command", "version: v1.31.4", "version: \"v1.31.4\\ntouch /tmp/x\"", []string{k + ".version"}},
		{"static", "a pre-release version", "version: v1.31.4", "version: v1.32.0-rc.1", []string{k + ".version"}},
		{"static", "kubelet eviction thresholds", "      networking:\n", "      kubelet: {evictionHard: {memory.available: 100Mi, imagefs.available: \"1%\", nodefs.inodesFree: \"2.5%\"}}\n      networking:\n", nil},
		{"static", "an unknown eviction signal", "      networking:\n", "      kubelet: {evictionHard: {disk.available: 1Gi}}\n      networking:\n", []string{k + ".kubelet.evictionHard.disk.available"}},
		{"static", "an eviction signal with a newline", "      networking:\n", "      kubelet: {evictionHard: {\"memory.available\\nx\": 1Gi}}\n      networking:\n", []string{k + `.kubelet.evictionHard["memory.available\nx"]`}},
		{"static", "an eviction threshold with a flag", "      networking:\n", "      kubelet: {evictionHard: {memory.available: \"100Mi --x\"}}\n      networking:\n", []string{k + ".kubelet.evictionHard.memory.available"}},
		{"static", "an eviction percentage over 100", "      networking:\n", "      kubelet: {evictionHard: {nodefs.available: \"101%\"}}\n      networking:\n", []string{k + ".kubelet.evictionHard.nodefs.available"}},
		{"gce", "label key", "labels: {orbos.io/workload: general}", "labels: {\"orbos.io/work load\": general}", []string{k + `.workers[0].labels["orbos.io/work load"]`}},
		{"gce", "label value", "labels: {orbos.io/workload: general}", "labels: {orbos.io/workload: \"general\\nx\"}", []string{k + ".workers[0].labels.orbos.io/workload"}},
		{"gce", "label value too long", "labels: {orbos.io/workload: general}", "labels: {orbos.io/workload: " + strings.Repeat("x", 64) + "}", []string{k + ".workers[0].labels.orbos.io/workload"}},
		{"gce", "taint key", "{key: orbos.io/spot,", "{key: \"orbos.io/spot'\",", []string{k + ".workers[1].taints[0].key"}},
		{"gce", "taint value", "value: \"true\"", "value: \"true:NoExecute\"", []string{k + ".workers[1].taints[0].value"}},
		{"gce", "pod CIDR not a network", "podCIDR: 100.64.0.0/16", "podCIDR: 100.64.0.1/16", []string{k + ".networking.podCIDR"}},
		{"gce", "DNS domain with a space", "dnsDomain: cluster.local", "dnsDomain: \"cluster.local x\"", []string{k + ".networking.dnsDomain"}},
		{"gce", "firewall range not a network", "ssh: [203.0.113.0/24]", "ssh: [203.0.113.7/24]", []string{"config.orbos:orbiter.firewall.ssh[0]"}},
		{"gce", "image with a space", "spot: true\n", "spot: true\n            image: \"ubuntu x\"\n", []string{g + ".spot.image"}},
		{"gce", "image of another project", "spot: true\n", "spot: true\n            image: projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64\n", nil},
	}
	for _, c := range cases {
		t.Run(c.example+"/"+c.name, func(t *testing.T) {
			src := readExample(t, c.example)
			if !strings.Contains(src, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			_, err := Parse(c.example+"-demo", []byte(strings.Replace(src, c.old, c.new, 1)))
			assertPaths(t, err, c.want)
		})
	}
}

// The other sections' strings: images, domains, schedules, buckets.
func TestOtherSectionsAreChecked(t *testing.T) {
	const tail = "  orbos:kubeconfig:"
	cases := []struct {
		name, section string
		want          []string
	}{
		{"pinned image", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"ghcr.io/orbos/orbctl:v1.2.3\"}", nil},
		{"image by digest", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"registry.local:5000/orbos@sha256:" + strings.Repeat("ab", 32) + "\"}", nil},
		{"image with a command", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"orbos:v1\\nx\"}", []string{"config.orbos:reconciler.image"}},
		{"image without tag", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"orbos\"}", []string{"config.orbos:reconciler.image"}},
		{"reconciler interval", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, interval: 2m}", nil},
		{"reconciler interval too short", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, interval: 1s}", []string{"config.orbos:reconciler.interval"}},
		{"reconciler interval with a flag", "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, interval: \"30s --resync 0\"}", []string{"config.orbos:reconciler.interval"}},
		{"zitadel domain with a quote", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, externalDomain: \"id.example.com'\"}", []string{"config.orbos:zitadel.externalDomain"}},
		{"zitadel schedule", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, externalDomain: id.example.com, database: {backups: {schedule: \"0 3 * * *; id\", objectStore: {type: gcs, bucket: orb-backups, credentialsSecret: gcs-key}}}}\n  orbos:secrets: {gcs-key: {secure: v1:d}}", []string{"config.orbos:zitadel.database.backups.schedule"}},
		{"zitadel bucket", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, externalDomain: id.example.com, database: {backups: {schedule: \"0 3 * * *\", objectStore: {type: gcs, bucket: \"b x\", credentialsSecret: gcs-key}}}}\n  orbos:secrets: {gcs-key: {secure: v1:d}}", []string{"config.orbos:zitadel.database.backups.objectStore.bucket"}},
		{"networking domain", "  orbos:networking: {apiVersion: orbos.io/v1alpha1, domain: \"example.com\\nx\"}", []string{"config.orbos:networking.apiTokenSecret", "config.orbos:networking.domain", "config.orbos:networking.zoneId"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(strings.Replace(validFile, tail, c.section+"\n"+tail, 1)))
			assertPaths(t, err, c.want)
		})
	}
}

func assertPaths(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	got := map[string]bool{}
	for _, fe := range ve.Errors {
		got[fe.Path] = true
	}
	for _, p := range want {
		if !got[p] {
			t.Errorf("no error at %s; got %v", p, ve)
		}
	}
	if len(ve.Errors) != len(want) {
		t.Errorf("got %d errors, want %d: %v", len(ve.Errors), len(want), ve)
	}
	for _, fe := range ve.Errors {
		if strings.ContainsAny(fe.String(), "\n\r") {
			t.Errorf("an error message with a raw line break: %q", fe.String())
		}
	}
}
