package web

import (
	"net/http"
	"sync"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/stacks"
)

// Notice is one entry of a user's inbox: a problem of an ORB the user may see.
type Notice struct {
	Key     string
	Orb     string
	Head    string
	Problem fleet.Problem
	// Propose is what a notice of an update offers to commit (a version, "charts"), Fields the edit
	// form's fields that propose it; "" and nil when the user may not edit or there is nothing to offer.
	Propose string
	Fields  []FormField
	CSRF    string
}

// FormField is one field of the edit form a notice posts.
type FormField struct{ Name, Value string }

// dismissed remembers, per user, the notices they put away (in memory, like sessions). A notice's key
// includes the ORB's commit, so the same problem after a new commit shows again.
type dismissed struct {
	mu   sync.Mutex
	keys map[string]map[string]bool
}

func (d *dismissed) has(user, key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keys[user][key]
}

func (d *dismissed) add(user, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.keys == nil {
		d.keys = map[string]map[string]bool{}
	}
	if d.keys[user] == nil {
		d.keys[user] = map[string]bool{}
	}
	d.keys[user][key] = true
}

// notices lists the user's notices, worst first (the fleet's order), without the dismissed ones.
func (s *Server) notices(sess *auth.Session) []Notice {
	var out []Notice
	for _, o := range s.fleet.Snapshot() {
		conf, _ := s.cfg.Orb(o.Name)
		role := sess.User.Role(conf)
		if role == "" {
			continue
		}
		for _, p := range o.Problems {
			n := Notice{Key: o.Name + "|" + p.Kind + "|" + o.Head, Orb: o.Name, Head: o.Head, Problem: p, CSRF: sess.CSRF}
			if s.inbox.has(sess.User.Email, n.Key) {
				continue
			}
			if config.AtLeast(role, config.RoleOperator) && o.Spec != nil {
				switch p.Kind {
				case "update":
					n.Propose = o.Advice.Patch
					if n.Propose == "" {
						n.Propose = o.Advice.Minor
					}
					n.Fields = []FormField{{versionKey, n.Propose}}
				case "chart-update":
					n.Propose, n.Fields = "newer charts", chartFields(o)
				}
			}
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) inboxPage(w http.ResponseWriter, _ *http.Request, sess *auth.Session) {
	s.render(w, http.StatusOK, "inbox", map[string]any{"Session": sess, "Notices": s.notices(sess)})
}

func (s *Server) inboxDismiss(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	s.inbox.add(sess.User.Email, r.PostForm.Get("key"))
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
}

// chartFields are the edit form's chart-version fields with the catalog's newer charts.
func chartFields(o *fleet.ORB) []FormField {
	var out []FormField
	for _, c := range o.Advice.Charts {
		out = append(out, FormField{stacks.KeyBoom + ".tools." + c.Tool + ".chart.version", c.Latest})
	}
	return out
}
