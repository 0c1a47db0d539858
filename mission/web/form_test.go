package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/stacks"
)

// The forms generated from the schema for a fixture ORB (an older Kubernetes patch, so versions are
// offered), section by section.
func TestGeneratedFormGolden(t *testing.T) {
	e := start(t)
	r, _ := e.fleet.Repo("charlie")
	forms, err := e.web.editForms(r.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	html, err := renderForms(forms)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "form-orbiter.html", string(html[0]))
	golden.Assert(t, "form-boom.html", string(html[1]))
}

var (
	inputRe    = regexp.MustCompile(`<input type="(hidden|text|number|checkbox)"(?: id="[^"]*")? name="([^"]+)" value="([^"]*)"([^>]*)>`)
	selectRe   = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRe = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	textareaRe = regexp.MustCompile(`(?s)<textarea id="[^"]*" name="([^"]+)" rows="\d+"( disabled)?>(.*?)</textarea>`)
)

// posted is what a browser sends for the page's edit form as it is shown.
func posted(t *testing.T, page string) url.Values {
	t.Helper()
	form := regexp.MustCompile(`(?s)<section class="card" id="edit">.*?</form>`).FindString(page)
	if form == "" {
		t.Fatal("no edit form on the page")
	}
	v := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(form, -1) {
		if strings.Contains(m[4], "disabled") || (m[1] == "checkbox" && !strings.Contains(m[4], "checked")) {
			continue
		}
		v.Add(m[2], m[3])
	}
	for _, m := range textareaRe.FindAllStringSubmatch(form, -1) {
		if m[2] == "" {
			v.Add(m[1], m[3])
		}
	}
	for _, m := range selectRe.FindAllStringSubmatch(form, -1) {
		if strings.Contains(strings.SplitN(m[0], ">", 2)[0], "disabled") {
			continue
		}
		if s := selectedRe.FindStringSubmatch(m[2]); s != nil {
			v.Add(m[1], s[1])
		} else {
			t.Fatalf("select %s has no selected option", m[1])
		}
	}
	return v
}

// The generated form posted as shown changes nothing; a field that exists only because the schema
// has it (a BOOM tool's namespace) is edited through it and committed; wrong values are errors by path.
func TestGeneratedFormRoundTrip(t *testing.T) {
	e := start(t)
	op, _ := e.client(t, auth.User{Name: "Olga", Email: "olga@example.com"})
	_, page := get(t, op, e.srv.URL+"/orbs/charlie")
	form := posted(t, page)
	if form.Get("csrf") == "" || form.Get("base") == "" || form.Get("orbos:boom.tools.metrics.enabled") != "false" {
		t.Fatalf("form %v", form)
	}
	code, body := post(t, op, e.srv.URL+"/orbs/charlie/edit", form, "")
	if code != http.StatusOK || !strings.Contains(body, `id="nochange"`) {
		t.Fatalf("the unchanged form: %d\n%s", code, body)
	}

	bad := url.Values{}
	for k, vs := range form {
		bad[k] = vs
	}
	bad.Set("orbos:orbiter.providers.gce.pools.workers.diskSizeGB", "fifty")
	bad.Set("orbos:boom.tools.metrics.chart.version", "0.0.1")
	bad.Set("orbos:orbiter.kubernetes.version", "v1.99.0")
	code, body = post(t, op, e.srv.URL+"/orbs/charlie/edit", bad, "")
	for _, want := range []string{"config.orbos:orbiter.providers.gce.pools.workers.diskSizeGB</code>: \"fifty\" is not a number",
		"config.orbos:boom.tools.metrics.chart.version</code>: \"0.0.1\" is not offered",
		"config.orbos:orbiter.kubernetes.version</code>: \"v1.99.0\" is not offered"} {
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, want) || strings.Contains(body, `id="commit"`) {
			t.Fatalf("want %q: %d\n%s", want, code, body)
		}
	}

	form.Set("orbos:boom.tools.metrics.namespace", "monitoring")
	form.Add("orbos:boom.tools.metrics.enabled", "true") // the checkbox after its hidden "false"
	if form.Get("orbos:orbiter.providers.gce.zones") != "europe-west1-b" {
		t.Fatalf("zones %q", form.Get("orbos:orbiter.providers.gce.zones"))
	}
	form.Set("orbos:orbiter.providers.gce.zones", "europe-west1-b\r\neurope-west1-c\r\n")
	code, body = post(t, op, e.srv.URL+"/orbs/charlie/commit", form, "")
	if code != http.StatusOK || !strings.Contains(body, "Committed") {
		t.Fatalf("%d\n%s", code, body)
	}
	file := gittest.Git(t, e.bare["charlie"], "show", "main:"+stacks.StackFileName("charlie"))
	if !strings.Contains(file, "      metrics:\n        enabled: true\n        namespace: monitoring\n") || !strings.Contains(file, "zones: [europe-west1-b, europe-west1-c]\n") || !strings.Contains(file, "secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=") {
		t.Fatalf("the committed file:\n%s", file)
	}
	msg := gittest.Git(t, e.bare["charlie"], "log", "-1", "--format=%B", "main")
	if !strings.Contains(msg, "Orbos-Edit: orbos:boom.tools.metrics.enabled: false -> true; orbos:boom.tools.metrics.namespace: -> monitoring; orbos:orbiter.providers.gce.zones: [europe-west1-b] -> [europe-west1-b, europe-west1-c]\n") {
		t.Fatalf("commit message:\n%s", msg)
	}
}
