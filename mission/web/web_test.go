package web

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/dismissals"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

type env struct {
	srv      *httptest.Server
	sessions *auth.Sessions
	bare     map[string]string
	fleet    *fleet.Fleet
	web      *Server
	cfg      *config.Config
}

func start(t *testing.T) *env { return startWith(t, false) }

// startWith serves three fixture ORBs; review makes every ORB ask for review.
func startWith(t *testing.T, review bool) *env {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{bare: map[string]string{}}
	cfg := &config.Config{DataDir: t.TempDir(), StateDir: filepath.Join(t.TempDir(), "state"), Admin: &config.Admin{User: "admin", PasswordHash: string(hash)}}
	grants := []config.Grant{{User: "olga@example.com", Role: config.RoleOperator}, {Group: "watchers", Role: config.RoleViewer}}
	for name, kind := range map[string]missiontest.Kind{"alpha": missiontest.Healthy, "bravo": missiontest.Failing, "charlie": missiontest.Outdated} {
		e.bare[name] = missiontest.Repo(t, name, kind)
		o := config.Orb{Name: name, URL: e.bare[name], Branch: "main", Grants: grants, Review: review, Grafana: "https://grafana." + name + ".example.com/?orgId=1"}
		if name == "alpha" {
			o.Grants = []config.Grant{{User: "olga@example.com", Role: config.RoleOperator}} // hidden from watchers
		}
		cfg.Orbs = append(cfg.Orbs, o)
	}
	e.fleet = fleet.New(cfg, catalog.Embedded(), func() time.Time { return missiontest.Clock })
	e.fleet.Poll(context.Background())
	e.cfg = cfg
	e.serve(t)
	return e
}

// serve starts MISSION's handler as a process start does: new sessions, the dismissals read from
// the state directory.
func (e *env) serve(t *testing.T) {
	t.Helper()
	e.sessions = auth.NewSessions(false)
	store, err := dismissals.Open(e.cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(e.cfg, e.fleet, Options{Sessions: e.sessions, Dismissals: store})
	if err != nil {
		t.Fatal(err)
	}
	e.web = s
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
}

// restart stops the server and starts it again over the same state directory.
func (e *env) restart(t *testing.T) {
	t.Helper()
	e.srv.Close()
	e.serve(t)
}

// client is a browser signed in as u: its session cookie and CSRF token.
func (e *env) client(t *testing.T, u auth.User) (*http.Client, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	sess := e.sessions.Start(rec, u)
	jar, _ := cookiejar.New(nil)
	su, _ := url.Parse(e.srv.URL)
	jar.SetCookies(su, rec.Result().Cookies())
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, sess.CSRF
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

func post(t *testing.T, c *http.Client, u string, form url.Values, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b))
}

var orbOrder = regexp.MustCompile(`data-orb="([a-z]+)"`)

func TestFleetPageProblemsFirstAndRoles(t *testing.T) {
	e := start(t)
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := get(t, anon, e.srv.URL+"/"); code != http.StatusSeeOther {
		t.Fatalf("signed out: %d", code)
	}
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	code, body := get(t, op, e.srv.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	var order []string
	for _, m := range orbOrder.FindAllStringSubmatch(body, -1) {
		order = append(order, m[1])
	}
	if strings.Join(order, ",") != "bravo,charlie,alpha" {
		t.Fatalf("order %v", order)
	}
	if strings.Count(body, `<td class="heartbeat"><span class="quiet">none deployed</span>`) != 3 {
		t.Fatal("no reconciler heartbeat column, or a heartbeat for ORBs without a reconciler")
	}
	if code, body := get(t, op, e.srv.URL+"/?problem=failed"); code != 200 || strings.Count(body, `data-orb=`) != 1 || !strings.Contains(body, `data-orb="bravo"`) {
		t.Fatalf("filter: %d", code)
	}
	if _, body := get(t, op, e.srv.URL+"/?q=charl"); strings.Count(body, `data-orb=`) != 1 {
		t.Fatal("search")
	}
	// A viewer by group sees only the ORBs granted to the group, and no edit form.
	viewer, _ := e.client(t, auth.User{Name: "Vic", Email: "vic@example.com", Groups: []string{"watchers"}})
	_, body = get(t, viewer, e.srv.URL+"/")
	if strings.Contains(body, `data-orb="alpha"`) || !strings.Contains(body, `data-orb="bravo"`) {
		t.Fatal("viewer sees the wrong ORBs")
	}
	if code, _ := get(t, viewer, e.srv.URL+"/orbs/alpha"); code != http.StatusNotFound {
		t.Fatalf("a hidden ORB answered %d", code)
	}
	_, body = get(t, viewer, e.srv.URL+"/orbs/bravo")
	if strings.Contains(body, `id="edit"`) || !strings.Contains(body, `id="timeline"`) {
		t.Fatal("a viewer got the edit form, or no timeline")
	}
	_, body = get(t, op, e.srv.URL+"/orbs/bravo")
	if !strings.Contains(body, `id="edit"`) || !strings.Contains(body, "kubeadm join failed") || !strings.Contains(body, `id="figures"`) || strings.Contains(body, "c2VjcmV0LWNpcGhlcnRleHQ") {
		t.Fatal("operator page: no form, no error, or a ciphertext shown")
	}
	if !strings.Contains(body, "[encrypted]") {
		t.Fatal("the secret is not shown as masked")
	}
}

// The ORB page draws the run series as inline SVG: one point per run commit, at the value the
// history records; the Grafana link shows only while the spec runs the dashboards tool.
func TestORBCharts(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	_, body := get(t, op, e.srv.URL+"/orbs/bravo")
	figures := regexp.MustCompile(`(?s)<figure class="chart">\s*<figcaption>([^<]+)</figcaption>(.*?)</figure>`).FindAllStringSubmatch(body, -1)
	values := regexp.MustCompile(`data-value="([0-9.]+)"`)
	want := map[string]string{"Run duration": "120,120", "Resources changed per run": "7,1", "Drifted resources": "0,0", "Nodes": "2,2"}
	if len(figures) != len(want) {
		t.Fatalf("%d charts", len(figures))
	}
	for _, f := range figures {
		var got []string
		for _, m := range values.FindAllStringSubmatch(f[2], -1) {
			got = append(got, m[1])
		}
		if strings.Join(got, ",") != want[f[1]] || !strings.Contains(f[2], "<polyline") {
			t.Errorf("%s: values %v, want %s", f[1], got, want[f[1]])
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, `class="grafana"`) {
		t.Fatal("a script, or a Grafana link without the dashboards tool")
	}
	spec := strings.Replace(missiontest.Spec(missiontest.Older, 3, true), "      metrics:\n        enabled: true\n", "      metrics:\n        enabled: true\n      dashboards:\n        enabled: true\n", 1)
	missiontest.Push(t, e.bare["charlie"], map[string]string{stacks.StackFileName("charlie"): spec}, "dashboards on")
	e.fleet.PollOne(context.Background(), "charlie")
	if _, body := get(t, op, e.srv.URL+"/orbs/charlie"); !strings.Contains(body, `<a class="grafana" href="https://grafana.charlie.example.com/?orgId=1"`) {
		t.Fatalf("no Grafana link with the dashboards tool on")
	}
}

func TestTimelineDiff(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	r, _ := e.fleet.Repo("bravo")
	h := r.Snapshot().History
	code, body := get(t, op, e.srv.URL+"/orbs/bravo/commits/"+h[1].Commit)
	if code != 200 || !strings.Contains(body, `<span class="del">-            count: 2</span>`) || !strings.Contains(body, `<span class="add">+            count: 3</span>`) {
		t.Fatalf("%d\n%s", code, body)
	}
	// A run's entry names the update Pulumi recorded and the resources it changed, here and on the timeline.
	_, body = get(t, op, e.srv.URL+"/orbs/bravo/commits/"+h[0].Commit)
	if !strings.Contains(body, `<li class="create">create <code>orbos:host:Machine</code> w-1</li>`) || !strings.Contains(body, `<td>update</td><td><b class="outcome failed">failed</b></td>`) {
		t.Fatalf("run entry without its resources or update:\n%s", body)
	}
	_, body = get(t, op, e.srv.URL+"/orbs/bravo")
	if strings.Count(body, `<li class="create">create <code>orbos:host:Machine</code>`) != 3 {
		t.Fatal("the timeline does not list the resources each run created")
	}
	if code, _ := get(t, op, e.srv.URL+"/orbs/bravo/commits/"+strings.Repeat("a", 40)); code != http.StatusNotFound {
		t.Fatalf("unknown commit: %d", code)
	}
}

func editForm(csrf, base string, workers string) url.Values {
	return url.Values{"csrf": {csrf}, "base": {base}, "orbos:orbiter.kubernetes.version": {missiontest.Newest},
		"orbos:orbiter.kubernetes.controlPlane.nodes": {"1"}, "orbos:orbiter.providers.gce.pools.control.count": {"1"},
		"orbos:orbiter.providers.gce.pools.workers.count": {workers}}
}

func TestEditPreviewCommitAndRefusals(t *testing.T) {
	e := start(t)
	op, csrf := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	r, _ := e.fleet.Repo("bravo")
	base := r.Snapshot().Head
	// Errors by path, nothing offered to commit.
	code, body := post(t, op, e.srv.URL+"/orbs/bravo/edit", editForm(csrf, base, "-2"), e.srv.URL)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "config.orbos:orbiter.providers.gce.pools.workers.count") || strings.Contains(body, `id="commit"`) {
		t.Fatalf("%d\n%s", code, body)
	}
	code, body = post(t, op, e.srv.URL+"/orbs/bravo/edit", editForm(csrf, base, "5"), e.srv.URL)
	if code != 200 || !strings.Contains(body, `<span class="add">+            count: 5</span>`) || !strings.Contains(body, `id="commit"`) {
		t.Fatalf("%d\n%s", code, body)
	}
	// Forged: no token, a wrong token, another site's origin.
	for _, c := range []struct {
		form   url.Values
		origin string
	}{{editForm("", base, "5"), ""}, {editForm("forged", base, "5"), ""}, {editForm(csrf, base, "5"), "https://evil.example"}} {
		if code, _ := post(t, op, e.srv.URL+"/orbs/bravo/commit", c.form, c.origin); code != http.StatusForbidden {
			t.Fatalf("forged POST answered %d", code)
		}
	}
	// A viewer's POST with its own valid token is refused by role.
	viewer, vcsrf := e.client(t, auth.User{Name: "Vic", Email: "vic@example.com", Groups: []string{"watchers"}})
	if code, _ := post(t, viewer, e.srv.URL+"/orbs/bravo/commit", editForm(vcsrf, base, "5"), ""); code != http.StatusForbidden {
		t.Fatalf("viewer commit answered %d", code)
	}
	if got := strings.TrimSpace(gittest.Git(t, e.bare["bravo"], "rev-parse", "main")); got != base {
		t.Fatal("a refused POST wrote")
	}
	code, body = post(t, op, e.srv.URL+"/orbs/bravo/commit", editForm(csrf, base, "5"), e.srv.URL)
	if code != 200 || !strings.Contains(body, "Committed") {
		t.Fatalf("%d\n%s", code, body)
	}
	if got := gittest.Git(t, e.bare["bravo"], "log", "-1", "--format=%an <%ae>|%cn", "main"); strings.TrimSpace(got) != "Olga <olga@example.com>|MISSION" {
		t.Fatalf("commit %q", got)
	}
	if !strings.Contains(gittest.Git(t, e.bare["bravo"], "show", "main:"+stacks.StackFileName("bravo")), "count: 5") {
		t.Fatal("not in the bare repository")
	}
	// The same form again is on an old base now.
	if code, body := post(t, op, e.srv.URL+"/orbs/bravo/commit", editForm(csrf, base, "6"), e.srv.URL); code != http.StatusConflict || !strings.Contains(body, "moved") {
		t.Fatalf("%d %s", code, body)
	}
}

func TestLocalAdminSignIn(t *testing.T) {
	e := start(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, body := get(t, c, e.srv.URL+"/login")
	tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(body)
	if tok == nil {
		t.Fatal("no login token")
	}
	if code, _ := post(t, c, e.srv.URL+"/login", url.Values{"token": {"forged"}, "user": {"admin"}, "password": {"correct horse"}}, ""); code != http.StatusForbidden {
		t.Fatalf("forged login: %d", code)
	}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"token": {tok[1]}, "user": {"admin"}, "password": {"wrong"}})
	if err != nil || resp.Header.Get("Location") != "/login?failed=1" {
		t.Fatalf("wrong password: %v %v", err, resp.Header)
	}
	resp, err = c.PostForm(e.srv.URL+"/login", url.Values{"token": {tok[1]}, "user": {"admin"}, "password": {"correct horse"}})
	if err != nil || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: %v %v", err, resp.Header)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.SessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", session)
	}
	if _, body := get(t, c, e.srv.URL+"/"); strings.Count(body, "data-orb=") != 3 {
		t.Fatal("the admin does not see every ORB")
	}
}

// The inbox lists the problems of the ORBs the user may see; an update notice offers the proposal
// (the edit preview of the offered version); a dismissed notice stays away until the ORB's next commit.
func TestInbox(t *testing.T) {
	e := start(t)
	op, csrf := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	code, body := get(t, op, e.srv.URL+"/inbox")
	if code != 200 || !strings.Contains(body, `class="notice failed" data-orb="bravo"`) || !strings.Contains(body, `class="notice update" data-orb="charlie"`) {
		t.Fatalf("%d\n%s", code, body)
	}
	if !strings.Contains(body, "Propose v1.36.4") {
		t.Fatal("the update notice offers no proposal")
	}
	viewer, _ := e.client(t, auth.User{Name: "Vic", Email: "vic@example.com", Groups: []string{"watchers"}})
	if _, vbody := get(t, viewer, e.srv.URL+"/inbox"); strings.Contains(vbody, "Propose") || !strings.Contains(vbody, `data-orb="bravo"`) {
		t.Fatal("a viewer's inbox offers a proposal, or misses a notice")
	}
	r, _ := e.fleet.Repo("charlie")
	base := r.Snapshot().Head
	// The proposal is the edit preview of the version alone: the tools are left as they are.
	code, body = post(t, op, e.srv.URL+"/orbs/charlie/edit", url.Values{"csrf": {csrf}, "base": {base}, "orbos:orbiter.kubernetes.version": {missiontest.OlderPatch}}, "")
	if code != 200 || !strings.Contains(body, "-      version: v1.36.1") || !strings.Contains(body, "+      version: v1.36.4") || strings.Contains(body, "boom.tools") {
		t.Fatalf("%d\n%s", code, body)
	}
	if code, _ := post(t, op, e.srv.URL+"/inbox/dismiss", url.Values{"csrf": {csrf}, "key": {"bravo|failed|" + e.fleet.Snapshot()[0].Head}}, ""); code != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", code)
	}
	if _, body := get(t, op, e.srv.URL+"/inbox"); strings.Contains(body, `class="notice failed" data-orb="bravo"`) {
		t.Fatal("the dismissed notice is still there")
	}
	if _, vbody := get(t, viewer, e.srv.URL+"/inbox"); !strings.Contains(vbody, `data-orb="bravo"`) {
		t.Fatal("one user's dismissal hid another's notice")
	}
	// A key of an ORB the user may not see, or not a key at all, is refused.
	vviewer, vcsrf := e.client(t, auth.User{Name: "Vic", Email: "vic@example.com", Groups: []string{"watchers"}})
	for _, key := range []string{"alpha|failed|" + base, "nonsense"} {
		if code, _ := post(t, vviewer, e.srv.URL+"/inbox/dismiss", url.Values{"csrf": {vcsrf}, "key": {key}}, ""); code == http.StatusSeeOther {
			t.Fatalf("dismissing %q was accepted", key)
		}
	}

	// After a restart the dismissed notice stays away.
	e.restart(t)
	op, _ = e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	if _, body := get(t, op, e.srv.URL+"/inbox"); strings.Contains(body, `class="notice failed" data-orb="bravo"`) || !strings.Contains(body, `class="notice update" data-orb="charlie"`) {
		t.Fatalf("after a restart:\n%s", body)
	}
	// The same problem after a newer commit is a new notice.
	missiontest.Push(t, e.bare["bravo"], map[string]string{"README.md": "newer\n"}, "a newer commit")
	e.fleet.PollOne(context.Background(), "bravo")
	if _, body := get(t, op, e.srv.URL+"/inbox"); !strings.Contains(body, `class="notice failed" data-orb="bravo"`) {
		t.Fatalf("the newer failure does not show:\n%s", body)
	}
}

// An ORB that asks for review gets the edit on a proposal branch; its branch stays.
func TestEditOnAProposalBranch(t *testing.T) {
	e := startWith(t, true)
	op, csrf := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	r, _ := e.fleet.Repo("bravo")
	base := r.Snapshot().Head
	code, body := post(t, op, e.srv.URL+"/orbs/bravo/commit", editForm(csrf, base, "4"), "")
	if code != 200 || !strings.Contains(body, "to mission/bravo/") || !strings.Contains(body, "merge the proposal branch") {
		t.Fatalf("%d\n%s", code, body)
	}
	if got := strings.TrimSpace(gittest.Git(t, e.bare["bravo"], "rev-parse", "main")); got != base {
		t.Fatal("the ORB's branch moved")
	}
	branches := gittest.Git(t, e.bare["bravo"], "for-each-ref", "--format=%(refname)", "refs/heads/mission/bravo/")
	if strings.Count(branches, "\n") != 1 {
		t.Fatalf("proposal branches: %q", branches)
	}
}

// A recommendation from the recorded nodes is offered as an edit: its form previews the diff that
// scales the control plane and its pool.
func TestSizeRecommendation(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	if _, body := get(t, op, e.srv.URL+"/orbs/alpha"); strings.Contains(body, `id="recommendations"`) {
		t.Fatal("a recommendation for a one-worker ORB")
	}
	st := missiontest.StatusOfRun("alpha", missiontest.Newest, missiontest.Healthy, missiontest.Clock, "run-3")
	st = strings.Replace(st, "nodes:\n", "nodes:\n    - {name: alpha-w-1, role: worker, kubelet: "+missiontest.Newest+", joined: true, prepared: true}\n", 1)
	missiontest.Push(t, e.bare["alpha"], map[string]string{"status/alpha.yaml": st}, "a run that joined a second worker")
	e.fleet.PollOne(context.Background(), "alpha")
	_, body := get(t, op, e.srv.URL+"/orbs/alpha")
	form := regexp.MustCompile(`(?s)<section class="card" id="recommendations">.*?<form method="post" action="(/orbs/alpha/edit)".*?</form>`).FindStringSubmatch(body)
	if form == nil || !strings.Contains(form[0], "3 control-plane nodes") {
		t.Fatalf("no recommendation to propose:\n%s", body)
	}
	values := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(form[0], -1) {
		values.Set(m[1], m[2])
	}
	code, body := post(t, op, e.srv.URL+form[1], values, "")
	if code != 200 || !strings.Contains(body, `<span class="add">+      controlPlane: {pool: control, nodes: 3}</span>`) || !strings.Contains(body, `id="commit"`) {
		t.Fatalf("%d %v\n%s", code, values, body)
	}
}

// A refreshed catalog with a newer chart makes a notice whose proposal pins it, every enabled tool
// left on.
func TestChartUpdateNotice(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	cat, err := catalog.Parse([]byte("kubernetes: [{minor: v1.37, latest: v1.37.1, endOfLife: 2027-10-28}]\ncharts: [{tool: metrics, latest: 99.1.0}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	e.fleet.SetCatalog(cat)
	missiontest.Push(t, e.bare["alpha"], map[string]string{stacks.StackFileName("alpha"): missiontest.Spec(missiontest.Newest, 3, true)}, "metrics on")
	e.fleet.PollOne(context.Background(), "alpha")
	_, body := get(t, op, e.srv.URL+"/inbox")
	row := regexp.MustCompile(`(?s)<tr class="notice chart-update" data-orb="alpha">.*?</tr>`).FindString(body)
	if !strings.Contains(row, "metrics "+stacks.BoomCatalog["metrics"].Chart.Version+" → 99.1.0") {
		t.Fatalf("no chart notice:\n%s", body)
	}
	form := regexp.MustCompile(`(?s)<form method="post" action="/orbs/alpha/edit".*?</form>`).FindString(row)
	values := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(form, -1) {
		values.Set(m[1], m[2])
	}
	code, body := post(t, op, e.srv.URL+"/orbs/alpha/edit", values, "")
	if code != 200 || !strings.Contains(body, "+          version: 99.1.0") || strings.Contains(body, "-        enabled: true") || !strings.Contains(body, `id="commit"`) {
		t.Fatalf("%d %v\n%s", code, values, body)
	}
}

// An ORB whose spec deploys a reconciler shows its heartbeat: the newest run commit here.
func TestHeartbeatColumn(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	spec := strings.Replace(missiontest.Spec(missiontest.Newest, 3, false), "  orbos:sshKey:",
		"  orbos:reconciler:\n    apiVersion: orbos.io/v1alpha1\n    image: registry.example.com/orbos/orbctl:v0.1.0\n  orbos:sshKey:", 1)
	missiontest.Push(t, e.bare["alpha"], map[string]string{stacks.StackFileName("alpha"): spec}, "deploy the reconciler")
	e.fleet.PollOne(context.Background(), "alpha")
	_, body := get(t, op, e.srv.URL+"/")
	row := regexp.MustCompile(`(?s)<tr class="orb [^"]*" data-orb="alpha">.*?</tr>`).FindString(body)
	if !strings.Contains(row, `<td class="heartbeat"><span title="up commit">`) {
		t.Fatalf("no heartbeat:\n%s", row)
	}
}
