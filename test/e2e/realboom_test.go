package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/test/testenv"
)

// greeterImage is the stand-in gateway's image (test/testenv/greeter), built once per test binary
// in TestMain's directory and pushed to each real cluster's registry.
var greeterImage = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return testenv.BuildGreeterImage(ctx, filepath.Join(filepath.Dir(orbctlBin), "greeter"))
})

const (
	gatewayNamespace = "envoy-gateway-system" // the catalog's namespace of the gateway tool
	gatewayPods      = "app.kubernetes.io/instance=gateway"
)

// getGatewayCRDs gets the Gateway API's CRDs that the stand-in chart brings, as Envoy Gateway's does.
var getGatewayCRDs = []string{"get", "crd", "gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io"}

// gatewayAnswer is what the stand-in's server says: the chart's greeting value, the pod, the chart.
var gatewayAnswer = regexp.MustCompile(`^(.*) from (gateway-[a-z0-9]+-[a-z0-9]+) \(gateway-standin 0\.1\.0\)\n$`)

// boomGateway runs BOOM's gateway tool on the real cluster: the gateway path of a cluster orbos
// made, with a local chart standing in for Envoy Gateway's (which cannot be built here) whose
// server image was built by this test binary and comes from the ORB-wide image mirror
// (orbos:boom.imageRegistry, the cluster's registry). The tool is a Helm release (the gateway's
// profile: its real chart has hooks) with the profile's defaults: 2 replicas and a
// PodDisruptionBudget. On a cluster with nodes the engine waits for the pods, so they are Ready when
// up returns; its Service answers on a node, by ClusterIP and by NodePort, with the spec's greeting;
// the status reads the release and the rollout back from the cluster; a new greeting rolls out new
// pods; the tool turned off leaves no pod nor Service. An HTTPRoute would need a Gateway
// implementation (Envoy's data plane) to answer, which cannot run here: the Service is what answers.
func (k *realORB) boomGateway() {
	t := k.t
	t.Helper()
	start := time.Now()
	tarball, err := greeterImage()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := k.env.registry.Push(ctx, tarball, k.env.registry.Ref(testenv.GreeterRef)); err != nil {
		t.Fatal(err)
	}
	k.pushChart("gateway-standin", "boom: the gateway from a local chart", func(s string) string {
		s = strings.Replace(s, "    tools:\n", "    imageRegistry: "+k.env.registry.Host+"\n    tools:\n", 1)
		return strings.Replace(s, "      gateway:\n        enabled: false\n", `      gateway:
        enabled: true
        chart: {repository: charts/gateway-standin, name: gateway-standin, version: 0.1.0}
        values: {greeting: hello from the ORB}
`, 1)
	})
	up := k.mustRun("up")
	if strings.Contains(up.stderr, "no nodes") {
		t.Fatalf("up skipped waiting for the tool's pods on a cluster with nodes:\n%s", up.stderr)
	}
	// No waiting here: the engine waited for the rollout before up returned.
	first := k.gatewayPods(2, nil)
	k.gatewayAnswers(first, "hello from the ORB")
	k.gatewayStatus()
	// The chart's CRDs (the Gateway API's, as Envoy Gateway's chart brings them) came in their own step.
	k.mustKubectl(getGatewayCRDs...)

	// A new greeting: new pods, each answering with it.
	k.pushSpec("boom: the gateway greets in French", func(s string) string {
		return strings.Replace(s, "{greeting: hello from the ORB}", "{greeting: bonjour}", 1)
	})
	// The state now holds the release, whose provider keeps its inputs as one secret: its names
	// must not be masked as secrets in the progress or the status.
	if r := k.mustRun("up"); !strings.Contains(r.stderr, "Release gateway") {
		t.Errorf("up does not name the release it updates:\n%s", r.stderr)
	}
	second := k.gatewayPods(2, first)
	k.gatewayAnswers(second, "bonjour")
	k.gatewayStatus()

	// Turned off: no pod, no Service.
	k.pushSpec("boom: the gateway off", func(s string) string {
		return strings.Replace(s, "      gateway:\n        enabled: true\n", "      gateway:\n        enabled: false\n", 1)
	})
	k.mustRun("up")
	var left string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if left, err = k.kubectl("-n", gatewayNamespace, "get", "pods,services", "-l", gatewayPods, "-o", "name"); err == nil && strings.TrimSpace(left) == "" {
			break
		}
	}
	if err != nil || strings.TrimSpace(left) != "" {
		t.Fatalf("the gateway turned off left %q (%v)", left, err)
	}
	if _, err := k.kubectl(getGatewayCRDs...); err != nil {
		t.Errorf("the gateway's CRDs went with it: %v", err)
	}
	if st := k.status(); len(st.Tools) != 0 {
		t.Errorf("status/%s.yaml still lists %+v", k.name, st.Tools)
	}
	t.Logf("BOOM's gateway on the real cluster (on, a value rolled out, off) took %.0fs", time.Since(start).Seconds())
}

type gatewayPod struct{ name, ip, node string }

// gatewayPods returns the gateway's pods, which must be n, all Running and Ready, none of them in
// old (the pods before a rollout); pods on their way out are not counted.
func (k *realORB) gatewayPods(n int, old []gatewayPod) []gatewayPod {
	t := k.t
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Name              string
				DeletionTimestamp *string
			}
			Spec   struct{ NodeName string }
			Status struct {
				Phase      string
				PodIP      string
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(k.mustKubectl("-n", gatewayNamespace, "get", "pods", "-l", gatewayPods, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	var pods []gatewayPod
	var problems []string
	for _, p := range list.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || (c.Type == "Ready" && c.Status == "True")
		}
		if p.Status.Phase != "Running" || !ready {
			problems = append(problems, fmt.Sprintf("%s is %s, ready %t", p.Metadata.Name, p.Status.Phase, ready))
		}
		for _, o := range old {
			if o.name == p.Metadata.Name {
				problems = append(problems, p.Metadata.Name+" was not replaced")
			}
		}
		pods = append(pods, gatewayPod{p.Metadata.Name, p.Status.PodIP, p.Spec.NodeName})
	}
	if len(pods) != n || len(problems) > 0 {
		all, _ := k.kubectl("get", "pods", "-A", "-o", "wide")
		events, _ := k.kubectl("-n", gatewayNamespace, "get", "events")
		t.Fatalf("the gateway's pods after up: %d, want %d: %v\n%s\n%s", len(pods), n, problems, all, events)
	}
	return pods
}

// gatewayAnswers asks, from the control-plane node (where no gateway pod runs: the worker's pods
// are reached across nodes), each pod and the gateway's Service by ClusterIP and by NodePort on the
// worker, and wants every answer to greet with greeting from one of pods.
func (k *realORB) gatewayAnswers(pods []gatewayPod, greeting string) {
	t := k.t
	t.Helper()
	svc := strings.Fields(k.mustKubectl("-n", gatewayNamespace, "get", "service", "gateway", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"))
	if len(svc) != 2 {
		t.Fatalf("the gateway's Service: %v", svc)
	}
	// Each pod answers for itself, the Service for any of them.
	all := map[string]bool{}
	targets := map[string]map[string]bool{}
	for _, p := range pods {
		all[p.name] = true
		targets["http://"+p.ip+":8080/"] = map[string]bool{p.name: true}
	}
	targets["http://"+svc[0]+"/"] = all
	targets["http://"+k.machines["w-1"].Address+":"+svc[1]+"/"] = all
	cp := k.machines["cp-1"]
	for url, from := range targets {
		// cp-1's kube-proxy may not have synced the new endpoints yet when up returns, and
		// pods on their way out may still answer for a moment: ask again, a bounded number of times.
		var out string
		var err error
		answered := func() bool {
			m := gatewayAnswer.FindStringSubmatch(out)
			return err == nil && m != nil && m[1] == greeting && from[m[2]]
		}
		for i := 0; i < 30; i++ {
			if out, err = cp.Run("curl -sS --fail --max-time 5 " + url); answered() {
				break
			}
			time.Sleep(time.Second)
		}
		if !answered() {
			t.Fatalf("%s from cp-1 answered %q (%v), want %q from one of %v", url, out, err, greeting, slices.Sorted(maps.Keys(from)))
		}
	}
}

// gatewayStatus wants status/<orb>.yaml and orbctl status to show the gateway's release deployed and
// its one Deployment rolled out, as read from the cluster.
func (k *realORB) gatewayStatus() {
	t := k.t
	t.Helper()
	st := k.status()
	want := record.ToolStatus{Name: "gateway", Chart: "gateway-standin", Version: "0.1.0", Namespace: gatewayNamespace,
		Release: "deployed", Workloads: 1, Ready: 1, Status: "ready"}
	if len(st.Tools) != 1 || st.Tools[0] != want {
		t.Errorf("status/%s.yaml: the tools are %+v, want %+v", k.name, st.Tools, want)
	}
	line := regexp.MustCompile(`(?m)^\s+gateway\s+gateway-standin\s+0\.1\.0\s+` + gatewayNamespace + `\s+deployed\s+1/1\s+ready\s*$`)
	if r := k.mustRun("status"); !line.MatchString(r.stdout) {
		t.Errorf("orbctl status does not show the gateway ready:\n%s", r.stdout)
	}
}

// status reads status/<orb>.yaml as the last run pushed it.
func (k *realORB) status() record.Status {
	k.t.Helper()
	var st record.Status
	if err := yaml.Unmarshal([]byte(k.remoteFile("status/"+k.name+".yaml")), &st); err != nil {
		k.t.Fatalf("status/%s.yaml: %v", k.name, err)
	}
	return st
}
