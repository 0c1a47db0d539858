package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/textdiff"
)

// Row is one ORB on the fleet page.
type Row struct {
	ORB                   *fleet.ORB
	Role                  string
	Provider              string
	Desired               string
	Running               string
	NodesReady, NodesAll  int
	Tools                 []string
	Zitadel               string
	LastRun, LastRunAge   string
	LastRunBy, LastResult string
	Drift                 int
	LockHolder            string
	CertExpiry            string
	Reconciler            string
	// Heartbeat is the age of the reconciler's last sign of life ("" when none), HeartbeatOf what it was.
	Heartbeat, HeartbeatOf string
	Stalled, NoReconciler  bool
	Updates                string
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	only := r.URL.Query().Get("problem")
	var rows []Row
	kinds := map[string]bool{}
	for _, o := range s.fleet.Snapshot() {
		conf, _ := s.cfg.Orb(o.Name)
		role := sess.User.Role(conf)
		if role == "" {
			continue
		}
		for _, p := range o.Problems {
			kinds[p.Kind] = true
		}
		if only != "" && !o.Has(only) {
			continue
		}
		row := s.row(o, role)
		if q != "" && !strings.Contains(strings.ToLower(o.Name+" "+row.Provider+" "+row.Desired+" "+strings.Join(row.Tools, " ")), q) {
			continue
		}
		rows = append(rows, row)
	}
	kindList := make([]string, 0, len(kinds))
	for k := range kinds {
		kindList = append(kindList, k)
	}
	sort.Strings(kindList)
	s.render(w, http.StatusOK, "fleet", map[string]any{"Session": sess, "Rows": rows, "Q": q, "Only": only, "Kinds": kindList})
}

func (s *Server) row(o *fleet.ORB, role string) Row {
	row := Row{ORB: o, Role: role, Desired: "?", Provider: "?"}
	if sp := o.Spec; sp != nil {
		c := sp.File.Config
		row.Desired = sp.Kubernetes().Version
		switch p := c.Orbiter.Providers; {
		case p != nil && p.GCE != nil:
			row.Provider = "gce " + p.GCE.Region
		case p != nil && p.Static != nil:
			row.Provider = "static"
		case c.Kubeconfig.IsSet():
			row.Provider = "existing cluster"
		}
		for _, t := range sp.Tools() {
			row.Tools = append(row.Tools, t.Name)
		}
		row.Zitadel = "off"
		if c.Zitadel != nil && c.Zitadel.Enabled {
			row.Zitadel = c.Zitadel.ExternalDomain
		}
	}
	if st := o.Status; st != nil {
		var versions []string
		for _, n := range st.Nodes {
			row.NodesAll++
			if n.Joined {
				row.NodesReady++
			}
			if n.Kubelet != "" && !slices.Contains(versions, n.Kubelet) {
				versions = append(versions, n.Kubelet)
			}
		}
		row.Running = strings.Join(versions, ", ")
		lr := st.LastRun
		row.LastRun, row.LastResult, row.LastRunBy = lr.Operation, lr.Outcome, lr.Holder
		if !lr.Finished.IsZero() {
			row.LastRunAge = age(s.fleet.Now().Sub(lr.Finished))
		}
		if st.Drift != nil {
			row.Drift = len(st.Drift.Resources)
		}
		row.CertExpiry = st.Kubernetes.CertExpiry
		if len(row.CertExpiry) >= 10 {
			row.CertExpiry = row.CertExpiry[:10]
		}
		row.Reconciler = st.Reconciler
	}
	if o.Lock != nil {
		row.LockHolder = o.Lock.Holder
	}
	// A run by hand is no heartbeat of a reconciler the spec does not deploy.
	if h := o.Reconciler; h.Expected && !h.Last.IsZero() {
		row.Heartbeat, row.HeartbeatOf = age(h.Age), h.Source
	}
	row.Stalled, row.NoReconciler = o.Reconciler.Stalled, !o.Reconciler.Expected
	row.Updates = o.Advice.Summary()
	return row
}

// age says how long ago, coarsely: "3h ago", "2d ago".
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now" // or a clock ahead of MISSION's
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

var secure = regexp.MustCompile(`(secure:\s*)\S+`)

// mask hides ciphertexts: MISSION never shows a secret, not even encrypted.
func mask(s string) string { return secure.ReplaceAllString(s, "${1}[encrypted]") }

func maskLines(d []textdiff.Line) []textdiff.Line {
	out := make([]textdiff.Line, len(d))
	for i, l := range d {
		out[i] = textdiff.Line{Op: l.Op, Text: mask(l.Text)}
	}
	return out
}

var funcs = map[string]any{
	"short": func(h string) string {
		if len(h) > 10 {
			return h[:10]
		}
		return h
	},
	"op": func(o textdiff.Op) string {
		switch o {
		case textdiff.Add:
			return "add"
		case textdiff.Del:
			return "del"
		}
		return "same"
	},
	"opchar": func(o textdiff.Op) string { return string(rune(o)) },
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"mask":   mask,
}
