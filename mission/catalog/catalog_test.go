package catalog

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

func TestAdviseAndNext(t *testing.T) {
	c, err := Parse([]byte(`kubernetes:
  - {minor: v1.31, latest: v1.31.14, endOfLife: 2025-10-28}
  - {minor: v1.30, latest: v1.30.14, endOfLife: 2025-06-28}
  - {minor: v1.32, latest: v1.32.11, endOfLife: 2026-02-28}
`))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if a := c.Advise("v1.31.4", before); a.Patch != "v1.31.14" || a.Minor != "v1.32.11" || a.EndOfLife != "" {
		t.Fatalf("advice %+v", a)
	}
	if a := c.Advise("v1.31.4", time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)); a.EndOfLife != "2025-10-28" {
		t.Fatalf("end of life not seen: %+v", a)
	}
	if a := c.Advise("v1.32.11", before); a.Any() {
		t.Fatalf("the newest version has advice %+v", a)
	}
	// Never a skipped minor, never down.
	if got := c.Next("v1.30.2"); !slices.Equal(got, []string{"v1.30.2", "v1.30.14", "v1.31.14"}) {
		t.Fatalf("next %v", got)
	}
	if got := c.Next("v1.32.11"); !slices.Equal(got, []string{"v1.32.11"}) {
		t.Fatalf("next %v", got)
	}
}

func TestParseRefusesWrongEntries(t *testing.T) {
	for _, raw := range []string{
		`kubernetes: [{minor: v1.31, latest: 1.31.2, endOfLife: 2025-10-28}]`,
		`kubernetes: [{minor: v1.30, latest: v1.31.2, endOfLife: 2025-10-28}]`,
		`kubernetes: [{minor: v1.31, latest: v1.31.2, endOfLife: soon}]`,
	} {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("accepted %s", raw)
		}
	}
	if len(Embedded().Kubernetes) == 0 {
		t.Fatal("embedded catalog empty")
	}
}

// Enabled tools with a pinned chart older than the catalog's are updates; a tool the catalog does not
// list compares with orbos's own pin (never an update); the reconciler image's tag compares with orbos.
func TestAdviseSpecChartsAndOrbos(t *testing.T) {
	c, err := Parse([]byte(`
kubernetes: [{minor: v1.36, latest: v1.36.4, endOfLife: 2027-06-28}]
charts: [{tool: dashboards, latest: 99.0.0}, {tool: certificates, latest: v1.21.1}]
orbos: v0.3.0
`))
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.Replace(missiontest.Spec("v1.36.4", 2, true), "      metrics:\n        enabled: true\n", `      metrics: {enabled: true}
      dashboards: {enabled: true}
      certificates: {enabled: true, chart: {version: v1.20.0}}
      logs: {enabled: false}
  orbos:reconciler:
    apiVersion: orbos.io/v1alpha1
    image: registry.example.com:5000/orbos/orbctl:v0.2.1
`, 1)
	sp, err := stacks.Parse("o", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	a := c.AdviseSpec(sp, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	want := []ChartUpdate{{"certificates", "v1.20.0", "v1.21.1"}, {"dashboards", stacks.BoomCatalog["dashboards"].Chart.Version, "99.0.0"}}
	if !slices.Equal(a.Charts, want) || a.Orbos != "v0.3.0" || a.Patch != "" {
		t.Fatalf("advice %+v", a)
	}
	if got := a.Summary(); got != "certificates v1.20.0 → v1.21.1, dashboards "+want[1].Current+" → 99.0.0, orbos v0.3.0" {
		t.Fatalf("summary %q", got)
	}
	if _, err := Parse([]byte("charts: [{tool: nope, latest: 1.0.0}]")); err == nil || !strings.Contains(err.Error(), "charts[0].tool") {
		t.Fatalf("an unknown tool: %v", err)
	}
	if _, err := Parse([]byte("orbos: latest")); err == nil || !strings.Contains(err.Error(), "catalog orbos") {
		t.Fatalf("a wrong orbos version: %v", err)
	}
}

// The embedded catalog is consistent: the minors are consecutive and each ends after the one before.
func TestEmbedded(t *testing.T) {
	c := Embedded()
	for i := 1; i < len(c.Kubernetes); i++ {
		prev, cur := c.Kubernetes[i-1], c.Kubernetes[i]
		if prev.EndOfLife >= cur.EndOfLife {
			t.Errorf("%s ends %s, not after %s's %s", cur.Minor, cur.EndOfLife, prev.Minor, prev.EndOfLife)
		}
	}
	if len(c.Charts) != 0 || c.Orbos != "" {
		t.Fatal("the embedded catalog invents chart or orbos updates")
	}
}

// A URL source is fetched (here from a loopback server) and refreshed; a failed fetch keeps the last
// good catalog; a file source is read again on every refresh.
func TestSourceAndRefresh(t *testing.T) {
	body := "kubernetes: [{minor: v1.36, latest: v1.36.4, endOfLife: 2027-06-28}]\n"
	status := http.StatusOK
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	src := Source{URL: srv.URL + "/catalog.yaml"}
	c, err := src.Load(context.Background())
	if err != nil || len(c.Kubernetes) != 1 || c.Kubernetes[0].Latest != "v1.36.4" {
		t.Fatalf("%+v %v", c, err)
	}
	mu.Lock()
	status = http.StatusNotFound
	mu.Unlock()
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("a 404: %v", err)
	}
	mu.Lock()
	status, body = http.StatusOK, "kubernetes: [{minor: v1.36, latest: nope, endOfLife: 2027-06-28}]\n"
	mu.Unlock()
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "kubernetes[0].latest") {
		t.Fatalf("an invalid catalog: %v", err)
	}

	file := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(file, []byte("kubernetes: []\norbos: v0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan *Catalog, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Refresh(ctx, Source{File: file}, time.Millisecond, func(c *Catalog) {
			if c.Orbos == "v0.2.0" {
				select {
				case got <- c:
				default:
				}
			}
		}, func(error) {})
	}()
	if err := os.WriteFile(file, []byte("kubernetes: []\norbos: v0.2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	<-got
	cancel()
	<-done
	if c, err := (Source{}).Load(context.Background()); err != nil || len(c.Kubernetes) == 0 {
		t.Fatalf("no source is the embedded catalog: %v", err)
	}
}
