package record

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Trailer keys of the commits orbos makes. The writer (Trailers.String) and the reader
// (ParseTrailers) live side by side so that they cannot drift apart.
const (
	KeyOperation = "Orbos-Operation"
	KeyOutcome   = "Orbos-Outcome"
	KeyRun       = "Orbos-Run"
	KeyHolder    = "Orbos-Holder"
	KeyChanges   = "Orbos-Changes"
	KeyDesired   = "Orbos-Desired"
	KeyKey       = "Orbos-Key"
	KeyValue     = "Orbos-Value"
	// KeyPolicy says the policy pack did not run (--no-policy).
	KeyPolicy = "Orbos-Policy"
	// KeyLockHolder names the holder of a lock that `orbctl lock break` removed (KeyHolder broke it).
	KeyLockHolder = "Orbos-Lock-Holder"
)

// PolicySkipped is KeyPolicy's value when the run skipped the policy pack.
const PolicySkipped = "skipped (--no-policy)"

// Trailers are the "Key: value" lines that end a commit message of orbos.
type Trailers map[string]string

// String renders the trailers, one per line, sorted by key. Values are single lines.
func (t Trailers) String() string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, oneLine(t[k]))
	}
	return b.String()
}

// ParseTrailers reads the trailers of an orbos commit message: the "Orbos-*: value" lines of its
// last paragraph.
func ParseTrailers(message string) Trailers {
	paragraphs := strings.Split(strings.TrimSpace(message), "\n\n")
	t := Trailers{}
	for _, line := range strings.Split(paragraphs[len(paragraphs)-1], "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if ok && strings.HasPrefix(k, "Orbos-") {
			t[k] = v
		}
	}
	return t
}

// Message is a commit message: subject, optional body, trailers.
func Message(subject, body string, t Trailers) string {
	msg := oneLine(subject) + "\n"
	if body = strings.TrimSpace(body); body != "" {
		msg += "\n" + body + "\n"
	}
	return msg + "\n" + t.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

var opWords = map[string]string{
	string(apitype.OpCreate): "created", string(apitype.OpUpdate): "updated", string(apitype.OpDelete): "deleted",
	string(apitype.OpReplace): "replaced", string(apitype.OpRefresh): "refreshed", string(apitype.OpImport): "imported",
}

// DescribeChanges says "2 created, 1 updated"; empty when nothing changed.
func DescribeChanges(c map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(c) {
		w := opWords[k]
		if w == "" {
			w = k
		}
		parts = append(parts, fmt.Sprintf("%d %s", c[k], w))
	}
	return strings.Join(parts, ", ")
}

// ChangesTrailer is the value of KeyChanges: "create=2,update=1", or "none".
func ChangesTrailer(c map[string]int) string {
	var parts []string
	for _, k := range sortedKeys(c) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ",")
}

func sortedKeys(c map[string]int) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
