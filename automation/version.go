package automation

import (
	"runtime/debug"

	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// pulumiSDK is the module of Pulumi's Go SDK, whose Automation API drives the engine.
const pulumiSDK = "github.com/pulumi/pulumi/sdk/v3"

// Versions are the versions of what runs an ORB, as `orbctl version` shows them.
type Versions struct {
	Engine EngineVersion `json:"engine"`
	// AutomationAPI is the version of Pulumi's Go SDK built into this binary.
	AutomationAPI string           `json:"automationAPI"`
	Providers     ProviderVersions `json:"providers"`
	// APIVersions are the apiVersions of the desired-state sections this binary reads.
	APIVersions []string `json:"apiVersions"`
}

// EngineVersion is the Pulumi CLI that runs the engine.
type EngineVersion struct {
	Version string `json:"version,omitempty"`
	Path    string `json:"path,omitempty"`
	// Error says why the CLI could not be found or asked; orbctl still works for commands that need no engine.
	Error string `json:"error,omitempty"`
}

// ProviderVersions are the Pulumi resource providers ORB programs use.
type ProviderVersions struct {
	Kubernetes string `json:"kubernetes"`
	// Orbos is orbctl's own provider (machines over SSH), served by the orbctl binary.
	Orbos string `json:"orbos"`
}

// ReadVersions asks the Pulumi CLI orbctl would run for its version and reads the rest from this binary.
func ReadVersions() Versions {
	v := Versions{
		AutomationAPI: moduleVersion(pulumiSDK),
		Providers:     ProviderVersions{Kubernetes: program.KubernetesProviderVersion, Orbos: provider.Version},
		APIVersions:   []string{stacks.APIVersion},
	}
	path, err := tools.Find("pulumi")
	if err != nil {
		v.Engine.Error = err.Error()
		return v
	}
	v.Engine.Path = path
	cmd, err := pulumiCommand()
	if err != nil {
		v.Engine.Error = err.Error()
		return v
	}
	v.Engine.Version = "v" + cmd.Version().String()
	return v
}

// moduleVersion is the version of a module built into this binary; empty when it is not.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
