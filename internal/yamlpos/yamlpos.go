// Package yamlpos keeps the position of a YAML error and drops the rest: yaml.v3 quotes the
// offending text, which may be a secret.
package yamlpos

import "strings"

// Of returns "line N" from a YAML error, or "" when it names no line.
func Of(err error) string {
	msg := err.Error()
	i := strings.Index(msg, "line ")
	if i < 0 {
		return ""
	}
	end := i + len("line ")
	for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
		end++
	}
	return msg[i:end]
}
