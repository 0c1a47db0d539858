// Package orbconfig reads and writes the orbconfig file: everything needed to operate an ORB that must
// never enter the ORB's repository (the passphrase, the deploy key).
package orbconfig

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/yamlpos"
)

// Config is the content of an orbconfig file.
type Config struct {
	// Orb is the ORB's name, which is also its Pulumi stack name.
	Orb string `yaml:"orb"`
	// Repository is the ORB repository's URL: a local path, file://, ssh:// or scp-like git@host:path.
	Repository string `yaml:"repository"`
	// Branch holding the desired state; defaults to main.
	Branch string `yaml:"branch,omitempty"`
	// Passphrase of Pulumi's passphrase secrets provider (ORBOS called it the masterkey).
	Passphrase string `yaml:"passphrase"`
	// DeployKey is a PEM private key for SSH remotes.
	DeployKey string `yaml:"deployKey,omitempty"`
	// KnownHosts holds known_hosts lines that pin the SSH remote's host key.
	KnownHosts string `yaml:"knownHosts,omitempty"`
}

// DefaultPath is where orbctl looks for the orbconfig when neither a flag nor ORBOS_CONFIG names one.
func DefaultPath() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return "orbconfig"
	}
	return filepath.Join(home, ".orb", "config")
}

// Load reads and checks an orbconfig file. It refuses files other users can read, because the
// passphrase decrypts every secret of the ORB.
func Load(path string) (*Config, error) { return load(path, 0o077) }

// LoadMounted reads an orbconfig that Kubernetes mounted from a Secret into a pod whose fsGroup
// owns it: such a file is readable by that group (mode 0440 whatever the volume's defaultMode),
// which holds only the pod's own user; a file readable by everyone is still refused.
func LoadMounted(path string) (*Config, error) { return load(path, 0o007) }

func load(path string, forbidden os.FileMode) (*Config, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("orbconfig %s does not exist: create an ORB with `orbctl init` or pass --orbconfig", path)
		}
		return nil, fmt.Errorf("reading orbconfig: %w", err)
	}
	if info.Mode().Perm()&forbidden != 0 {
		return nil, fmt.Errorf("orbconfig %s is readable by others (mode %04o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading orbconfig: %w", err)
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("orbconfig %s %w", path, err)
	}
	return c, nil
}

// Parse decodes and checks an orbconfig. Its errors never quote the content.
func Parse(raw []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		// yaml errors can quote the offending line, which may hold the passphrase: keep only the line number.
		return nil, fmt.Errorf("is not valid YAML or has unknown fields (%s)", redactYAMLError(err))
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("is incomplete: %w", err)
	}
	return &c, nil
}

func redactYAMLError(err error) string {
	if pos := yamlpos.Of(err); pos != "" {
		return pos
	}
	return "no line information"
}

func (c *Config) defaults() {
	if c.Branch == "" {
		c.Branch = "main"
	}
}

// Validate reports every missing field at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Orb == "" {
		errs = append(errs, errors.New("orb: required"))
	} else if err := ValidateOrbName(c.Orb); err != nil {
		errs = append(errs, fmt.Errorf("orb: %w", err))
	}
	if c.Repository == "" {
		errs = append(errs, errors.New("repository: required"))
	}
	if c.Passphrase == "" {
		errs = append(errs, errors.New("passphrase: required"))
	}
	return errors.Join(errs...)
}

// ValidateOrbName checks that name can be a stack name, a Kubernetes label value and a file name.
func ValidateOrbName(name string) error {
	if len(name) == 0 || len(name) > 40 {
		return fmt.Errorf("%q must be 1 to 40 characters", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(name)-1
		if !ok {
			return fmt.Errorf("%q may hold only lower-case letters, digits and inner dashes", name)
		}
	}
	return nil
}

// Save writes the orbconfig with mode 0600, creating its directory with mode 0700.
func (c *Config) Save(path string) error {
	c.defaults()
	if err := c.Validate(); err != nil {
		return err
	}
	raw, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding orbconfig: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating orbconfig directory: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return fmt.Errorf("writing orbconfig: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing orbconfig: %w", err)
	}
	return nil
}

// GeneratePassphrase returns 32 random bytes from crypto/rand, base64 encoded.
func GeneratePassphrase() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating passphrase: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// IsSSH reports whether the repository is reached over SSH (ssh:// or scp-like user@host:path).
func (c *Config) IsSSH() bool {
	u := c.Repository
	if strings.HasPrefix(u, "ssh://") {
		return true
	}
	if strings.Contains(u, "://") || strings.HasPrefix(u, "/") || strings.HasPrefix(u, ".") {
		return false
	}
	at, colon := strings.Index(u, "@"), strings.Index(u, ":")
	return at > 0 && colon > at
}

// Auth returns how go-git authenticates to the repository: nothing for local paths and file://
// remotes; for SSH the deploy key, with the host key verified against KnownHosts.
func (c *Config) Auth() (transport.AuthMethod, error) {
	if !c.IsSSH() {
		return nil, nil
	}
	var errs []error
	if c.DeployKey == "" {
		errs = append(errs, errors.New("deployKey: required for the SSH repository "+c.Repository))
	}
	if strings.TrimSpace(c.KnownHosts) == "" {
		errs = append(errs, errors.New("knownHosts: required for the SSH repository "+c.Repository+
			": orbos verifies the host key; get it with `ssh-keyscan HOST`"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("orbconfig: %w", errors.Join(errs...))
	}
	user := "git"
	if rest, ok := strings.CutPrefix(c.Repository, "ssh://"); ok {
		if at := strings.Index(rest, "@"); at > 0 && at < strings.Index(rest+"/", "/") {
			user = rest[:at]
		}
	} else if at := strings.Index(c.Repository, "@"); at > 0 {
		user = c.Repository[:at]
	}
	keys, err := gitssh.NewPublicKeys(user, []byte(c.DeployKey), "")
	if err != nil {
		return nil, errors.New("orbconfig: deployKey is not a usable private key (PEM or OpenSSH format, no passphrase)")
	}
	hostKeys, err := knownHostsCallback(c.KnownHosts)
	if err != nil {
		return nil, err
	}
	keys.HostKeyCallback = hostKeys
	return keys, nil
}

// knownHostsCallback verifies host keys against known_hosts lines; knownhosts reads files only.
func knownHostsCallback(lines string) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "orbos-known-hosts-*")
	if err != nil {
		return nil, fmt.Errorf("orbconfig: writing known hosts: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(lines + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("orbconfig: writing known hosts: %w", err)
	}
	f.Close()
	cb, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, fmt.Errorf("orbconfig: knownHosts is not in known_hosts format: %w", err)
	}
	return cb, nil
}
