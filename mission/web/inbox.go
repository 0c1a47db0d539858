package web

import (
	"net/http"
	"strings"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/dismissals"
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
			if s.inbox.Dismissed(sess.User.Email, dismissals.Notice{Orb: o.Name, Kind: p.Kind, Commit: o.Head}) {
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

// inboxDismiss puts a notice away for the user, kept in MISSION's state directory. The key is
// "orb|kind|commit" of a notice on an ORB the user may see.
func (s *Server) inboxDismiss(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	parts := strings.Split(r.PostForm.Get("key"), "|")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		s.message(w, http.StatusBadRequest, sess, "Not dismissed", "The notice's key is not orb|kind|commit.")
		return
	}
	conf, ok := s.cfg.Orb(parts[0])
	if !ok || sess.User.Role(conf) == "" {
		s.message(w, http.StatusNotFound, sess, "Not dismissed", "No such notice.")
		return
	}
	if err := s.inbox.Dismiss(sess.User.Email, dismissals.Notice{Orb: parts[0], Kind: parts[1], Commit: parts[2]}); err != nil {
		s.log.Error("keeping a dismissal", "err", err)
		s.message(w, http.StatusInternalServerError, sess, "Not dismissed", "MISSION could not keep the dismissal; its log says why.")
		return
	}
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
