package stacks

import (
	"regexp"
	"strings"
)

// KeySecrets holds the credentials the ORB's parts take by name: DNS and remote-write tokens,
// OAuth client secrets, object-storage keys. Each is encrypted in the stack file:
//
//	orbctl config set --secret orbos:secrets.cloudflare-token --from-file token.txt
//
// A spec field that needs one names it (`apiTokenSecret: cloudflare-token`); the program puts the
// value into a Kubernetes Secret that the chart reads, never into chart values or the status.
const KeySecrets = "orbos:secrets"

// secretName is a stack secret's name: it becomes part of a config path and of Secret keys.
var secretName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (c *Config) validateSecrets(e *errs) {
	for _, name := range SortedKeys(c.Secrets) {
		p := join("config."+KeySecrets, name)
		if !secretName.MatchString(name) {
			e.add(p, nil, "secret names are lower-case letters, digits and dashes (at most 63)")
			continue
		}
		if c.Secrets[name].Plaintext {
			e.add(p, nil, "is in plaintext: set it with `orbctl config set --secret %s.%s --from-file FILE`", KeySecrets, name)
		}
	}
}

// checkSecretRef refuses a reference at path p to a stack secret the file does not hold. An empty
// name is left to the caller (whether the field is required depends on it).
func (c *Config) checkSecretRef(p, name string, e *errs) {
	if name == "" {
		return
	}
	if !secretName.MatchString(name) {
		e.add(p, nil, "%s is not a secret name (lower-case letters, digits and dashes)", quoteShort(name))
		return
	}
	if s, ok := c.Secrets[name]; !ok || !s.IsSet() {
		have := SortedKeys(c.Secrets)
		known := "the file holds none"
		if len(have) > 0 {
			known = "it holds " + strings.Join(have, ", ")
		}
		e.add(p, nil, "names the secret %s, which %s does not hold (%s): set it with `orbctl config set --secret %s.%s --from-file FILE`",
			quoteShort(name), KeySecrets, known, KeySecrets, name)
	}
}
