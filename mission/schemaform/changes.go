package schemaform

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/orbos/orbos/stacks"
)

// Edits are what a submitted form changes, by config key.
type Edits struct {
	Values map[string]string
	// Lists are lists of scalars set whole (empty: every item removed).
	Lists map[string][]string
}

// Changes reads a submitted form against the form it was built as: the values that differ from the
// spec's, by config key, and every value that cannot be one, by path (config.<key>, as the spec's own
// validation says it). A field the form does not post is left as it is, so a form of one field (a
// notice's proposal) changes only that one. A checkbox posts a hidden "false" before its "true":
// the last value counts.
func Changes(forms []*Field, posted url.Values) (Edits, []stacks.FieldError) {
	changes := map[string]string{}
	lists := map[string][]string{}
	var errs []stacks.FieldError
	bad := func(f *Field, format string, args ...any) {
		errs = append(errs, stacks.FieldError{Path: "config." + f.Name, Message: fmt.Sprintf(format, args...)})
	}
	for _, form := range forms {
		for _, f := range form.Leaves() {
			vs, ok := posted[f.Name]
			if !ok || len(vs) == 0 {
				continue
			}
			if f.ReadOnly {
				bad(f, "is not edited here: change it in the repository's file")
				continue
			}
			if f.Kind == KindLines {
				items, ok := lines(f, vs[len(vs)-1], bad)
				if ok && strings.Join(items, "\n") != f.Value {
					lists[f.Name] = items
				}
				continue
			}
			v := strings.TrimSpace(vs[len(vs)-1])
			if v == f.Value {
				continue
			}
			if v == "" {
				bad(f, "removing a value is not offered here: change it in the repository's file")
				continue
			}
			switch f.Kind {
			case KindBoolean:
				if v != "true" && v != "false" {
					bad(f, "%q is not true or false", v)
					continue
				}
				if v == "false" && !f.Set {
					continue // unset is false already
				}
			case KindInteger:
				if _, err := strconv.Atoi(v); err != nil {
					bad(f, "%q is not a number", v)
					continue
				}
			case KindSelect:
				if !slices.ContainsFunc(f.Options, func(o Option) bool { return o.Value == v }) {
					var offered []string
					for _, o := range f.Options {
						if o.Value != "" {
							offered = append(offered, o.Value)
						}
					}
					bad(f, "%q is not offered: choose one of %s", v, strings.Join(offered, ", "))
					continue
				}
			case KindString:
				if strings.ContainsAny(v, "\n\r") {
					bad(f, "must be a single line")
					continue
				}
				// The file's YAML would read these as no value at all, not as the text.
				if slices.Contains([]string{"~", "null", "Null", "NULL"}, v) {
					bad(f, "%q would be read as no value", v)
					continue
				}
			}
			changes[f.Name] = v
		}
	}
	return Edits{Values: changes, Lists: lists}, errs
}

// lines are a text area's items, one a line, blank lines dropped; integers checked.
func lines(f *Field, text string, bad func(*Field, string, ...any)) ([]string, bool) {
	items := []string{}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if f.ItemKind == "integer" {
			if _, err := strconv.Atoi(l); err != nil {
				bad(f, "%q is not a number", l)
				return nil, false
			}
		}
		items = append(items, l)
	}
	return items, true
}
