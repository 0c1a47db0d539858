package zitadel

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/internal/chartref"
	"github.com/orbos/orbos/stacks"
)

// reference is the chart's values (testdata/zitadel-chart-VERSION.yaml) with its configmapConfig
// replaced by Zitadel's configuration keys (testdata/zitadel-config-vMAJOR.yaml), which the chart
// passes on as Zitadel's configuration file. A pin without its reference fails here.
func reference(t *testing.T, chart string, major int) (values map[string]any, config map[string]any) {
	t.Helper()
	v, err := chartref.Read(filepath.Join("testdata", "zitadel-chart-"+chart+".yaml"))
	if err != nil {
		t.Fatalf("no reference for the zitadel chart %s: %v", chart, err)
	}
	file := "zitadel-config-v4.yaml"
	if major < 3 {
		file = "zitadel-config-v2.yaml"
	}
	c, err := chartref.Read(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	values, config = v.(map[string]any), c.(map[string]any)
	values["zitadel"].(map[string]any)["configmapConfig"] = config
	return values, config
}

// envNames are the environment variables Zitadel maps onto its configuration: ZITADEL_ and the
// path of a key in capitals, joined by underscores.
func envNames(prefix string, config map[string]any, out map[string]bool) {
	for k, v := range config {
		name := prefix + "_" + strings.ToUpper(k)
		out[name] = true
		if m, ok := v.(map[string]any); ok {
			envNames(name, m, out)
		}
	}
}

// Every value orbos gives the zitadel chart is one the pinned chart reads, every key of Zitadel's
// configuration one Zitadel knows, and every environment variable names a key of it: with
// PostgreSQL on the default chart, and with CockroachDB on the v2 line's chart.
func TestValuesAreTheChartsAndZitadels(t *testing.T) {
	pg := spec()
	crdb := spec()
	crdb.Version, crdb.Chart, crdb.Database.Engine, crdb.Database.Backups = "v2.71.0", stacks.ZitadelV2Chart, stacks.EngineCockroachDB, nil
	for name, c := range map[string]struct {
		z  *stacks.Zitadel
		db *database.Database
	}{
		"postgres": {pg, &database.Database{Host: "zitadel-db-rw.zitadel.svc", Port: 5432, SSLMode: "require", Name: "zitadel",
			UserSecret: "zitadel-db-owner", AdminSecret: "zitadel-db-superuser"}},
		"cockroachdb": {crdb, &database.Database{Host: "zitadel-db-cockroachdb-public.zitadel.svc", Port: 26257, SSLMode: "verify-full", Name: "zitadel",
			CASecret: "zitadel-db-root", AdminCertSecret: "zitadel-db-root", UserCertSecret: "zitadel-db-zitadel"}},
	} {
		t.Run(name, func(t *testing.T) {
			ref, config := reference(t, c.z.Chart.Version, c.z.Major())
			values := Values(c.z, c.db)
			for _, bad := range chartref.UnknownValues(values, ref) {
				t.Errorf("zitadel chart %s: %s", c.z.Chart.Version, bad)
			}
			known := map[string]bool{}
			envNames("ZITADEL", config, known)
			env, _ := values["env"].([]any)
			for _, e := range env {
				if n := e.(map[string]any)["name"].(string); !known[n] {
					t.Errorf("%s names no key of Zitadel's configuration", n)
				}
			}
			if name == "postgres" && len(env) < 4 {
				t.Errorf("env %v", env)
			}
		})
	}
}

// The check above fails on what it should: a misspelt chart value, a Zitadel key that does not
// exist, and an environment variable of neither.
func TestValuesReferenceCatchesMistakes(t *testing.T) {
	ref, config := reference(t, stacks.ZitadelChart.Version, 4)
	values := Values(spec(), &database.Database{Host: "h", Port: 5432, SSLMode: "require", UserSecret: "u", AdminSecret: "a"})
	values["replicas"] = 3
	values["zitadel"].(map[string]any)["masterKeySecretName"] = "x"
	values["zitadel"].(map[string]any)["configmapConfig"].(map[string]any)["Database"].(map[string]any)["Postgres"].(map[string]any)["SSLMode"] = "require"
	got := strings.Join(chartref.UnknownValues(values, ref), "\n")
	for _, want := range []string{"replicas: not a value", "zitadel.masterKeySecretName: not a value", "zitadel.configmapConfig.Database.Postgres.SSLMode: not a value"} {
		if !strings.Contains(got, want) {
			t.Errorf("not caught: %s\n%s", want, got)
		}
	}
	known := map[string]bool{}
	envNames("ZITADEL", config, known)
	if known["ZITADEL_DATABASE_POSTGRES_USER_PASS"] || !known["ZITADEL_DATABASE_POSTGRES_USER_PASSWORD"] {
		t.Error("environment names are not derived from the configuration's paths")
	}
}

// On PostgreSQL, CloudNativePG made the database and its owner: the chart's init Job runs only
// Zitadel's own step. On CockroachDB Zitadel's init makes both as root. The setup Job (schema
// migrations, on every install and upgrade) has no switch in the chart and is never turned off.
func TestInitJobFitsTheEngine(t *testing.T) {
	pg := Values(spec(), &database.Database{Host: "h", Port: 5432, SSLMode: "require", UserSecret: "u", AdminSecret: "a"})
	if j, _ := pg["initJob"].(map[string]any); j["command"] != "zitadel" || j["enabled"] == false {
		t.Errorf("postgres init job %v", pg["initJob"])
	}
	z := spec()
	z.Version, z.Chart, z.Database.Engine = "v2.71.0", stacks.ZitadelV2Chart, stacks.EngineCockroachDB
	if crdb := Values(z, &database.Database{CASecret: "ca", UserCertSecret: "u", AdminCertSecret: "a"}); crdb["initJob"] != nil {
		t.Errorf("cockroachdb init job %v", crdb["initJob"])
	}
	if _, ok := pg["setupJob"]; ok {
		t.Errorf("setup job values %v", pg["setupJob"])
	}
}

// The replicas spread over nodes by the labels the chart gives Zitadel's own pods (its
// templates' zitadel.start.selectorLabels): name, instance and component start. The name alone
// would also count the init and setup Jobs' pods.
func TestAntiAffinitySelectsZitadelsPods(t *testing.T) {
	v := Values(spec(), &database.Database{Host: "h", Port: 5432, SSLMode: "require", UserSecret: "u", AdminSecret: "a"})
	terms := v["affinity"].(map[string]any)["podAntiAffinity"].(map[string]any)["preferredDuringSchedulingIgnoredDuringExecution"].([]any)
	labels := terms[0].(map[string]any)["podAffinityTerm"].(map[string]any)["labelSelector"].(map[string]any)["matchLabels"].(map[string]any)
	want := map[string]any{"app.kubernetes.io/name": "zitadel", "app.kubernetes.io/instance": "zitadel", "app.kubernetes.io/component": "start"}
	if len(labels) != len(want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	for k, w := range want {
		if labels[k] != w {
			t.Errorf("label %s = %v, want %v", k, labels[k], w)
		}
	}
}

// The login UI's route only where the chart deploys it: chart 9 on, not the v2 line's 8.13.4,
// whose HTTPRoute would point /ui/v2/login at a service that does not exist.
func TestRouteToTheLoginUIOnlyWithIt(t *testing.T) {
	for version, want := range map[string]int{stacks.ZitadelChart.Version: 2, stacks.ZitadelV2Chart.Version: 1} {
		rules := Route("id.example.com", "gw", version)["rules"].([]any)
		if len(rules) != want {
			t.Errorf("chart %s: %d rules, want %d", version, len(rules), want)
		}
		last := rules[len(rules)-1].(map[string]any)["backendRefs"].([]any)[0].(map[string]any)
		if last["name"] != "zitadel" || last["port"] != 8080 {
			t.Errorf("chart %s: last backend %v", version, last)
		}
	}
	ref, _ := reference(t, stacks.ZitadelChart.Version, 4)
	login := ref["login"].(map[string]any)
	if login["enabled"] != true {
		t.Errorf("the chart's login UI is not on by default: %v", login)
	}
	// The login UI has Zitadel's replicas and PDB (the chart's default is one replica, no PDB).
	v := Values(spec(), &database.Database{Host: "h", Port: 5432, SSLMode: "require", UserSecret: "u", AdminSecret: "a"})
	l := v["login"].(map[string]any)
	if l["replicaCount"] != 3 || l["pdb"].(map[string]any)["enabled"] != true {
		t.Errorf("login values %v", l)
	}
	z := spec()
	z.Chart = stacks.ZitadelV2Chart
	if v := Values(z, &database.Database{CASecret: "c"}); v["login"] != nil {
		t.Errorf("login values for the v2 line's chart: %v", v["login"])
	}
}
