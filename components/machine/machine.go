// Package machine pins each machine's SSH host key once in the ORB's state, as an orbos:host:Machine
// resource, and hands the machine's other resources (its Kubernetes node, its load-balancer files)
// the connection that logs in with that key and no other. A node deleted and created again meets
// the machine it knew; only `orbctl node trust` and `orbctl node replace` accept another key.
package machine

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/provider"
)

// Args describe one machine and how orbos logs in to it.
type Args struct {
	// Name is the machine's ID; it names the resource.
	Name string
	// Address is where orbos logs in.
	Address pulumi.StringInput
	Port    int
	User    string
	// PrivateKey is the ORB's SSH key.
	PrivateKey pulumi.StringInput
	// HostKey is the key the spec pins (authorized_keys form); empty: the key the machine presents
	// when orbos first meets it.
	HostKey string
	// TrustRequest is the fingerprint `orbctl node trust` confirmed; ReplaceRequest the value of
	// `orbctl node replace`. A new value of either accepts a new host key, once.
	TrustRequest, ReplaceRequest string
}

// Machine is the pin as the program sees it.
type Machine struct {
	pulumi.CustomResourceState
	// HostKey is the pinned host key.
	HostKey     pulumi.StringOutput `pulumi:"hostKey"`
	Fingerprint pulumi.StringOutput `pulumi:"fingerprint"`

	args Args
}

// New registers the machine's pin.
func New(ctx *pulumi.Context, a Args, opts ...pulumi.ResourceOption) (*Machine, error) {
	if a.Port == 0 {
		a.Port = 22
	}
	if a.User == "" {
		a.User = "root"
	}
	m := &Machine{args: a}
	conn := m.connection(pulumi.String(a.HostKey))
	inputs := pulumi.Map{"connection": conn}
	if a.TrustRequest != "" {
		inputs["trustRequest"] = pulumi.String(a.TrustRequest)
	}
	if a.ReplaceRequest != "" {
		inputs["replaceRequest"] = pulumi.String(a.ReplaceRequest)
	}
	opts = append([]pulumi.ResourceOption{pulumi.Version(provider.Version)}, opts...)
	if err := ctx.RegisterResource(provider.MachineType, a.Name, inputs, m, opts...); err != nil {
		return nil, err
	}
	return m, nil
}

// Name is the machine's ID.
func (m *Machine) Name() string { return m.args.Name }

// Connection is how the machine's resources log in: with the pinned host key.
func (m *Machine) Connection() pulumi.Map { return m.connection(m.HostKey) }

func (m *Machine) connection(hostKey pulumi.StringInput) pulumi.Map {
	a := m.args
	return pulumi.Map{
		"machine": pulumi.String(a.Name), "address": a.Address, "port": pulumi.Int(a.Port), "user": pulumi.String(a.User),
		"privateKey": pulumi.ToSecret(a.PrivateKey), "hostKey": hostKey,
	}
}
