// Package provider is orbos's native Pulumi provider, served by the orbctl binary itself: its
// resources run the host package's scripts on machines over SSH and read the machines back, so that
// `refresh` and the reconciler see drift on machines (what is installed, joined, prepared).
package provider

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/orbos/orbos/internal/redact"
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
	KubeadmNodeType = Name + ":host:KubeadmNode"
	FileType        = Name + ":host:File"
)

var handlers = map[string]handler{
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
			return p.CheckResponse{Inputs: req.Inputs, Failures: failures}, err
		},
		Diff: func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.DiffResponse{}, err
			}
			return h.diff(ctx, req)
		},
		Create: func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.CreateResponse{}, err
			}
			return h.create(ctx, req)
		},
		Read: func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.ReadResponse{}, err
			}
			return h.read(ctx, req)
		},
		Update: func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return p.UpdateResponse{}, err
			}
			return h.update(ctx, req)
		},
		Delete: func(ctx context.Context, req p.DeleteRequest) error {
			h, err := handlerOf(req.Urn)
			if err != nil {
				return err
			}
			return h.delete(ctx, req)
		},
	}
}

// schema names the provider's resources; programs register them by token, so it carries no SDK.
const schema = `{"name":"orbos","version":"` + Version + `","resources":{"` + KubeadmNodeType + `":{},"` + FileType + `":{}}}`

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
	// HostKey pins the machine's host key; empty: the key presented first is kept in the state.
	HostKey string `json:"hostKey,omitempty"`
}

// dial connects to c; pinned, when set, is the host key the state already trusts.
func dial(ctx context.Context, c Connection, pinned string) (*sshexec.Client, error) {
	if c.User == "" {
		c.User = "root"
	}
	key := c.HostKey
	if key == "" {
		key = pinned
	}
	red := &redact.Redactor{}
	red.Add(c.PrivateKey)
	return sshexec.Dial(ctx, sshexec.Target{
		Name: c.Machine, Address: c.Address, Port: c.Port, User: c.User, PrivateKey: c.PrivateKey, HostKey: key,
	}, sshexec.Options{Redactor: red})
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

// run runs a rendered script, showing its step as the resource's status.
func (s *session) run(ctx context.Context, script string) (string, error) {
	s.log.InfoStatusf("%s: %s", s.name, sshexec.Step(script))
	res, err := s.Run(ctx, script)
	return res.Stdout, err
}
