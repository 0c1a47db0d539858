package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

// version is orbctl's release, set when it is built for one: -ldflags "-X main.version=v0.2.0".
// Without it, orbctl names the module version and the commit Go recorded at build time.
var version = ""

// buildVersion is orbctl's own version.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// versionInfo is what `orbctl version` prints.
type versionInfo struct {
	Orbctl buildVersion `json:"orbctl"`
	automation.Versions
}

func readBuildVersion() buildVersion {
	b := buildVersion{Version: version, Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show the versions of orbctl, the Pulumi engine, the providers and the spec it reads",
		Long: `version prints orbctl's version and commit, the Pulumi CLI it runs the engine with (and that
CLI's version), the Automation API built in, the kubernetes and orbos provider plugins ORB programs
use, and the apiVersions of Pulumi.<orb>.yaml it reads. orbctl --version prints the same.`,
		Example: "  orbctl version\n  orbctl version -o json | jq -r .engine.version",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.printVersion() },
	}
}

func (a *app) printVersion() error {
	v := versionInfo{Orbctl: readBuildVersion(), Versions: automation.ReadVersions()}
	if a.structured() {
		return a.print(v)
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	o := v.Orbctl
	build := o.Go
	if o.Commit != "" {
		commit := o.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if o.Modified {
			commit += ", modified"
		}
		build = "commit " + commit + ", " + build
	}
	fmt.Fprintf(w, "orbctl:\t%s (%s)\n", o.Version, build)
	if e := v.Engine; e.Error != "" {
		fmt.Fprintf(w, "Pulumi engine:\tnot found: %s\n", e.Error)
	} else {
		fmt.Fprintf(w, "Pulumi engine:\t%s (%s)\n", e.Version, e.Path)
	}
	fmt.Fprintf(w, "Automation API:\t%s\n", dash(v.AutomationAPI))
	fmt.Fprintf(w, "Providers:\tkubernetes %s, orbos %s (served by orbctl)\n", v.Providers.Kubernetes, v.Providers.Orbos)
	fmt.Fprintf(w, "Spec:\t%s\n", strings.Join(v.APIVersions, ", "))
	return w.Flush()
}
