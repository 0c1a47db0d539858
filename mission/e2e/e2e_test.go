// Package e2e drives MISSION in Debian's headless Chromium (chromedp): sign-in through a loopback
// OIDC issuer, the fleet page over fixture ORBs in real bare repositories, the timeline and a diff,
// an edit committed to the bare repository, a viewer without edit controls and a forged POST.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/auth/oidctest"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/mission/web"
	"github.com/orbos/orbos/stacks"
)

var screenshots = flag.String("screenshots", "", "directory the browser test writes its PNG screenshots to (default: a temporary one), e.g. ../../docs/images")

// Chromium is Debian's chromium package, which .ci/run installs (hack/tools.sh).
const Chromium = "/usr/bin/chromium"

type mission struct {
	url    string
	issuer *oidctest.Issuer
	bare   map[string]string
}

func startMission(t *testing.T) *mission {
	t.Helper()
	m := &mission{bare: map[string]string{}, issuer: oidctest.Start(t, "mission")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.url = "http://" + ln.Addr().String()
	cfg := &config.Config{DataDir: t.TempDir(), PublicURL: m.url, OIDC: &config.OIDC{Issuer: m.issuer.URL, ClientID: "mission", GroupsClaim: "groups"}}
	grants := []config.Grant{{Group: "platform", Role: config.RoleOperator}, {Group: "support", Role: config.RoleViewer}}
	for _, f := range []struct {
		name string
		kind missiontest.Kind
	}{{"prod-eu", missiontest.Healthy}, {"staging", missiontest.Outdated}, {"prod-us", missiontest.Failing}, {"edge", missiontest.Drifted}} {
		m.bare[f.name] = missiontest.Repo(t, f.name, f.kind)
		cfg.Orbs = append(cfg.Orbs, config.Orb{Name: f.name, URL: m.bare[f.name], Branch: "main", Grants: grants})
	}
	fl := fleet.New(cfg, catalog.Embedded(), func() time.Time { return missiontest.Clock })
	fl.Poll(context.Background())
	sessions := auth.NewSessions(false)
	oidc, err := auth.NewOIDC(context.Background(), cfg.OIDC, m.url+"/auth/callback", sessions)
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(cfg, fl, web.Options{Sessions: sessions, OIDC: oidc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return m
}

// browser starts Debian's Chromium, headless, with a fresh profile. A missing Chromium fails the
// test: CI installs it.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("Debian's chromium is required for MISSION's browser tests (apt-get install chromium; hack/tools.sh installs it): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1500, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser and must not carry a timeout (it would stop the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// Fields of the form generated from the schema, by the config key they edit.
const (
	workersCount     = "#f-orbos-orbiter-providers-gce-pools-workers-count"
	metricsNamespace = "#f-orbos-boom-tools-metrics-namespace"
)

// step bounds one step of the test: a page that never shows what is awaited fails it.
const step = time.Minute

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shot saves a full-page PNG screenshot as mission-<name>.png and checks that it is one.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	buf := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if _, err := png.Decode(bytes.NewReader(buf)); err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, "mission-"+name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, ctx context.Context, m *mission, c oidctest.Claims) {
	t.Helper()
	m.issuer.SignInAs(c)
	do(t, ctx, "sign in as "+c.Email,
		chromedp.Navigate(m.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#oidc")),
		chromedp.Click(chromedp.CSS("#oidc")),
		chromedp.WaitVisible(chromedp.CSS("#fleet")),
	)
}

func TestBrowser(t *testing.T) {
	m := startMission(t)
	ctx := browser(t)

	// An operator signs in through the issuer and sees the fleet, problems first.
	signIn(t, ctx, m, oidctest.Claims{Subject: "u-olga", Email: "olga@example.com", Name: "Olga Operator", Groups: []string{"platform"}})
	rows := value(t, ctx, "read the fleet", chromedp.AttributesAll(chromedp.CSSAll("#fleet tr.orb")))
	var order []string
	for _, r := range rows {
		order = append(order, r["data-orb"])
	}
	if got := strings.Join(order, ","); got != "prod-us,edge,staging,prod-eu" {
		t.Fatalf("fleet order %s, want the failing, drifted, outdated, healthy ORB", got)
	}
	shot(t, ctx, "fleet")
	do(t, ctx, "open the inbox", chromedp.Navigate(m.url+"/inbox"), chromedp.WaitVisible(chromedp.CSS("#inbox")),
		chromedp.WaitVisible(chromedp.Search(`//button[text()="Propose v1.36.4"]`)))
	shot(t, ctx, "inbox")
	do(t, ctx, "back to the fleet", chromedp.Navigate(m.url+"/"), chromedp.WaitVisible(chromedp.CSS("#fleet")))

	// The timeline of the failing ORB and the diff of the desired-state change in it.
	do(t, ctx, "open the timeline",
		chromedp.Click(chromedp.CSS(`a.orb-link[href="/orbs/prod-us"]`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")),
	)
	shot(t, ctx, "orb")
	do(t, ctx, "open a diff",
		chromedp.Click(chromedp.Search(`//a[contains(@class,"entry-link")][text()="scale workers to 3"]`)),
		chromedp.WaitVisible(chromedp.CSS("pre.diff")),
	)
	diff := value(t, ctx, "read the diff", chromedp.Text(chromedp.CSS("pre.diff")))
	if !strings.Contains(diff, "-            count: 2") || !strings.Contains(diff, "+            count: 3") {
		t.Fatalf("diff:\n%s", diff)
	}
	shot(t, ctx, "diff")

	// A pool size changed through the form: the diff first, then the commit into the bare repository.
	do(t, ctx, "edit the workers pool",
		chromedp.Navigate(m.url+"/orbs/prod-us"),
		chromedp.WaitVisible(chromedp.CSS(workersCount)),
		chromedp.SetValue(chromedp.CSS(workersCount), "4"),
		chromedp.Click(chromedp.CSS("#preview")),
		chromedp.WaitVisible(chromedp.CSS("#diff")),
	)
	preview := value(t, ctx, "read the preview", chromedp.Text(chromedp.CSS("#diff")))
	if !strings.Contains(preview, "-            count: 3") || !strings.Contains(preview, "+            count: 4") {
		t.Fatalf("preview:\n%s", preview)
	}
	shot(t, ctx, "edit")
	do(t, ctx, "commit", chromedp.Click(chromedp.CSS("#commit")), chromedp.WaitVisible(chromedp.CSS("#message")))
	if msg := value(t, ctx, "read the message", chromedp.Text(chromedp.CSS("#message"))); !strings.HasPrefix(msg, "Committed") {
		t.Fatalf("after commit: %s", msg)
	}
	log := gittest.Git(t, m.bare["prod-us"], "log", "-1", "--format=%an <%ae>|%cn|%B", "main")
	if !strings.HasPrefix(log, "Olga Operator <olga@example.com>|MISSION|") || !strings.Contains(log, "Orbos-Edit: orbos:orbiter.providers.gce.pools.workers.count: 3 -> 4") {
		t.Fatalf("the bare repository's last commit: %s", log)
	}
	if !strings.Contains(gittest.Git(t, m.bare["prod-us"], "show", "main:"+stacks.StackFileName("prod-us")), "count: 4") {
		t.Fatal("the change is not in the bare repository")
	}

	// A field that is on the form only because the schema has it: a BOOM tool's namespace.
	do(t, ctx, "edit the metrics tool's namespace",
		chromedp.Navigate(m.url+"/orbs/prod-us"),
		chromedp.ScrollIntoView(chromedp.CSS(metricsNamespace)),
		chromedp.WaitVisible(chromedp.CSS(metricsNamespace)),
		chromedp.SetValue(chromedp.CSS(metricsNamespace), "monitoring"),
	)
	shot(t, ctx, "form")
	do(t, ctx, "preview the namespace", chromedp.Click(chromedp.CSS("#preview")), chromedp.WaitVisible(chromedp.CSS("#diff")))
	if preview := value(t, ctx, "read the preview", chromedp.Text(chromedp.CSS("#diff"))); !strings.Contains(preview, "+        namespace: monitoring") {
		t.Fatalf("preview:\n%s", preview)
	}
	do(t, ctx, "commit the namespace", chromedp.Click(chromedp.CSS("#commit")), chromedp.WaitVisible(chromedp.CSS("#message")))
	if file := gittest.Git(t, m.bare["prod-us"], "show", "main:"+stacks.StackFileName("prod-us")); !strings.Contains(file, "        enabled: false\n        namespace: monitoring\n") {
		t.Fatalf("the namespace is not in the bare repository:\n%s", file)
	}
	committed := strings.TrimSpace(gittest.Git(t, m.bare["prod-us"], "rev-parse", "main"))

	// Signed out, a viewer signs in: the ORB page has no edit controls.
	do(t, ctx, "sign out", chromedp.Navigate(m.url+"/"), chromedp.Click(chromedp.CSS("header button.link")), chromedp.WaitVisible(chromedp.CSS("#oidc")))
	signIn(t, ctx, m, oidctest.Claims{Subject: "u-vic", Email: "vic@example.com", Name: "Vic Viewer", Groups: []string{"support"}})
	do(t, ctx, "viewer's ORB page", chromedp.Navigate(m.url+"/orbs/prod-us"), chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if n := value(t, ctx, "count edit controls", chromedp.Evaluate[int](`document.querySelectorAll("#edit, #preview, form.schema, input[name^='orbos:']").length`)); n != 0 {
		t.Fatalf("the viewer sees %d edit controls", n)
	}
	shot(t, ctx, "viewer")

	// A page of another origin posts an edit to MISSION in the viewer's browser: refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<form method="post" action="` + m.url + `/orbs/prod-us/commit">
<input type="hidden" name="base" value="` + committed + `"><input type="hidden" name="orbos:orbiter.providers.gce.pools.workers.count" value="40">
<button id="forge" type="submit">win a prize</button></form>`))
	}))
	defer evil.Close()
	do(t, ctx, "forged POST",
		chromedp.Navigate(evil.URL),
		chromedp.Click(chromedp.CSS("#forge")),
		chromedp.WaitReady(chromedp.Search(`//body[contains(., "refused") or contains(., "sign in first")]`)),
	)
	if now := strings.TrimSpace(gittest.Git(t, m.bare["prod-us"], "rev-parse", "main")); now != committed {
		t.Fatal("the forged POST wrote to the repository")
	}
}
