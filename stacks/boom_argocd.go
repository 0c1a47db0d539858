package stacks

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// ArgoCD is what the reconciling tool (Argo CD) is given beyond its chart: the repositories it may
// read and the credentials for them. Each becomes a Secret Argo CD reads by its label; the
// credentials are stack secrets, named here and never written in plaintext.
type ArgoCD struct {
	Repositories []ArgoRepository `yaml:"repositories" doc:"repositories Argo CD reads, each a Secret labelled argocd.argoproj.io/secret-type: repository"`
	// CredentialTemplates serve every repository whose URL starts with theirs.
	CredentialTemplates []ArgoCredentialTemplate `yaml:"credentialTemplates" doc:"credentials for every repository whose URL starts with the template's url, each a Secret labelled argocd.argoproj.io/secret-type: repo-creds"`
	// Applications are applied after Argo CD (its CRDs and the chart).
	Applications []ArgoApplication `yaml:"applications" doc:"Argo CD Applications, each deploying a directory of one of the git repositories above"`
}

// ArgoApplication is an Argo CD Application: a directory of a git repository deployed into a
// namespace of this cluster.
type ArgoApplication struct {
	Name       string `yaml:"name" orbos:"required" doc:"the Application's name: lower-case letters, digits and dashes"`
	Repository string `yaml:"repository" orbos:"required" doc:"the name of a git repository in repositories"`
	Path       string `yaml:"path" doc:"directory inside the repository; default its top"`
	Revision   string `yaml:"revision" doc:"branch, tag or commit; default HEAD"`
	Namespace  string `yaml:"namespace" orbos:"required" doc:"the namespace the Application deploys into"`
	Project    string `yaml:"project" doc:"the Argo CD project; default default"`
	Automated  bool   `yaml:"automated" doc:"sync on every change, pruning what the repository dropped and undoing drift"`
}

// ArgoRepository is one repository Argo CD reads.
type ArgoRepository struct {
	Name        string           `yaml:"name" orbos:"required" doc:"the repository's name in Argo CD and in its Secret's name (repo-NAME): lower-case letters, digits and dashes"`
	URL         string           `yaml:"url" orbos:"required" doc:"https://host/path, ssh://user@host[:port]/path or user@host:path (ssh for git only)"`
	Type        string           `yaml:"type" enum:"git,helm" doc:"git (default) or helm (an https:// Helm repository)"`
	Project     string           `yaml:"project" doc:"the Argo CD project the repository belongs to; empty: every project"`
	Credentials *ArgoCredentials `yaml:"credentials" doc:"how Argo CD signs in; none for a public repository or one a credential template serves"`
}

// ArgoCredentialTemplate is a set of credentials for every repository under a URL prefix.
type ArgoCredentialTemplate struct {
	Name        string          `yaml:"name" orbos:"required" doc:"the template's Secret's name (creds-NAME): lower-case letters, digits and dashes"`
	URL         string          `yaml:"url" orbos:"required" doc:"the URL prefix the credentials serve, e.g. https://github.com/example"`
	Credentials ArgoCredentials `yaml:"credentials" orbos:"required" doc:"the credentials"`
}

// ArgoCredentials are one of: a username and a password, a token, or an SSH private key; each
// secret part names a stack secret (orbos:secrets.NAME).
type ArgoCredentials struct {
	Username            string `yaml:"username" doc:"user name (plain text) with passwordSecret; with tokenSecret optional (default git)"`
	PasswordSecret      string `yaml:"passwordSecret" doc:"stack secret holding the password (https)"`
	TokenSecret         string `yaml:"tokenSecret" doc:"stack secret holding an access token (https), sent as the password"`
	SSHPrivateKeySecret string `yaml:"sshPrivateKeySecret" doc:"stack secret holding an SSH private key (ssh URLs)"`
}

// DefaultTokenUsername is the user name sent with a token: the Git hosts that take tokens as
// passwords accept any non-empty one.
const DefaultTokenUsername = "git"

// EffectiveUsername is the user name Argo CD sends.
func (c *ArgoCredentials) EffectiveUsername() string {
	if c.Username == "" && c.TokenSecret != "" {
		return DefaultTokenUsername
	}
	return c.Username
}

var (
	// scp-like Git URLs: user@host:path.
	scpURL = regexp.MustCompile(`^[A-Za-z0-9._-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[A-Za-z0-9._~/-]+$`)
	// A Git user name: printable, no ':' or '@' (they would end it in a URL).
	gitUser = regexp.MustCompile(`^[A-Za-z0-9._+-]{1,255}$`)
)

// argoURL says how a repository URL is reached: "https", "ssh", or "" with the reason it is neither.
func argoURL(u string) (kind, reason string) {
	if len(valid.Printable(u, true)) > 0 {
		return "", "must not contain white space or control characters"
	}
	if scpURL.MatchString(u) {
		if hasDotDot(u) {
			return "", "must not contain '..'"
		}
		return "ssh", ""
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return "", "is not a URL"
	}
	switch parsed.Scheme {
	case "https":
		if reason := httpsURL(u); reason != "" {
			return "", reason
		}
		return "https", ""
	case "ssh":
		if parsed.Host == "" || parsed.RawQuery != "" || parsed.Fragment != "" || hasDotDot(parsed.Path) {
			return "", "must be ssh://user@host[:port]/path, without query, fragment or '..'"
		}
		if _, set := parsed.User.Password(); set {
			return "", "must not hold a password: name a stack secret in credentials"
		}
		return "ssh", ""
	}
	return "", "is not an https:// URL, an ssh:// URL or user@host:path"
}

func (c *Config) validateArgoCD(p string, a *ArgoCD, e *errs) {
	seen := map[string]string{}
	for i, r := range a.Repositories {
		rp := fmt.Sprintf("%s.repositories[%d]", p, i)
		c.checkArgoName(rp+".name", "repo-", r.Name, seen, e)
		kind := ""
		if r.URL != "" {
			var reason string
			if kind, reason = argoURL(r.URL); reason != "" {
				e.add(rp+".url", nil, "%s %s", quoteShort(r.URL), reason)
			}
		}
		switch r.Type {
		case "", "git":
		case "helm":
			if kind == "ssh" {
				e.add(rp+".url", nil, "a Helm repository is reached over https://")
			}
		default:
			e.add(rp+".type", nil, "must be git or helm, not %s", quoteShort(r.Type))
		}
		if r.Project != "" {
			e.check(rp+".project", r.Project, valid.Name(r.Project))
		}
		if r.Credentials != nil {
			c.validateArgoCredentials(rp+".credentials", kind, *r.Credentials, e)
		}
	}
	c.validateArgoApplications(p, a, e)
	for i, t := range a.CredentialTemplates {
		tp := fmt.Sprintf("%s.credentialTemplates[%d]", p, i)
		c.checkArgoName(tp+".name", "creds-", t.Name, seen, e)
		kind := ""
		if t.URL != "" {
			var reason string
			if kind, reason = argoURL(t.URL); reason != "" {
				e.add(tp+".url", nil, "%s %s", quoteShort(t.URL), reason)
			}
		}
		c.validateArgoCredentials(tp+".credentials", kind, t.Credentials, e)
	}
}

// checkArgoName checks a repository's or template's name, which becomes a Secret's name after
// prefix, and that it is unique among them.
func (c *Config) checkArgoName(p, prefix, name string, seen map[string]string, e *errs) {
	if name == "" {
		return
	}
	if reasons := valid.Name(prefix + name); len(reasons) > 0 {
		e.check(p, name, reasons)
		return
	}
	if other, dup := seen[prefix+name]; dup {
		e.add(p, nil, "%s is taken by %s", quoteShort(name), other)
		return
	}
	seen[prefix+name] = p
}

// validateArgoCredentials checks that exactly one kind of credential is named, that it fits how
// the URL is reached (kind "https" or "ssh"; "" when the URL is wrong or absent), and that every
// stack secret it names exists.
func (c *Config) validateArgoCredentials(p, kind string, cr ArgoCredentials, e *errs) {
	set := 0
	for _, s := range []string{cr.PasswordSecret, cr.TokenSecret, cr.SSHPrivateKeySecret} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		e.add(p, nil, "name exactly one of passwordSecret (with username), tokenSecret or sshPrivateKeySecret")
	}
	c.checkSecretRef(p+".passwordSecret", cr.PasswordSecret, e)
	c.checkSecretRef(p+".tokenSecret", cr.TokenSecret, e)
	c.checkSecretRef(p+".sshPrivateKeySecret", cr.SSHPrivateKeySecret, e)
	if cr.Username != "" && !gitUser.MatchString(cr.Username) {
		e.add(p+".username", nil, "%s is not a user name (letters, digits, '.', '_', '+' and '-')", quoteShort(cr.Username))
	}
	switch {
	case cr.PasswordSecret != "" && cr.Username == "":
		e.add(p+".username", nil, "required with passwordSecret")
	case cr.SSHPrivateKeySecret != "" && cr.Username != "":
		e.add(p+".username", nil, "must be empty with sshPrivateKeySecret: the user is part of the ssh URL")
	}
	if kind == "ssh" && (cr.PasswordSecret != "" || cr.TokenSecret != "") {
		e.add(p, nil, "a password or token needs an https:// URL; an ssh URL takes sshPrivateKeySecret")
	}
	if kind == "https" && cr.SSHPrivateKeySecret != "" {
		e.add(p+".sshPrivateKeySecret", nil, "an SSH key needs an ssh URL (ssh://user@host/path or user@host:path)")
	}
}

// validateToolAccess checks the fields that only some tools take: argocd and sso.
func (c *Config) validateToolAccess(p string, b *Boom, e *errs) {
	for _, name := range SortedKeys(b.Tools) {
		t := b.Tools[name]
		tp := join(p+".tools", name)
		if t.ArgoCD != nil && blockBelongs("argocd", name) {
			c.validateArgoCD(tp+".argocd", t.ArgoCD, e)
		}
		if t.SSO != nil && blockBelongs("sso", name) {
			c.validateSSO(tp+".sso", name, t.SSO, e)
		}
	}
}

// revision is a Git branch, tag or commit as Argo CD takes it.
var revision = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,255}$`)

func (c *Config) validateArgoApplications(p string, a *ArgoCD, e *errs) {
	repos := map[string]ArgoRepository{}
	for _, r := range a.Repositories {
		repos[r.Name] = r
	}
	names := map[string]bool{}
	for i, app := range a.Applications {
		ap := fmt.Sprintf("%s.applications[%d]", p, i)
		if app.Name != "" {
			if reasons := valid.Name(app.Name); len(reasons) > 0 {
				e.check(ap+".name", app.Name, reasons)
			} else if names[app.Name] {
				e.add(ap+".name", nil, "%s names another application too", quoteShort(app.Name))
			}
			names[app.Name] = true
		}
		if app.Repository != "" {
			if r, ok := repos[app.Repository]; !ok {
				e.add(ap+".repository", nil, "%s is not the name of a repository in repositories", quoteShort(app.Repository))
			} else if r.Type == "helm" {
				e.add(ap+".repository", nil, "%s is a Helm repository: an application deploys a directory of a git repository", quoteShort(app.Repository))
			}
		}
		if app.Path != "" && (!repoPath.MatchString(app.Path) || hasDotDot(app.Path)) {
			e.add(ap+".path", nil, "%s is not a directory inside the repository (relative, without '..')", quoteShort(app.Path))
		}
		if app.Revision != "" && (!revision.MatchString(app.Revision) || strings.Contains(app.Revision, "..")) {
			e.add(ap+".revision", nil, "%s is not a branch, tag or commit", quoteShort(app.Revision))
		}
		if app.Namespace != "" {
			e.check(ap+".namespace", app.Namespace, valid.Name(app.Namespace))
		}
		if app.Project != "" {
			e.check(ap+".project", app.Project, valid.Name(app.Project))
		}
	}
}
