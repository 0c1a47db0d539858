// Package stacks holds the ORB program: the typed spec decoded from an ORB's stack config file
// (Pulumi.<orb>.yaml), its defaults and validation, and Program(spec), which composes the components.
package stacks

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// APIVersion is the only spec version this orbos reads; later versions migrate from it.
const APIVersion = "orbos.io/v1alpha1"

// Project is the Pulumi project name of every ORB; the ORB's name is the stack name.
const Project = "orbos"

// Config keys of the stack config.
const (
	KeyOrbiter    = "orbos:orbiter"
	KeyBoom       = "orbos:boom"
	KeyKubeconfig = "orbos:kubeconfig"
)

// StackFile is Pulumi.<orb>.yaml: the ORB's desired state.
type StackFile struct {
	EncryptionSalt  string `yaml:"encryptionsalt"`
	SecretsProvider string `yaml:"secretsprovider"`
	EncryptedKey    string `yaml:"encryptedkey"`
	Config          Config `yaml:"config" orbos:"required"`
}

// Config is the stack config: one section per part of the ORB, each with its own apiVersion.
type Config struct {
	Orbiter Orbiter `yaml:"orbos:orbiter" orbos:"required"`
	Boom    *Boom   `yaml:"orbos:boom"`
	// Kubeconfig reaches the cluster the ORB deploys to, until ORBITER creates clusters itself.
	Kubeconfig Secret `yaml:"orbos:kubeconfig" doc:"encrypted kubeconfig of an existing cluster to deploy to"`
}

// Orbiter is the infrastructure and Kubernetes section.
type Orbiter struct {
	APIVersion    string         `yaml:"apiVersion" orbos:"required" doc:"version of this section: orbos.io/v1alpha1"`
	Providers     *Providers     `yaml:"providers" doc:"where the machines come from: gce or static"`
	LoadBalancing *LoadBalancing `yaml:"loadBalancing" doc:"virtual IPs and their transports; a kubeapi transport is mandatory with a provider"`
	Firewall      *Firewall      `yaml:"firewall" doc:"source ranges allowed to reach SSH, the Kubernetes API and ingress"`
	Kubernetes    Kubernetes     `yaml:"kubernetes" orbos:"required"`
}

// Kubernetes is the desired cluster.
type Kubernetes struct {
	// Version is the desired Kubernetes version, vMAJOR.MINOR.PATCH.
	Version string `yaml:"version" orbos:"required" doc:"desired Kubernetes version, vMAJOR.MINOR.PATCH"`
	// Namespace holds orbos's own objects in the cluster; default orbos-system.
	Namespace    string        `yaml:"namespace" doc:"namespace of orbos's own objects; default orbos-system"`
	ControlPlane *ControlPlane `yaml:"controlPlane" doc:"the control-plane pool and its node count"`
	Workers      []WorkerPool  `yaml:"workers" doc:"worker pools"`
	Networking   *Networking   `yaml:"networking" doc:"CNI and address ranges"`
}

// Boom is the platform tools section.
type Boom struct {
	APIVersion string          `yaml:"apiVersion" orbos:"required"`
	Tools      map[string]Tool `yaml:"tools"`
}

// Tool is one platform tool, installed as a Helm release.
type Tool struct {
	Enabled bool   `yaml:"enabled"`
	Version string `yaml:"version" orbos:"required"`
}

// Secret is a value that must be encrypted in the stack file: `{secure: <ciphertext>}`.
type Secret struct {
	Ciphertext string
	// Plaintext is set when the file holds the value unencrypted, which validation refuses.
	Plaintext bool
	set       bool
}

// IsSet reports whether the file has the value at all.
func (s Secret) IsSet() bool { return s.set }

// UnmarshalYAML accepts {secure: ...}; a plain scalar is remembered as plaintext (and refused later)
// without keeping its value.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	s.set = true
	switch n.Kind {
	case yaml.ScalarNode:
		s.Plaintext = true
		return nil
	case yaml.MappingNode:
		if len(n.Content) == 2 && n.Content[0].Value == "secure" && n.Content[1].Kind == yaml.ScalarNode {
			s.Ciphertext = n.Content[1].Value
			return nil
		}
	}
	return fmt.Errorf("must be a secret, {secure: <ciphertext>}, as `orbctl config set --secret` writes it")
}

// Spec is a decoded, defaulted and validated ORB.
type Spec struct {
	Orb  string
	File StackFile
}

// Kubernetes returns the desired cluster with defaults applied.
func (s *Spec) Kubernetes() Kubernetes { return s.File.Config.Orbiter.Kubernetes }

// Tools returns the enabled platform tools and their versions, sorted by name.
func (s *Spec) Tools() []NamedTool {
	var out []NamedTool
	if b := s.File.Config.Boom; b != nil {
		for name, t := range b.Tools {
			if t.Enabled {
				out = append(out, NamedTool{Name: name, Version: t.Version})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NamedTool is an enabled tool.
type NamedTool struct{ Name, Version string }

// StackFileName is the name of an ORB's desired-state file.
func StackFileName(orb string) string { return "Pulumi." + orb + ".yaml" }

// Parse decodes, defaults and validates an ORB's stack file. Every wrong field is reported at once,
// by path, in a *ValidationError.
func Parse(orb string, raw []byte) (*Spec, error) {
	file := StackFileName(orb)
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, &ValidationError{File: file, Errors: []FieldError{{Path: "(file)", Message: redactYAML(err)}}}
	}
	var e errs
	spec := &Spec{Orb: orb}
	if doc.Kind == 0 {
		e.add("config", nil, "required")
	} else {
		decodeStrict(&doc, reflect.ValueOf(&spec.File).Elem(), "", &e)
	}
	spec.applyDefaults()
	spec.validate(&e)
	if len(e.list) > 0 {
		return nil, &ValidationError{File: file, Errors: e.sorted()}
	}
	return spec, nil
}

// redactYAML keeps a YAML syntax error's position but not the quoted text, which may be a secret.
func redactYAML(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		end := i + len("line ")
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return "not valid YAML at " + msg[i:end]
	}
	return "not valid YAML"
}

func (s *Spec) applyDefaults() {
	k := &s.File.Config.Orbiter.Kubernetes
	if k.Namespace == "" {
		k.Namespace = "orbos-system"
	}
	s.orbiterDefaults()
}

var (
	versionRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)
	toolName  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)
	chartVer  = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)
)

func (s *Spec) validate(e *errs) {
	c := s.File.Config
	const orbiter = "config." + KeyOrbiter
	if v := c.Orbiter.APIVersion; v != "" && v != APIVersion {
		e.add(orbiter+".apiVersion", nil, "unsupported version %q (this orbctl reads %s)", v, APIVersion)
	}
	if v := c.Orbiter.Kubernetes.Version; v != "" && !versionRE.MatchString(v) {
		e.add(orbiter+".kubernetes.version", nil, "%q is not a version like v1.31.4", v)
	}
	if ns := c.Orbiter.Kubernetes.Namespace; !dnsLabel.MatchString(ns) {
		e.add(orbiter+".kubernetes.namespace", nil, "%q is not a DNS label (lower-case letters, digits and inner dashes, at most 63)", ns)
	}
	s.validateOrbiter(e)
	if !c.Kubeconfig.IsSet() && c.Orbiter.Providers == nil {
		e.add("config."+KeyKubeconfig, nil, "required without a provider: the kubeconfig of the cluster to deploy to")
	}
	if c.Kubeconfig.Plaintext {
		e.add("config."+KeyKubeconfig, nil, "is in plaintext: a kubeconfig holds credentials; set it with `orbctl config set --secret %s --from-file FILE`", KeyKubeconfig)
	}
	if b := c.Boom; b != nil {
		const boom = "config." + KeyBoom
		if b.APIVersion != "" && b.APIVersion != APIVersion {
			e.add(boom+".apiVersion", nil, "unsupported version %q (this orbctl reads %s)", b.APIVersion, APIVersion)
		}
		for name, t := range b.Tools {
			p := boom + ".tools." + name
			if !toolName.MatchString(name) {
				e.add(p, nil, "tool names are lower-case letters, digits and dashes")
			}
			if t.Version != "" && !chartVer.MatchString(t.Version) {
				e.add(p+".version", nil, "%q is not a pinned chart version like 1.2.3", t.Version)
			}
		}
	}
	if s.File.SecretsProvider != "" && s.File.SecretsProvider != "passphrase" {
		e.add("secretsprovider", nil, "orbos uses the passphrase secrets provider, not %q", s.File.SecretsProvider)
	}
	if s.File.EncryptionSalt == "" {
		e.add("encryptionsalt", nil, "required: the file was not written by `orbctl init`")
	}
}
