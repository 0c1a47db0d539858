// Package statesecrets reads and re-encrypts the secrets of Pulumi's state files (checkpoints and
// their history) with the passphrase secrets provider: every value the state marks secret, wherever
// it sits. Redaction learns the plaintexts; passphrase rotation re-encrypts them in place, leaving
// every other byte of the files as Pulumi wrote them.
package statesecrets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// Crypters opens a state's secrets given the salt its secrets provider recorded.
type Crypters func(salt string) (config.Crypter, error)

// secret is one secret value of a document: its ciphertext, and whether it is a provider's copy of
// a resource's inputs (see inputsCopy).
type secret struct {
	ciphertext string
	inputsCopy bool
}

// inputsCopy is the output key under which pulumi-kubernetes' helm.sh/v3:Release keeps a copy of
// its inputs, marked secret as a whole whatever they hold (checkpointRelease): a release named
// gateway would make "gateway" a secret. The inputs themselves are in the state too, with the
// program's own secrets marked there, and the provider marks the same parts secret in the outputs.
const inputsCopy = "__inputs"

// find lists the ciphertexts of every secret object in a decoded JSON document; copied says v is
// under an inputsCopy key.
func find(v any, copied bool, out *[]secret) {
	switch v := v.(type) {
	case map[string]any:
		if v[sig.Key] == sig.Secret {
			var sv apitype.SecretV1
			if raw, err := json.Marshal(v); err == nil && json.Unmarshal(raw, &sv) == nil && sv.Ciphertext != "" {
				*out = append(*out, secret{ciphertext: sv.Ciphertext, inputsCopy: copied})
			}
			return
		}
		for k, e := range v {
			find(e, copied || k == inputsCopy, out)
		}
	case []any:
		for _, e := range v {
			find(e, copied, out)
		}
	}
}

// salts lists the passphrase salts the document's deployments record (the latest one of a
// checkpoint, or a history entry's).
func salts(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if sp, ok := v["secrets_providers"].(map[string]any); ok {
			if st, ok := sp["state"].(map[string]any); ok {
				if s, ok := st["salt"].(string); ok {
					*out = append(*out, s)
				}
			}
		}
		for _, e := range v {
			salts(e, out)
		}
	case []any:
		for _, e := range v {
			salts(e, out)
		}
	}
}

// Document is one state file's secrets.
type Document struct {
	raw     []byte
	secrets []secret
	salt    string
}

// Parse reads a state file (a checkpoint, a history entry, any JSON the file backend writes). A
// document without secrets has nothing to open.
func Parse(raw []byte) (*Document, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("not a state file: %w", err)
	}
	d := &Document{raw: raw}
	find(v, false, &d.secrets)
	var ss []string
	salts(v, &ss)
	for _, s := range ss {
		if d.salt != "" && s != d.salt {
			return nil, fmt.Errorf("the state file's deployments record two passphrase salts")
		}
		d.salt = s
	}
	if len(d.secrets) > 0 && d.salt == "" {
		return nil, fmt.Errorf("the state file holds secrets, but no passphrase secrets provider's salt")
	}
	return d, nil
}

// HasSecrets tells whether the document holds a secret.
func (d *Document) HasSecrets() bool { return len(d.secrets) > 0 }

// Plaintexts are the strings of every secret of the document (a secret object's strings one by one),
// except a provider's wholesale-secret copy of a resource's inputs (inputsCopy): what is secret in
// it is secret where the inputs themselves are recorded. Reencrypt still re-encrypts that copy.
func (d *Document) Plaintexts(ctx context.Context, open Crypters) ([]string, error) {
	if !d.HasSecrets() {
		return nil, nil
	}
	c, err := open(d.salt)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range d.secrets {
		if s.inputsCopy {
			continue
		}
		pt, err := c.DecryptValue(ctx, s.ciphertext)
		if err != nil {
			return nil, fmt.Errorf("decrypting a secret of the state: %w", err)
		}
		var v any
		if json.Unmarshal([]byte(pt), &v) != nil {
			out = append(out, pt)
			continue
		}
		leaves(v, &out)
	}
	return out, nil
}

func leaves(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		*out = append(*out, v)
	case map[string]any:
		for _, e := range v {
			leaves(e, out)
		}
	case []any:
		for _, e := range v {
			leaves(e, out)
		}
	}
}

// Reencrypt returns the document with every secret decrypted with the old passphrase's crypter
// and encrypted with to, and its salt replaced by toSalt; everything else stays byte for byte.
func (d *Document) Reencrypt(ctx context.Context, open Crypters, to config.Encrypter, toSalt string) ([]byte, error) {
	if d.salt == "" {
		return d.raw, nil
	}
	out := d.raw
	if d.HasSecrets() {
		from, err := open(d.salt)
		if err != nil {
			return nil, err
		}
		for _, s := range d.secrets {
			pt, err := from.DecryptValue(ctx, s.ciphertext)
			if err != nil {
				return nil, fmt.Errorf("decrypting a secret of the state: %w", err)
			}
			ct, err := to.EncryptValue(ctx, pt)
			if err != nil {
				return nil, fmt.Errorf("encrypting a secret of the state: %w", err)
			}
			out = bytes.ReplaceAll(out, quoted(s.ciphertext), quoted(ct))
		}
	}
	out = bytes.ReplaceAll(out, quoted(d.salt), quoted(toSalt))
	if _, err := Parse(out); err != nil {
		return nil, fmt.Errorf("re-encrypting the state: %w", err)
	}
	return out, nil
}

// quoted is a ciphertext or salt as a JSON string: base64 and colons need no escaping.
func quoted(s string) []byte { return []byte(`"` + s + `"`) }
