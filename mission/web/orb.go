package web

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/stacks"
)

// ToolToggle is one BOOM tool on the edit form.
type ToolToggle struct {
	Name    string
	Enabled bool
	// Chart is the pinned chart version (the spec's, or the catalog's default).
	Chart string
}

// Pool is one GCE pool on the edit form.
type Pool struct {
	Name  string
	Count int
}

// Form is the edit form's current values.
type Form struct {
	Versions          []string
	Version           string
	ControlPlaneNodes int
	Pools             []Pool
	Tools             []ToolToggle
}

func (s *Server) orbPage(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	conf, repo, role, ok := s.orb(w, r, sess)
	if !ok {
		return
	}
	o := repo.Snapshot()
	data := map[string]any{"Session": sess, "Row": s.row(o, role), "ORB": o, "Conf": conf,
		"CanEdit": config.AtLeast(role, config.RoleOperator) && o.Spec != nil, "Desired": mask(o.Desired), "Figures": o.Figures()}
	if o.Spec != nil {
		data["Form"] = s.form(o.Spec)
	}
	s.render(w, http.StatusOK, "orb", data)
}

// form is the edit form filled with the spec's values.
func (s *Server) form(sp *stacks.Spec) Form {
	k := sp.Kubernetes()
	f := Form{Version: k.Version, Versions: s.fleet.Catalog().Next(k.Version)}
	if k.ControlPlane != nil {
		f.ControlPlaneNodes = k.ControlPlane.Nodes
	}
	if p := sp.File.Config.Orbiter.Providers; p != nil && p.GCE != nil {
		for name, pool := range p.GCE.Pools {
			f.Pools = append(f.Pools, Pool{name, pool.Count})
		}
		sort.Slice(f.Pools, func(i, j int) bool { return f.Pools[i].Name < f.Pools[j].Name })
	}
	f.Tools = toolStates(sp)
	return f
}

// toolStates lists the catalog's tools and the spec's own, with whether each is enabled.
func toolStates(sp *stacks.Spec) []ToolToggle {
	tools := map[string]ToolToggle{}
	for _, name := range stacks.CatalogNames() {
		tools[name] = ToolToggle{Name: name, Chart: stacks.BoomCatalog[name].Chart.Version}
	}
	if b := sp.File.Config.Boom; b != nil {
		for name, t := range b.Tools {
			tools[name] = ToolToggle{Name: name, Enabled: t.Enabled, Chart: t.Chart.Version}
		}
	}
	var out []ToolToggle
	for _, t := range tools {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil
}
