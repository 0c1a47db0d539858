package gce

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/stacks"
)

type created struct {
	typ, name string
	inputs    resource.PropertyMap
}

// mocks records every resource and answers with its inputs plus the outputs GCE would compute.
type mocks struct {
	mu  sync.Mutex
	all []created
	ips int
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.all = append(m.all, created{args.TypeToken, args.Name, args.Inputs})
	out := args.Inputs.Copy()
	out["selfLink"] = resource.NewStringProperty("https://compute/" + args.Name)
	switch args.TypeToken {
	case "gcp:compute/instance:Instance":
		m.ips++
		nic := args.Inputs["networkInterfaces"].ArrayValue()[0].ObjectValue().Copy()
		nic["networkIp"] = resource.NewStringProperty(fmt.Sprintf("10.10.0.%d", m.ips))
		if acs, ok := nic["accessConfigs"]; ok && len(acs.ArrayValue()) > 0 {
			nic["accessConfigs"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(resource.PropertyMap{
				"natIp": resource.NewStringProperty(fmt.Sprintf("203.0.113.%d", m.ips))})})
		}
		out["networkInterfaces"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewObjectProperty(nic)})
	case "gcp:compute/address:Address":
		out["address"] = resource.NewStringProperty("198.51.100.7")
	}
	return args.Name + "-id", out, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

func (m *mocks) byType(typ string) map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, c := range m.all {
		if c.typ == typ {
			out[c.name] = c.inputs
		}
	}
	return out
}

func (m *mocks) names() []string {
	var out []string
	for _, c := range m.all {
		out = append(out, c.typ+" "+c.name)
	}
	sort.Strings(out)
	return out
}

type result struct {
	inventory []map[string]any
	keySecret bool
	vips      map[string]string
}

func exampleArgs(t *testing.T, controlPlanes int) Args {
	t.Helper()
	priv, pub, err := sshkey.Generate("orbos")
	if err != nil {
		t.Fatal(err)
	}
	return Args{
		Orb: "prod",
		GCE: stacks.GCE{
			Project: "acme-prod", Region: "europe-west1", Zones: []string{"europe-west1-b", "europe-west1-c", "europe-west1-d"},
			CIDR: "10.10.0.0/20",
			Pools: map[string]stacks.GCEPool{
				"control": {MachineType: "e2-standard-4", DiskType: "pd-ssd", DiskSizeGB: 50, Image: "ubuntu-os-cloud/ubuntu-2204-lts", Count: controlPlanes},
				"workers": {MinCPU: 4, MinMemoryGB: 16, DiskType: "pd-balanced", DiskSizeGB: 100, Image: "ubuntu-os-cloud/ubuntu-2204-lts", Count: 3,
					Labels: map[string]string{"team": "platform"}},
				"spot": {MachineType: "e2-standard-8", DiskType: "pd-standard", DiskSizeGB: 200, Image: "ubuntu-os-cloud/ubuntu-2204-lts", Count: 2, Spot: true},
			},
		},
		LoadBalancing: &stacks.LoadBalancing{VIPs: []stacks.VIP{{Name: "default", Transports: []stacks.Transport{
			{Name: "kubeapi", FrontendPort: 6443, BackendPort: 6443, BackendPools: []string{"control"},
				HealthCheck: &stacks.HealthCheck{Protocol: "https", Path: "/healthz", Port: 6443, IntervalSeconds: 5}},
			{Name: "https", FrontendPort: 443, BackendPort: 443, BackendPools: []string{"workers", "spot"},
				Whitelist: []string{"192.0.2.0/24"}, HealthCheck: &stacks.HealthCheck{Protocol: "tcp", Port: 443, IntervalSeconds: 10}},
			{Name: "http", FrontendPort: 80, BackendPort: 80, BackendPools: []string{"workers"},
				HealthCheck: &stacks.HealthCheck{Protocol: "http", Path: "/ready", Port: 8080, IntervalSeconds: 5}},
		}}}},
		Firewall:      &stacks.Firewall{SSH: []string{"203.0.113.0/24"}, KubeAPI: []string{"198.51.100.0/24"}, Ingress: []string{"0.0.0.0/0"}},
		Roles:         map[string]string{"control": "controlplane", "workers": "worker", "spot": "worker"},
		PodCIDR:       "100.64.0.0/16",
		SSHPublicKey:  pub,
		SSHPrivateKey: pulumi.String(priv),
	}
}

func run(t *testing.T, args Args) (*mocks, result) {
	t.Helper()
	m := &mocks{}
	var res result
	var wg sync.WaitGroup
	wg.Add(1)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		infra, err := New(ctx, "infra", args)
		if err != nil {
			return err
		}
		res.keySecret = pulumi.IsSecret(infra.SSHPrivateKey)
		pulumi.All(infra.Inventory, infra.VIPs).ApplyT(func(v []any) error {
			for _, e := range v[0].([]map[string]any) {
				res.inventory = append(res.inventory, e)
			}
			res.vips = v[1].(map[string]string)
			wg.Done()
			return nil
		})
		return nil
	}, pulumi.WithMocks("orbos", "prod", m))
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	return m, res
}

func str(p resource.PropertyMap, path ...string) string {
	v := resource.NewObjectProperty(p)
	for _, k := range path {
		switch {
		case v.IsObject():
			v = v.ObjectValue()[resource.PropertyKey(k)]
		case v.IsArray():
			var i int
			fmt.Sscan(k, &i)
			v = v.ArrayValue()[i]
		}
	}
	if v.IsString() {
		return v.StringValue()
	}
	if v.IsNumber() {
		return fmt.Sprint(v.NumberValue())
	}
	if v.IsBool() {
		return fmt.Sprint(v.BoolValue())
	}
	if v.IsArray() {
		var parts []string
		for _, e := range v.ArrayValue() {
			parts = append(parts, e.StringValue())
		}
		return strings.Join(parts, ",")
	}
	return ""
}

func TestOneControlPlaneWithTwoWorkerPools(t *testing.T) {
	args := exampleArgs(t, 1)
	m, res := run(t, args)

	instances := m.byType("gcp:compute/instance:Instance")
	if len(instances) != 6 {
		t.Fatalf("%d instances: %v", len(instances), m.names())
	}
	cp := instances["prod-control-0"]
	for path, want := range map[string]string{
		"machineType": "e2-standard-4", "zone": "europe-west1-b", "bootDisk.initializeParams.size": "50",
		"bootDisk.initializeParams.type": "pd-ssd", "bootDisk.initializeParams.image": "ubuntu-os-cloud/ubuntu-2204-lts",
		"labels.orb": "prod", "labels.pool": "control", "scheduling.automaticRestart": "true", "tags": "orb-prod,prod-control",
		"metadata.block-project-ssh-keys": "true",
	} {
		if got := str(cp, strings.Split(path, ".")...); got != want {
			t.Errorf("control-0 %s = %q, want %q", path, got, want)
		}
	}
	if keys := str(cp, "metadata", "ssh-keys"); keys != "orbos:"+args.SSHPublicKey || strings.Contains(keys, "PRIVATE") {
		t.Errorf("ssh-keys metadata %q", keys)
	}
	w := instances["prod-workers-2"]
	if got := str(w, "machineType"); got != "e2-custom-4-16384" {
		t.Errorf("custom machine type %q", got)
	}
	if got := str(w, "zone"); got != "europe-west1-d" {
		t.Errorf("workers-2 zone %q: machines are not spread over the zones", got)
	}
	if got := str(w, "labels", "team"); got != "platform" {
		t.Errorf("pool label %q", got)
	}
	spot := instances["prod-spot-1"]
	if str(spot, "scheduling", "preemptible") != "true" || str(spot, "scheduling", "provisioningModel") != "SPOT" ||
		str(spot, "bootDisk", "initializeParams", "size") != "200" {
		t.Errorf("spot machine %v", spot)
	}

	fw := m.byType("gcp:compute/firewall:Firewall")
	for name, want := range map[string][3]string{
		"prod-internal":               {"10.10.0.0/20,100.64.0.0/16", "all", ""},
		"prod-ssh":                    {"203.0.113.0/24", "tcp", "22"},
		"prod-default-kubeapi":        {"198.51.100.0/24", "tcp", "6443"},
		"prod-default-https":          {"192.0.2.0/24", "tcp", "443"},
		"prod-default-http":           {"0.0.0.0/0", "tcp", "80"},
		"prod-default-http-health":    {"35.191.0.0/16,209.85.152.0/22,209.85.204.0/22", "tcp", "8080"},
		"prod-default-kubeapi-health": {"35.191.0.0/16,209.85.152.0/22,209.85.204.0/22", "tcp", "6443"},
	} {
		r, ok := fw[name]
		if !ok {
			t.Errorf("no firewall rule %s; have %v", name, m.names())
			continue
		}
		if got := str(r, "sourceRanges"); got != want[0] {
			t.Errorf("%s sources %q, want %q", name, got, want[0])
		}
		if got := str(r, "allows", "0", "protocol"); got != want[1] {
			t.Errorf("%s protocol %q", name, got)
		}
		if got := str(r, "allows", "0", "ports"); got != want[2] {
			t.Errorf("%s ports %q, want %q", name, got, want[2])
		}
	}
	if got := str(fw["prod-default-kubeapi"], "targetTags"); got != "prod-control" {
		t.Errorf("kubeapi reaches %q, want only the control plane", got)
	}
	for name, r := range fw {
		if name != "prod-default-http" && name != "prod-default-http-health" && strings.Contains(str(r, "sourceRanges"), "0.0.0.0/0") {
			t.Errorf("%s is open to the world", name)
		}
	}

	hc := m.byType("gcp:compute/regionHealthCheck:RegionHealthCheck")
	if k := hc["prod-default-kubeapi"]; str(k, "httpsHealthCheck", "requestPath") != "/healthz" || str(k, "httpsHealthCheck", "port") != "6443" {
		t.Errorf("kubeapi health check %v", k)
	}
	if h := hc["prod-default-https"]; str(h, "tcpHealthCheck", "port") != "443" || str(h, "checkIntervalSec") != "10" {
		t.Errorf("https health check %v", h)
	}
	fr := m.byType("gcp:compute/forwardingRule:ForwardingRule")
	if r := fr["prod-default-kubeapi"]; str(r, "portRange") != "6443" || str(r, "ipAddress") != "198.51.100.7" || str(r, "loadBalancingScheme") != "EXTERNAL" {
		t.Errorf("kubeapi forwarding rule %v", r)
	}
	bs := m.byType("gcp:compute/regionBackendService:RegionBackendService")
	if n := len(bs["prod-default-https"]["backends"].ArrayValue()); n != 5 {
		t.Errorf("https backends: %d instance groups, want 5 (workers in 3 zones, spot in 2)", n)
	}
	if net := m.byType("gcp:compute/network:Network")["prod"]; str(net, "autoCreateSubnetworks") != "false" || str(net, "project") != "acme-prod" {
		t.Errorf("network %v", net)
	}
	if a := m.byType("gcp:compute/address:Address")["prod-default"]; str(a, "addressType") != "EXTERNAL" || str(a, "region") != "europe-west1" {
		t.Errorf("VIP address %v", a)
	}
	if ig := m.byType("gcp:compute/instanceGroup:InstanceGroup")["prod-workers-europe-west1-c"]; str(ig, "instances") != "https://compute/prod-workers-1" {
		t.Errorf("instance group of workers in zone c: %v", ig)
	}
	if nat := m.byType("gcp:compute/routerNat:RouterNat")["prod"]; str(nat, "sourceSubnetworkIpRangesToNat") != "ALL_SUBNETWORKS_ALL_IP_RANGES" {
		t.Errorf("NAT %v", nat)
	}
	if len(m.byType("gcp:compute/routerNat:RouterNat")) != 1 || str(m.byType("gcp:compute/subnetwork:Subnetwork")["prod"], "ipCidrRange") != "10.10.0.0/20" {
		t.Error("no NAT or wrong subnet")
	}

	if !res.keySecret {
		t.Error("the SSH private key output is not a secret")
	}
	if len(res.inventory) != 6 {
		t.Fatalf("inventory %v", res.inventory)
	}
	roles := map[string]int{}
	for _, e := range res.inventory {
		roles[e["role"].(string)]++
		if e["privateIP"] == "" || e["publicIP"] == nil {
			t.Errorf("inventory entry without addresses: %v", e)
		}
	}
	if roles["controlplane"] != 1 || roles["worker"] != 5 {
		t.Errorf("roles %v", roles)
	}
	if res.vips["default"] != "198.51.100.7" {
		t.Errorf("vips %v", res.vips)
	}
}

func TestThreeControlPlanesSpreadOverZones(t *testing.T) {
	m, res := run(t, exampleArgs(t, 3))
	zones := map[string]bool{}
	for name, in := range m.byType("gcp:compute/instance:Instance") {
		if strings.HasPrefix(name, "prod-control-") {
			zones[str(in, "zone")] = true
		}
	}
	if len(zones) != 3 {
		t.Errorf("three control planes in zones %v", zones)
	}
	if n := len(m.byType("gcp:compute/regionBackendService:RegionBackendService")["prod-default-kubeapi"]["backends"].ArrayValue()); n != 3 {
		t.Errorf("kubeapi backends %d, want one instance group per zone", n)
	}
	if len(res.inventory) != 8 {
		t.Errorf("inventory of %d", len(res.inventory))
	}
}

func TestScalingAPoolCreatesAndDeletesOnlyItsLastMachines(t *testing.T) {
	base := exampleArgs(t, 1)
	m3, _ := run(t, base)
	down := exampleArgs(t, 1)
	p := down.GCE.Pools["workers"]
	p.Count = 1
	down.GCE.Pools["workers"] = p
	m1, _ := run(t, down)
	up := exampleArgs(t, 1)
	p.Count = 5
	up.GCE.Pools["workers"] = p
	m5, _ := run(t, up)

	instances := func(m *mocks) map[string]bool {
		out := map[string]bool{}
		for name := range m.byType("gcp:compute/instance:Instance") {
			out[name] = true
		}
		return out
	}
	diff := func(a, b map[string]bool) []string {
		var out []string
		for k := range a {
			if !b[k] {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	if got := diff(instances(m3), instances(m1)); strings.Join(got, " ") != "prod-workers-1 prod-workers-2" {
		t.Errorf("scaling 3 -> 1 deletes %v", got)
	}
	if got := diff(instances(m1), instances(m3)); len(diff(instances(m1), instances(m3))) != 0 {
		t.Errorf("scaling down creates %v", got)
	}
	if got := diff(instances(m5), instances(m3)); strings.Join(got, " ") != "prod-workers-3 prod-workers-4" {
		t.Errorf("scaling 3 -> 5 creates %v", got)
	}
	// The load balancer follows: with one worker, only its zone's instance group serves https.
	if n := len(m1.byType("gcp:compute/regionBackendService:RegionBackendService")["prod-default-https"]["backends"].ArrayValue()); n != 3 {
		t.Errorf("https backends after scaling down: %d, want 3 (workers in 1 zone, spot in 2)", n)
	}
}
