package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/stacks"
)

// outputMarkdown is preview's format for a pull-request comment.
const outputMarkdown = "markdown"

// writeMarkdown summarises a preview for a pull-request comment: the verdict of the desired-state
// checks and of the policy pack, then the planned changes. Every value is escaped: the desired state
// comes from whoever proposed it.
func writeMarkdown(w io.Writer, res *automation.Result, ref string, err error) {
	title := "orbos preview of the ORB " + md(res.Orb)
	if ref != "" {
		title += " with the desired state of " + md(ref)
	}
	if res.DesiredCommit != "" {
		title += fmt.Sprintf(" (%.12s)", res.DesiredCommit)
	}
	fmt.Fprintf(w, "### %s\n\n", title)
	var (
		ve  *stacks.ValidationError
		pol *automation.PolicyError
	)
	switch {
	case errors.As(err, &ve):
		fmt.Fprintf(w, "**Desired state: invalid**, nothing was previewed:\n\n")
		for _, line := range strings.Split(strings.TrimSpace(ve.Error()), "\n") {
			fmt.Fprintf(w, "- %s\n", md(strings.TrimSpace(line)))
		}
		return
	case errors.As(err, &pol):
		fmt.Fprintf(w, "**Policy: %d violation(s)**, this change must not be applied:\n\n| Policy | Violation |\n|---|---|\n", len(pol.Violations))
		for _, v := range pol.Violations {
			name, msg, ok := strings.Cut(v, ": ")
			if !ok {
				name, msg = "", v
			}
			fmt.Fprintf(w, "| %s | %s |\n", md(name), md(msg))
		}
		fmt.Fprintln(w)
	case res.NoPolicy:
		fmt.Fprintf(w, "**Policy: skipped** (--no-policy)\n\n")
	case err != nil && !errors.Is(err, automation.ErrChangesPending):
		fmt.Fprintf(w, "**Preview failed**: %s\n", md(res.Error))
		return
	default:
		fmt.Fprintf(w, "**Policy: passed**\n\n")
	}
	if res.ChangeCount() == 0 {
		fmt.Fprintf(w, "**Changes: none**\n")
		return
	}
	fmt.Fprintf(w, "**Changes: %s**\n\n| | Type | Name | Changed |\n|---|---|---|---|\n", md(planWords(res.Changes)))
	for _, s := range res.Steps {
		if s.Op == "refresh" || s.Op == "same" {
			continue
		}
		var diffs []string
		for _, d := range s.Diffs {
			diffs = append(diffs, md(d.String()))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", md(s.Op), md(s.Type), md(s.Name), strings.Join(diffs, "<br>"))
	}
}

// mdSpecial are the characters that could make a value markup (or leave its table cell).
// "://" would otherwise become a link.
var mdSpecial = strings.NewReplacer("://", `:\/\/`, `\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`,
	"|", `\|`, "~", `\~`, "#", `\#`, "!", `\!`, "&", `\&`, "\r", " ", "\n", " ")

func md(s string) string { return mdSpecial.Replace(s) }
