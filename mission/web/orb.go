package web

import (
	"net/http"

	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/chart"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/sizing"
	"github.com/orbos/orbos/stacks"
)

func (s *Server) orbPage(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	conf, repo, role, ok := s.orb(w, r, sess)
	if !ok {
		return
	}
	o := repo.Snapshot()
	data := map[string]any{"Session": sess, "Row": s.row(o, role), "ORB": o, "Conf": conf,
		"CanEdit": config.AtLeast(role, config.RoleOperator) && o.Spec != nil, "Desired": mask(o.Desired), "Figures": o.Figures()}
	if o.Spec != nil {
		if config.AtLeast(role, config.RoleOperator) {
			forms, err := s.editForms(o)
			if err == nil {
				data["Forms"], err = renderForms(forms)
			}
			if err != nil {
				s.log.Error("building the edit form", "orb", o.Name, "err", err)
				data["CanEdit"] = false
			}
		}
		data["Recommendations"] = sizing.Recommend(o.Spec, o.Status)
		if conf.Grafana != "" && toolEnabled(o.Spec, "dashboards") {
			data["Grafana"] = conf.Grafana
		}
	}
	series, err := repo.Series()
	if err != nil {
		s.log.Warn("reading the run series", "orb", o.Name, "err", err)
	}
	data["Charts"] = charts(series)
	resources, err := repo.RunResources()
	if err != nil {
		s.log.Warn("reading the resources runs changed", "orb", o.Name, "err", err)
	}
	data["Resources"] = resources
	s.render(w, http.StatusOK, "orb", data)
}

// Chart canvas size in SVG user units; the stylesheet scales it to the card's width.
const chartWidth, chartHeight = 320, 120

// charts lays out the ORB page's charts from the run series: duration, changes, drift, nodes.
func charts(series []fleet.RunPoint) []chart.Plot {
	var dur, changes, drift, nodes []chart.Point
	// Oldest first: runs of the same second keep the history's order.
	for i := len(series) - 1; i >= 0; i-- {
		p := series[i]
		label := p.Operation + " " + p.Commit[:min(len(p.Commit), 10)]
		if p.Seconds > 0 {
			dur = append(dur, chart.Point{When: p.When, Value: p.Seconds, Label: label})
		}
		changes = append(changes, chart.Point{When: p.When, Value: float64(p.Changes), Label: label})
		if p.Drift >= 0 {
			drift = append(drift, chart.Point{When: p.When, Value: float64(p.Drift), Label: label})
		}
		if p.Nodes >= 0 {
			nodes = append(nodes, chart.Point{When: p.When, Value: float64(p.Nodes), Label: label})
		}
	}
	return []chart.Plot{
		chart.Lay("Run duration", "s", dur, chartWidth, chartHeight),
		chart.Lay("Resources changed per run", "", changes, chartWidth, chartHeight),
		chart.Lay("Drifted resources", "", drift, chartWidth, chartHeight),
		chart.Lay("Nodes", "", nodes, chartWidth, chartHeight),
	}
}

// toolEnabled reports whether the spec's BOOM runs the tool.
func toolEnabled(sp *stacks.Spec, name string) bool {
	for _, t := range sp.Tools() {
		if t.Name == name {
			return true
		}
	}
	return false
}
