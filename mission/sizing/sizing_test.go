package sizing

import (
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

func spec(t *testing.T, workers int, tools bool) *stacks.Spec {
	t.Helper()
	sp, err := stacks.Parse("o", []byte(missiontest.Spec(missiontest.Newest, workers, tools)))
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func status(control, workers int, unjoined int) *record.Status {
	st := &record.Status{}
	add := func(n int, role string, joined bool) {
		for range n {
			st.Nodes = append(st.Nodes, record.NodeStatus{Role: role, Joined: joined})
		}
	}
	add(1, "init", true)
	add(control-1, "controlplane", true)
	add(workers, "worker", true)
	add(unjoined, "worker", false)
	return st
}

func TestRecommend(t *testing.T) {
	// One control plane under three workers: propose three, with the control pool scaled to hold them.
	got := Recommend(spec(t, 3, false), status(1, 3, 0))
	if len(got) != 1 || got[0].Title != "3 control-plane nodes" || len(got[0].Fields) != 2 ||
		got[0].Fields[0] != (Field{"orbos:orbiter.kubernetes.controlPlane.nodes", 3}) || got[0].Fields[1] != (Field{"orbos:orbiter.providers.gce.pools.control.count", 3}) {
		t.Fatalf("control plane: %+v", got)
	}
	// BOOM's tools on one joined worker (a second one never joined): propose one more machine.
	got = Recommend(spec(t, 2, true), status(1, 1, 1))
	if len(got) != 1 || !strings.Contains(got[0].Reason, "1 BOOM tools run on 1 joined worker") || len(got[0].Fields) != 1 || got[0].Fields[0] != (Field{"orbos:orbiter.providers.gce.pools.workers.count", 3}) {
		t.Fatalf("workers: %+v", got)
	}
	// Nothing worth proposing: a small cluster without tools, or no status yet.
	if got := Recommend(spec(t, 1, false), status(1, 1, 0)); got != nil {
		t.Fatalf("small cluster: %+v", got)
	}
	if got := Recommend(spec(t, 3, true), nil); got != nil {
		t.Fatalf("no status: %+v", got)
	}
}
