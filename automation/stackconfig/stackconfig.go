// Package stackconfig reads and edits an ORB's stack config file (Pulumi.<orb>.yaml) in place, keeping
// its comments, and encrypts secrets exactly as Pulumi's passphrase secrets provider does (PBKDF2 +
// AES-256-GCM), so that orbctl needs no engine run to change the desired state.
package stackconfig

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"gopkg.in/yaml.v3"
)

// NewEncryptionSalt returns a fresh `encryptionsalt` value for passphrase: 8 random bytes and a
// known message encrypted with them, by which a wrong passphrase is recognised.
func NewEncryptionSalt(passphrase string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating salt: %w", err)
	}
	msg, err := config.NewSymmetricCrypterFromPassphrase(passphrase, salt).EncryptValue(context.Background(), "pulumi")
	if err != nil {
		return "", fmt.Errorf("encrypting salt check: %w", err)
	}
	return fmt.Sprintf("v1:%s:%s", base64.StdEncoding.EncodeToString(salt), msg), nil
}

// ErrWrongPassphrase means the passphrase does not open this ORB's secrets.
var ErrWrongPassphrase = errors.New("the passphrase in the orbconfig does not decrypt this ORB's secrets")

// NewCrypter returns the crypter for the stack file's encryptionsalt, having checked the passphrase.
func NewCrypter(passphrase, encryptionSalt string) (config.Crypter, error) {
	parts := strings.SplitN(encryptionSalt, ":", 3)
	if len(parts) != 3 || parts[0] != "v1" {
		return nil, fmt.Errorf("encryptionsalt has an unknown format")
	}
	salt, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("encryptionsalt is not base64: %w", err)
	}
	c := config.NewSymmetricCrypterFromPassphrase(passphrase, salt)
	if msg, err := c.DecryptValue(context.Background(), parts[2]); err != nil || msg != "pulumi" {
		return nil, ErrWrongPassphrase
	}
	return c, nil
}

// File is a parsed stack config file.
type File struct {
	doc yaml.Node
}

// Parse parses raw; an empty file is an empty document.
func Parse(raw []byte) (*File, error) {
	f := &File{}
	if err := yaml.Unmarshal(raw, &f.doc); err != nil {
		return nil, fmt.Errorf("stack config is not valid YAML: %w", err)
	}
	if f.doc.Kind == 0 {
		f.doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if f.root().Kind != yaml.MappingNode {
		return nil, fmt.Errorf("stack config must be a mapping")
	}
	return f, nil
}

func (f *File) root() *yaml.Node { return f.doc.Content[0] }

// EncryptionSalt returns the file's encryptionsalt.
func (f *File) EncryptionSalt() string {
	if n := lookup(f.root(), "encryptionsalt"); n != nil {
		return n.Value
	}
	return ""
}

// Bytes encodes the file with two-space indentation.
func (f *File) Bytes() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&f.doc); err != nil {
		return nil, fmt.Errorf("encoding stack config: %w", err)
	}
	return b.Bytes(), enc.Close()
}

// splitKey turns "orbos:orbiter.kubernetes.version" into ["orbos:orbiter", "kubernetes", "version"].
func splitKey(key string) ([]string, error) {
	parts := strings.Split(key, ".")
	if !strings.Contains(parts[0], ":") {
		return nil, fmt.Errorf("config key %q must start with a namespace, like orbos:orbiter", key)
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("config key %q has an empty part", key)
		}
	}
	return parts, nil
}

// Value is one config value as read from the file.
type Value struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
}

// Get returns the value at key; a secret is decrypted with c (nil: the value is "[secret]").
// A mapping is returned as YAML.
func (f *File) Get(key string, c config.Decrypter) (Value, error) {
	parts, err := splitKey(key)
	if err != nil {
		return Value{}, err
	}
	n := lookup(f.root(), "config")
	for _, p := range parts {
		if n = lookup(n, p); n == nil {
			return Value{}, fmt.Errorf("config key %q is not set", key)
		}
	}
	if ct, ok := secure(n); ok {
		v := Value{Key: key, Value: "[secret]", Secret: true}
		if c != nil {
			if v.Value, err = c.DecryptValue(context.Background(), ct); err != nil {
				return Value{}, fmt.Errorf("decrypting %s: %w", key, err)
			}
		}
		return v, nil
	}
	if n.Kind == yaml.ScalarNode {
		return Value{Key: key, Value: n.Value}, nil
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return Value{}, fmt.Errorf("encoding %s: %w", key, err)
	}
	return Value{Key: key, Value: strings.TrimRight(string(out), "\n")}, nil
}

// Set sets key to value, encrypted with c when secret, creating the mappings on its path. Comments
// of the file stay where they were.
func (f *File) Set(key, value string, secret bool, c config.Encrypter) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	var node *yaml.Node
	if secret {
		ct, err := c.EncryptValue(context.Background(), value)
		if err != nil {
			return fmt.Errorf("encrypting %s: %w", key, err)
		}
		node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{scalar("secure"), scalar(ct)}}
	} else {
		node = typed(value)
	}
	return f.put(key, parts, node)
}

// typed is a scalar node typed as YAML types numbers and booleans a user types into the file.
func typed(value string) *yaml.Node {
	node := scalar(value)
	var probe yaml.Node
	if yaml.Unmarshal([]byte(value), &probe) == nil && len(probe.Content) == 1 && probe.Content[0].Kind == yaml.ScalarNode &&
		probe.Content[0].Value == value {
		node.Tag = probe.Content[0].Tag
	}
	if node.Tag == "!!str" {
		node.Tag = ""
		node.Style = 0
		if strings.Contains(value, "\n") {
			node.Style = yaml.LiteralStyle
		}
	}
	return node
}

// SetList sets key to a list of scalar items (typed like Set's values), keeping the style of the
// list it replaces (flow [a, b] or a block); a new list is written in flow style.
func (f *File) SetList(key string, items []string) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	node := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, it := range items {
		if strings.Contains(it, "\n") {
			return fmt.Errorf("cannot set %s: an item has more than one line", key)
		}
		node.Content = append(node.Content, typed(it))
	}
	if old := f.lookupKey(parts); old != nil && old.Kind == yaml.SequenceNode {
		node.Style = old.Style
	}
	return f.put(key, parts, node)
}

func (f *File) lookupKey(parts []string) *yaml.Node {
	n := lookup(f.root(), "config")
	for _, p := range parts {
		if n = lookup(n, p); n == nil {
			return nil
		}
	}
	return n
}

// put places node at the key's path, creating the mappings on it and keeping the comments of the
// value it replaces.
func (f *File) put(key string, parts []string, node *yaml.Node) error {
	n := ensure(f.root(), "config")
	for _, p := range parts[:len(parts)-1] {
		if cur := lookup(n, p); cur != nil && cur.Kind != yaml.MappingNode {
			return fmt.Errorf("cannot set %s: %s is not a mapping", key, p)
		}
		n = ensure(n, p)
	}
	last := parts[len(parts)-1]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == last {
			node.HeadComment, node.LineComment = n.Content[i+1].HeadComment, n.Content[i+1].LineComment
			n.Content[i+1] = node
			return nil
		}
	}
	n.Content = append(n.Content, scalar(last), node)
	return nil
}

// Secrets lists the keys whose values are secrets, sorted.
func (f *File) Secrets() []string {
	var out []string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if _, ok := secure(n); ok {
			out = append(out, path)
			return
		}
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			walk(n.Content[i+1], p)
		}
	}
	if cfg := lookup(f.root(), "config"); cfg != nil {
		walk(cfg, "")
	}
	sort.Strings(out)
	return out
}

// DecryptAll returns the plaintext of every secret in the file, for redaction of output.
func (f *File) DecryptAll(c config.Decrypter) ([]string, error) {
	var out []string
	for _, key := range f.Secrets() {
		v, err := f.Get(key, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v.Value)
	}
	return out, nil
}

func secure(n *yaml.Node) (string, bool) {
	if n != nil && n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "secure" {
		return n.Content[1].Value, true
	}
	return "", false
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func ensure(n *yaml.Node, key string) *yaml.Node {
	if c := lookup(n, key); c != nil {
		if c.Kind != yaml.MappingNode {
			c.Kind, c.Tag, c.Value, c.Content = yaml.MappingNode, "!!map", "", nil
		}
		return c
	}
	c := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	n.Content = append(n.Content, scalar(key), c)
	return c
}
