// Command orbctl bootstraps and operates ORBs: Kubernetes clusters managed the GitOps way, each a
// Pulumi stack whose desired state, encrypted secrets and state live in the ORB's own Git repository.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/orbos/orbos/automation/langhost"
	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks/program"
)

// interruptMessage replaces the message printed on the first interrupt, for commands that run no
// engine (mission serves pages); nil keeps the engine's.
var interruptMessage atomic.Pointer[string]

func main() {
	// The Pulumi engine starts orbctl as the orbos provider plugin (see provider.Install).
	if filepath.Base(os.Args[0]) == provider.PluginBinary {
		if err := provider.Serve(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "orbos provider:", err)
			os.Exit(1)
		}
		return
	}
	// The Pulumi CLI starts orbctl as the language runtime of a `runtime: orbos` project (Pulumi.yaml).
	if filepath.Base(os.Args[0]) == langhost.PluginBinary {
		if err := langhost.Serve(program.Standalone); err != nil {
			fmt.Fprintln(os.Stderr, "orbos language runtime:", err)
			os.Exit(1)
		}
		return
	}
	// Helm, inside the kubernetes provider, runs orbctl as the post-renderer of BOOM's charts (see
	// components/boom): it is a filter of stdin to stdout, not a command for people.
	if len(os.Args) == 3 && os.Args[1] == boom.ManifestsCommand {
		if err := boom.FilterManifests(os.Stdin, os.Stdout, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "orbctl "+boom.ManifestsCommand+":", err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		msg := "orbctl: interrupted: stopping the engine and saving the state (interrupt again to abandon it)"
		if m := interruptMessage.Load(); m != nil {
			msg = *m
		}
		fmt.Fprintln(os.Stderr, msg)
		cancel()
		<-sigs
		os.Exit(exitInterrupted)
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
