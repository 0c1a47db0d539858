package staticlb

import (
	"reflect"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/static"
	"github.com/orbos/orbos/host"
	"github.com/orbos/orbos/stacks"
)

func TestConfigs(t *testing.T) {
	inv := []static.Machine{
		{ID: "cp-1", Pool: "control", Role: "controlplane", Address: "10.0.0.1"},
		{ID: "cp-2", Pool: "control", Role: "spare", Address: "10.0.0.2"},
		{ID: "w-1", Pool: "workers", Role: "worker", Address: "10.0.0.3"},
		{ID: "lb-1", Pool: "lb", Role: "machine", Address: "10.0.0.5"},
		{ID: "lb-2", Pool: "lb", Role: "machine", Address: "10.0.0.6"},
	}
	a := Args{Orb: "prod", Pool: "lb", Inventory: inv, Interfaces: map[string]string{"lb-1": "ens4"}, PrivateKey: "KEY",
		LoadBalancing: stacks.LoadBalancing{VIPs: []stacks.VIP{{Name: "default", IP: "10.0.0.100", Transports: []stacks.Transport{
			{Name: "kubeapi", FrontendPort: 6443, BackendPort: 6443, BackendPools: []string{"control"}, HealthCheck: &stacks.HealthCheck{Protocol: "https", Path: "/healthz", Port: 6443, IntervalSeconds: 5}},
			{Name: "https", FrontendPort: 443, BackendPort: 30443, BackendPools: []string{"workers"}, HealthCheck: &stacks.HealthCheck{Protocol: "tcp", Port: 30443, IntervalSeconds: 5}},
		}}}}}
	lbs := Configs(a)
	if len(lbs) != 2 {
		t.Fatalf("%d load balancers", len(lbs))
	}
	if lbs[0].Machine != "lb-1" || lbs[0].Interface != "ens4" || lbs[1].Interface != "eth0" || lbs[0].Priority <= lbs[1].Priority {
		t.Fatalf("machines, interfaces or priorities: %+v", lbs)
	}
	if !reflect.DeepEqual(lbs[0].Peers, []string{"10.0.0.6"}) || !reflect.DeepEqual(lbs[1].Peers, []string{"10.0.0.5"}) {
		t.Fatalf("peers %v %v", lbs[0].Peers, lbs[1].Peers)
	}
	kubeapi := lbs[0].VIPs[0].Transports[0]
	if !reflect.DeepEqual(kubeapi.Backends, []host.LBBackend{{Name: "cp-1", Address: "10.0.0.1"}}) {
		t.Fatalf("kubeapi backends (a spare is no backend): %v", kubeapi.Backends)
	}
	if p := lbs[0].AuthPass; len(p) != 8 || p != lbs[1].AuthPass || p != Configs(a)[0].AuthPass {
		t.Fatalf("the VRRP password must be 8 characters, shared and stable: %q %q", p, lbs[1].AuthPass)
	}
	other := a
	other.PrivateKey = "OTHER"
	if Configs(other)[0].AuthPass == lbs[0].AuthPass {
		t.Fatal("the VRRP password does not depend on the ORB's key")
	}
	if id := lbs[0].VIPs[0].RouterID; id < 1 || id > 255 {
		t.Fatalf("router ID %d", id)
	}
	if cfg, err := host.KeepalivedConfig(lbs[0]); err != nil || !strings.Contains(cfg, "unicast_src_ip 10.0.0.5") || !strings.Contains(cfg, "10.0.0.100 dev ens4") {
		t.Fatalf("keepalived.conf: %v\n%s", err, cfg)
	}
}
