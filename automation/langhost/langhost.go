// Package langhost serves the ORB program to the Pulumi CLI as a language runtime of its own,
// "orbos": a project whose Pulumi.yaml says `runtime: orbos` (this repository's) is run by
// `pulumi preview` and `pulumi up` with the same program orbctl runs inline, in the orbctl process
// the CLI starts as its language plugin. (Pulumi's Go language host, which would build and run a
// `runtime: go` program, is not part of the tools orbos builds; a program of one binary needs none.)
package langhost

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/orbos/orbos/provider"
)

// Runtime is the runtime name of the project file; PluginBinary the plugin the CLI starts for it.
const (
	Runtime      = "orbos"
	PluginBinary = "pulumi-language-" + Runtime
	// Version of the language plugin as Pulumi's home records it.
	Version = "0.1.0"
)

// Serve serves prog as the language runtime until the CLI stops the plugin: it prints the port it
// listens on, as a Pulumi plugin does, and runs prog for every Run the engine asks for.
func Serve(prog pulumi.RunFunc) error {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, &server{prog: prog})
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		return fmt.Errorf("serving the orbos language runtime: %w", err)
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}

type server struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	prog pulumi.RunFunc
}

// GetRequiredPlugins: the program's providers are installed by orbctl (the kubernetes plugin it
// was built with, and itself as the orbos provider); the engine loads them as resources need them.
func (s *server) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (s *server) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// InstallDependencies has nothing to install: the program is compiled into orbctl.
func (s *server) InstallDependencies(*pulumirpc.InstallDependenciesRequest, pulumirpc.LanguageRuntime_InstallDependenciesServer) error {
	return nil
}

// Run runs the program against the engine's resource monitor, as the Automation API runs an
// inline program.
func (s *server) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if dir := req.GetInfo().GetProgramDirectory(); dir != "" {
		// Local charts and manifests are found relative to the project (see program.RepoEnv).
		if err := os.Chdir(dir); err != nil {
			return nil, err
		}
	} else if pwd := req.GetPwd(); pwd != "" {
		if err := os.Chdir(pwd); err != nil {
			return nil, err
		}
	}
	var engine string
	if len(req.Args) > 0 {
		engine = req.Args[0]
	}
	pctx, err := pulumi.NewContext(ctx, pulumi.RunInfo{
		EngineAddr:       engine,
		MonitorAddr:      req.GetMonitorAddress(),
		Config:           req.GetConfig(),
		ConfigSecretKeys: req.GetConfigSecretKeys(),
		Project:          req.GetProject(),
		Stack:            req.GetStack(),
		Parallel:         req.GetParallel(),
		DryRun:           req.GetDryRun(),
		Organization:     req.GetOrganization(),
	})
	if err != nil {
		return nil, err
	}
	defer pctx.Close()
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the ORB program panicked: %v", r)
			}
		}()
		return pulumi.RunWithContext(pctx, s.prog)
	}()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// Install makes the language plugin available in Pulumi's home: a link named PluginBinary to the
// orbctl binary bin, which serves the runtime when started under that name (as it serves the
// orbos provider).
func Install(pulumiHome, bin string) error {
	if err := provider.LinkPlugin(pulumiHome, "language-"+Runtime+"-v"+Version, PluginBinary, bin); err != nil {
		return fmt.Errorf("installing the orbos language plugin: %w", err)
	}
	return nil
}
