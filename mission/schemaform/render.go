package schemaform

import (
	"embed"
	"fmt"
	"html/template"
	"strings"
)

//go:embed templates/form.html
var templateFS embed.FS

var page = template.Must(template.New("form.html").Funcs(template.FuncMap{
	// rows fits a text area to its items, with room for one more.
	"rows": func(v string) int { return min(strings.Count(v, "\n")+2, 8) },
}).ParseFS(templateFS, "templates/form.html"))

// Render is the HTML of a section's fields (without the <form> around them, which carries the
// page's CSRF token and base commit): a fieldset, a folding group per object, one labelled input per
// value with the schema's description as help. Every value is escaped by html/template.
func Render(section *Field) (template.HTML, error) {
	var b strings.Builder
	if err := page.ExecuteTemplate(&b, "section", section); err != nil {
		return "", fmt.Errorf("rendering the form of %s: %w", section.Name, err)
	}
	return template.HTML(b.String()), nil
}
