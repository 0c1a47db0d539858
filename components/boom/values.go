package boom

import (
	"strings"

	"github.com/orbos/orbos/stacks"
)

// merge merges src into dst: mappings merge key by key, anything else (lists too, as in Helm) is
// replaced by src's value. src's nested mappings are copied, never shared.
func merge(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			dm, _ := dst[k].(map[string]any)
			dst[k] = merge(dm, sm)
			continue
		}
		dst[k] = v
	}
	return dst
}

// set puts v at a dotted path ("" is the top level: v must then be a mapping to merge).
func set(values map[string]any, path string, v any) {
	if path == "" {
		if m, ok := v.(map[string]any); ok {
			merge(values, m)
		}
		return
	}
	keys := strings.Split(path, ".")
	m := values
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// join joins a value path and a key.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// placement turns the spec's nodeSelector, tolerations and resources into values at the profile's
// paths: every path gets the node selector and tolerations, the first (the main workload) the
// resources.
func placement(p profile, t stacks.NamedTool) map[string]any {
	out := map[string]any{}
	for i, path := range p.Placement {
		if len(t.NodeSelector) > 0 {
			sel := map[string]any{}
			for k, v := range t.NodeSelector {
				sel[k] = v
			}
			set(out, join(path, "nodeSelector"), sel)
		}
		if len(t.Tolerations) > 0 {
			var tols []any
			for _, tol := range t.Tolerations {
				m := map[string]any{}
				for k, v := range map[string]string{"key": tol.Key, "operator": tol.Operator, "value": tol.Value, "effect": tol.Effect} {
					if v != "" {
						m[k] = v
					}
				}
				if tol.TolerationSeconds != nil {
					m["tolerationSeconds"] = *tol.TolerationSeconds
				}
				tols = append(tols, m)
			}
			set(out, join(path, "tolerations"), tols)
		}
		if r := t.Resources; r != nil && i == 0 {
			res := map[string]any{}
			for name, q := range map[string]map[string]string{"requests": r.Requests, "limits": r.Limits} {
				if len(q) > 0 {
					m := map[string]any{}
					for k, v := range q {
						m[k] = v
					}
					res[name] = m
				}
			}
			set(out, join(path, "resources"), res)
		}
	}
	return out
}

// Values are the chart's values: orbos's production defaults, then the spec's placement, image
// mirror and SSO, then the spec's own values, merged last.
func Values(t stacks.NamedTool, env Env) map[string]any {
	p := profileOf(t.Name)
	values := map[string]any{}
	if p.Defaults != nil {
		merge(values, p.Defaults(t, env))
	}
	merge(values, scrapeValues(t.Name, env))
	merge(values, placement(p, t))
	if env.ImageRegistry != "" {
		for path, suffix := range p.Registry {
			v := env.ImageRegistry
			if suffix != "" {
				v += "/" + suffix
			}
			set(values, path, v)
		}
	}
	for _, s := range p.Secrets {
		merge(values, s.Values)
	}
	merge(values, ssoValues(t))
	merge(values, deepCopy(t.Values))
	return values
}

func deepCopy(m map[string]any) map[string]any {
	return merge(nil, m)
}
