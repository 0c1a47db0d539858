// Package provider is orbos's native Pulumi provider, served by the orbctl binary itself: its
// resources run the host package's scripts on machines over SSH and read the machines back, so that
// `refresh` and the reconciler see drift on machines (what is installed, joined, prepared).
package provider

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/orbos/orbos/internal/sshexec"
)

// Name and Version of the provider plugin; programs register its resources with this version.
const (
	Name    = "orbos"
	Version = "0.1.0"
)

// PluginBinary is the executable name the engine starts: orbctl answers to it by serving the provider.
const PluginBinary = "pulumi-resource-" + Name

// Resource type tokens.
const (
	MachineType     = Name + ":host:Machine"
	KubeadmNodeType = Name + ":host:KubeadmNode"
	FileType        = Name + ":host:File"
)

var handlers = map[string]handler{
	MachineType:     handle[MachineArgs, MachineState](&Machine{}),
	KubeadmNodeType: handle[KubeadmNodeArgs, KubeadmNodeState](&KubeadmNode{}),
	FileType:        handle[FileArgs, FileState](&File{}),
}

func handlerOf(urn interface{ Type() tokens.Type }) (handler, error) {
	h, ok := handlers[string(urn.Type())]
	if !ok {
		return handler{}, fmt.Errorf("the orbos provider has no resource type %s", urn.Type())
	}
	return h, nil
}

// New builds the provider.
func New() p.Provider {
	return p.Provider{
		GetSchema: func(context.Context, p.GetSchemaRequest) (p.GetSchemaResponse, error) {
			return p.GetSchemaResponse{Schema: schema}, nil
		},
		CheckConfig: func(_ context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			return p.CheckResponse{Inputs: req.Inputs}, nil
		},
		Configure: func(context.Context, p.ConfigureRequest) error { return nil },
		Check: func(_ context.Context, req p.CheckRequest) (p.CheckResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.CheckResponse{}, err
			}
			failures, err := h.check(req.Inputs)
			for i := range failures {
				failures[i].Reason = secrets.String(failures[i].Reason)
			}
			return p.CheckResponse{Inputs: req.Inputs, Failures: failures}, secrets.Error(err)
		},
		Diff: func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.DiffResponse{}, err
			}
			res, err := h.diff(ctx, req)
			return res, secrets.Error(err)
		},
		Create: func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.CreateResponse{}, err
			}
			res, err := h.create(ctx, req)
			return res, secrets.Error(err)
		},
		Read: func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.ReadResponse{}, err
			}
			res, err := h.read(ctx, req)
			return res, secrets.Error(err)
		},
		Update: func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.UpdateResponse{}, err
			}
			res, err := h.update(ctx, req)
			return res, secrets.Error(err)
		},
		Delete: func(ctx context.Context, req p.DeleteRequest) error {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return err
			}
			return secrets.Error(h.delete(ctx, req))
		},
	}
}

// schema names the provider's resources; programs register them by token, so it carries no SDK.
const schema = `{"name":"orbos","version":"` + Version + `","resources":{"` + MachineType + `":{},"` + KubeadmNodeType + `":{},"` + FileType + `":{}}}`

// Serve runs the provider as a plugin for the Pulumi engine (it prints its port and serves gRPC
// until the engine is done with it).
func Serve(ctx context.Context) error {
	return p.RunProvider(ctx, Name, Version, New())
}

// Connection is how the provider logs in to a machine.
type Connection struct {
	// Machine names the machine in messages.
	Machine    string `json:"machine"`
	Address    string `json:"address"`
	Port       int    `json:"port,omitempty"`
	User       string `json:"user,omitempty"`
	PrivateKey string `json:"privateKey"`
	// HostKey is the machine's pinned host key. The machine's orbos:host:Machine resource pins it
	// and feeds it to every other resource of the machine; on a Machine itself, it is the key the
	// spec pins, if any.
	HostKey string `json:"hostKey,omitempty"`
}

// dial connects to c, verifying the host key pinned (empty: the machine's Machine resource is
// meeting it for the first time).
func dial(ctx context.Context, c Connection, pinned string) (*sshexec.Client, error) {
	if c.User == "" {
		c.User = "root"
	}
	secrets.Add(c.PrivateKey)
	return sshexec.Dial(ctx, sshexec.Target{
		Name: c.Machine, Address: c.Address, Port: c.Port, User: c.User, PrivateKey: c.PrivateKey, HostKey: pinned,
	}, sshexec.Options{Redactor: secrets})
}

// NotPinnedError is a machine's resource whose connection carries no pinned host key: the program
// must feed it the hostKey output of the machine's Machine resource.
type NotPinnedError struct{ Machine string }

func (e *NotPinnedError) Error() string {
	return fmt.Sprintf("machine %s: the connection has no pinned host key; the machine's %s resource pins it", e.Machine, MachineType)
}

// session is a connection for the length of one operation, with the machine's progress logged.
type session struct {
	*sshexec.Client
	log  p.Logger
	name string
}

func open(ctx context.Context, c Connection, pinned string) (*session, error) {
	cl, err := dial(ctx, c, pinned)
	if err != nil {
		return nil, err
	}
	return &session{Client: cl, log: p.GetLogger(ctx), name: c.Machine}, nil
}

// connect logs in to a machine with the host key its Machine resource pinned, and no other.
func connect(ctx context.Context, c Connection) (*session, error) {
	if c.HostKey == "" {
		return nil, &NotPinnedError{Machine: c.Machine}
	}
	return open(ctx, c, c.HostKey)
}

// LegacyPin is the host key a resource trusted itself in states written before machines had their
// own pin (orbos:host:Machine). Reads and deletes of such a state log in with it; nothing writes
// it again, and the first update gives the resource its machine's pin.
type LegacyPin struct {
	HostKey string `json:"hostKey,omitempty"`
}

// pinned is c with the legacy pin where the state's connection carries none.
func (l *LegacyPin) pinned(c Connection) Connection {
	if c.HostKey == "" {
		c.HostKey = l.HostKey
	}
	l.HostKey = ""
	return c
}

// run runs a rendered script, showing its step as the resource's status.
func (s *session) run(ctx context.Context, script string) (string, error) {
	s.log.InfoStatus(secrets.String(s.name + ": " + sshexec.Step(script)))
	res, err := s.Run(ctx, script)
	return res.Stdout, err
}
