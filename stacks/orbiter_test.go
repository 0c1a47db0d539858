package stacks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readExample(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "examples", name, "Pulumi."+name+"-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*", "Pulumi.*.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		orb := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		if _, err := Parse(orb, raw); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// Each case breaks an example in one way (or several); exactly the listed paths must be reported.
func TestOrbiterValidationNamesEveryWrongField(t *testing.T) {
	const g = "config.orbos:orbiter.providers.gce"
	const s = "config.orbos:orbiter.providers.static"
	const lb = "config.orbos:orbiter.loadBalancing"
	const k = "config.orbos:orbiter.kubernetes"
	cases := []struct {
		example, name, old, new string
		want                    []string
	}{
		{"gce", "bad project", "project: acme-orb-demo", "project: Acme", []string{g + ".project"}},
		{"gce", "bad region", "region: europe-west1", "region: europe", []string{g + ".region", g + ".zones[0]", g + ".zones[1]", g + ".zones[2]"}},
		{"gce", "zone of another region", "europe-west1-d]", "us-east1-b]", []string{g + ".zones[2]"}},
		{"gce", "no zones", "zones: [europe-west1-b, europe-west1-c, europe-west1-d]", "zones: []", []string{g + ".zones"}},
		{"gce", "bad subnet", "cidr: 10.10.0.0/20", "cidr: 10.10.0.0", []string{g + ".cidr"}},
		{"gce", "machine type and minCPU", "machineType: e2-standard-4", "machineType: e2-standard-4\n            minCPU: 4", []string{g + ".pools.control.machineType"}},
		{"gce", "odd minCPU", "minCPU: 4", "minCPU: 3", []string{g + ".pools.workers.minCPU"}},
		{"gce", "too much memory", "minMemoryGB: 16", "minMemoryGB: 64", []string{g + ".pools.workers.minMemoryGB"}},
		{"gce", "bad disk type", "diskType: pd-ssd", "diskType: nvme", []string{g + ".pools.control.diskType"}},
		{"gce", "small disk", "diskSizeGB: 50", "diskSizeGB: 5", []string{g + ".pools.control.diskSizeGB"}},
		{"gce", "negative count", "count: 2", "count: -1", []string{g + ".pools.spot.count"}},
		{"gce", "reserved label", "team: platform", "orb: other", []string{g + ".pools.workers.labels.orb"}},
		{"gce", "bad label", "team: platform", "Team: Platform", []string{g + ".pools.workers.labels.Team"}},
		{"gce", "unknown pool field", "spot: true", "spot: true\n            preemptible: true", []string{g + ".pools.spot.preemptible"}},
		{"gce", "two providers", "    loadBalancing:", "      static: {pools: {}}\n    loadBalancing:", []string{"config.orbos:orbiter.providers", lb + ".vips[0].ip"}},
		{"gce", "unknown control-plane pool", "controlPlane: {pool: control, nodes: 3}", "controlPlane: {pool: masters, nodes: 3}",
			[]string{k + ".controlPlane.pool", lb + ".vips[0].transports[0].backendPools"}},
		{"gce", "even control planes", "nodes: 3}", "nodes: 2}", []string{k + ".controlPlane.nodes"}},
		{"gce", "more control planes than machines", "nodes: 3}", "nodes: 5}", []string{k + ".controlPlane.nodes"}},
		{"gce", "no control plane", "      controlPlane: {pool: control, nodes: 3}\n", "", []string{k + ".controlPlane"}},
		{"gce", "unknown worker pool", "- pool: workers\n", "- pool: nodes\n", []string{k + ".workers[0].pool"}},
		{"gce", "worker pool twice", "- pool: spot\n", "- pool: workers\n", []string{k + ".workers[1].pool"}},
		{"gce", "bad taint effect", "effect: NoSchedule", "effect: Never", []string{k + ".workers[1].taints[0].effect"}},
		{"gce", "bad CNI", "cni: calico", "cni: flannel", []string{k + ".networking.cni"}},
		{"gce", "overlapping CIDRs", "serviceCIDR: 100.126.0.0/16", "serviceCIDR: 100.64.128.0/20", []string{k + ".networking.serviceCIDR"}},
		{"gce", "bad pod CIDR", "podCIDR: 100.64.0.0/16", "podCIDR: everything", []string{k + ".networking.podCIDR"}},
		{"gce", "bad DNS domain", "dnsDomain: cluster.local", "dnsDomain: Cluster_Local", []string{k + ".networking.dnsDomain"}},
		{"gce", "bad firewall range", "ssh: [203.0.113.0/24]", "ssh: [203.0.113.0/33]", []string{"config.orbos:orbiter.firewall.ssh[0]"}},
		{"gce", "bad whitelist", "backendPools: [workers, spot]\n            - name: http", "backendPools: [workers, spot]\n              whitelist: [nowhere]\n            - name: http",
			[]string{lb + ".vips[0].transports[1].whitelist[0]"}},
		{"gce", "no kubeapi", "name: kubeapi", "name: api", []string{lb}},
		{"gce", "kubeapi to workers", "backendPools: [control]", "backendPools: [workers]", []string{lb + ".vips[0].transports[0].backendPools"}},
		{"gce", "port translation on GCE", "backendPort: 443", "backendPort: 30443", []string{lb + ".vips[0].transports[1].backendPort"}},
		{"gce", "proxy protocol on GCE", "backendPort: 443\n", "backendPort: 443\n              proxyProtocol: true\n", []string{lb + ".vips[0].transports[1].proxyProtocol"}},
		{"gce", "duplicate transport", "name: http\n", "name: https\n", []string{lb + ".vips[0].transports[2].name"}},
		{"gce", "duplicate port", "frontendPort: 80\n              backendPort: 80", "frontendPort: 443\n              backendPort: 443", []string{lb + ".vips[0].transports[2].frontendPort"}},
		{"gce", "port out of range", "frontendPort: 80\n              backendPort: 80", "frontendPort: 70000\n              backendPort: 70000",
			[]string{lb + ".vips[0].transports[2].frontendPort", lb + ".vips[0].transports[2].backendPort", lb + ".vips[0].transports[2].healthCheck.port"}},
		{"gce", "bad health check", "{protocol: https, path: /healthz}", "{protocol: grpc}", []string{lb + ".vips[0].transports[0].healthCheck.protocol"}},
		{"gce", "http check without path", "{protocol: https, path: /healthz}", "{protocol: http}", []string{lb + ".vips[0].transports[0].healthCheck.path"}},
		{"gce", "bad interval", "{protocol: https, path: /healthz}", "{protocol: https, path: /healthz, intervalSeconds: 900}",
			[]string{lb + ".vips[0].transports[0].healthCheck.intervalSeconds"}},
		{"gce", "bad VIP name", "- name: default", "- name: Default", []string{lb + ".vips[0].name"}},
		{"static", "static VIP without IP", "          ip: 192.168.10.100\n", "", []string{lb + ".vips[0].ip"}},
		{"static", "bad VIP IP", "ip: 192.168.10.100", "ip: 192.168.10.300", []string{lb + ".vips[0].ip"}},
		{"static", "duplicate id", "{id: w-2,", "{id: w-1,", []string{s + ".pools.workers[1].id"}},
		{"static", "duplicate address", "address: 192.168.10.22", "address: 192.168.10.21", []string{s + ".pools.workers[1].address"}},
		{"static", "bad address", "address: 192.168.10.22", "address: w-2.local", []string{s + ".pools.workers[1].address"}},
		{"static", "bad port", "sshPort: 2222}\n            - {id: w-2", "sshPort: 0}\n            - {id: w-2", nil}, // 0 means the default, 22
		{"static", "huge port", "sshPort: 2222}\n            - {id: w-2", "sshPort: 99999}\n            - {id: w-2", []string{s + ".pools.workers[0].sshPort"}},
		{"static", "missing id", "{id: lb-2, ", "{", []string{s + ".pools.lb[1].id"}},
		{"static", "a retired spare", "{id: cp-2, address: 192.168.10.12, sshUser: orbos}", "{id: cp-2, address: 192.168.10.12, retired: true}", nil},
		{"static", "too few usable control planes", "controlPlane: {pool: control, nodes: 1}", "controlPlane: {pool: control, nodes: 3}", []string{k + ".controlPlane.nodes"}},
		{"static", "a retired control plane replaced by the next", "{id: cp-1, address: 192.168.10.11, sshUser: orbos}", "{id: cp-1, address: 192.168.10.11, retired: true}\n            - {id: cp-3, address: 192.168.10.13, retired: true}", nil},
	}
	for _, c := range cases {
		t.Run(c.example+"/"+c.name, func(t *testing.T) {
			src := readExample(t, c.example)
			if !strings.Contains(src, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			_, err := Parse(c.example+"-demo", []byte(strings.Replace(src, c.old, c.new, 1)))
			if len(c.want) == 0 {
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
			for _, p := range c.want {
				if !got[p] {
					t.Errorf("no error at %s; got %v", p, ve)
				}
			}
			if len(ve.Errors) != len(c.want) {
				t.Errorf("got %d errors, want %d: %v", len(ve.Errors), len(c.want), ve)
			}
		})
	}
}

func TestJSONSchemaDescribesEveryField(t *testing.T) {
	s := JSONSchema()
	cfg := s["properties"].(map[string]any)["config"].(map[string]any)
	orbiter := cfg["properties"].(map[string]any)[KeyOrbiter].(map[string]any)
	if req := orbiter["required"].([]string); strings.Join(req, ",") != "apiVersion,kubernetes" {
		t.Errorf("orbiter required %v", req)
	}
	if orbiter["additionalProperties"] != false {
		t.Error("unknown fields are allowed")
	}
	gce := orbiter["properties"].(map[string]any)["providers"].(map[string]any)["properties"].(map[string]any)["gce"].(map[string]any)
	pool := gce["properties"].(map[string]any)["pools"].(map[string]any)["additionalProperties"].(map[string]any)
	count := pool["properties"].(map[string]any)["count"].(map[string]any)
	if count["type"] != "integer" || count["description"] == nil {
		t.Errorf("pools.*.count %v", count)
	}
	kc := cfg["properties"].(map[string]any)[KeyKubeconfig].(map[string]any)
	if kc["required"].([]string)[0] != "secure" {
		t.Errorf("kubeconfig schema %v", kc)
	}
}

// A load balancer sends API requests only to API servers that are ready (a control plane that has
// just joined denies even the admin until its RBAC caches synced): the kubeapi transport's default
// check is https /readyz; other transports default to a TCP check; a check the spec gives stays.
func TestKubeAPIHealthCheckDefaultsToReadyz(t *testing.T) {
	src := readExample(t, "static")
	src = strings.Replace(src, "              healthCheck: {protocol: https, path: /readyz}\n", "", 1)
	spec, err := Parse("static-demo", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ts := spec.File.Config.Orbiter.LoadBalancing.VIPs[0].Transports
	if hc := ts[0].HealthCheck; ts[0].Name != "kubeapi" || hc.Protocol != "https" || hc.Path != "/readyz" || hc.Port != 6443 {
		t.Errorf("kubeapi's default check: %+v", hc)
	}
	if hc := ts[1].HealthCheck; hc.Protocol != "tcp" || hc.Path != "" {
		t.Errorf("https's default check: %+v", hc)
	}
	spec, err = Parse("static-demo", []byte(strings.Replace(readExample(t, "static"), "path: /readyz}", "path: /livez}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if hc := spec.File.Config.Orbiter.LoadBalancing.VIPs[0].Transports[0].HealthCheck; hc.Path != "/livez" {
		t.Errorf("the spec's own check was replaced: %+v", hc)
	}
}
