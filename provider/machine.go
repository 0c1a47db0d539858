package provider

import (
	"context"
	"fmt"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/orbos/orbos/internal/sshexec"
)

// Machine pins one machine's SSH host key in the state, once per machine: the key the spec pins, or
// else the one the machine presents when orbos first meets it. Every other resource of the machine
// (its KubeadmNode, its Files) logs in with this resource's hostKey output and nothing else, so a node
// deleted and created again (scaled down and up, found gone by a refresh) still meets the machine
// it knew. Only two requests accept another key: a new TrustRequest (orbctl node trust M, which
// names the fingerprint the operator confirmed) and a new ReplaceRequest (orbctl node replace M).
type Machine struct{}

// MachineArgs is the machine as the spec describes it.
type MachineArgs struct {
	// Connection is how to reach the machine; its HostKey is the key the spec pins (empty: none).
	Connection Connection `json:"connection"`
	// TrustRequest is the SHA256 fingerprint of a new host key to accept (orbctl node trust).
	TrustRequest string `json:"trustRequest,omitempty"`
	// ReplaceRequest: a new value accepts the key the machine presents at that run (orbctl node replace).
	ReplaceRequest string `json:"replaceRequest,omitempty"`
}

// MachineState is the pin.
type MachineState struct {
	MachineArgs
	// HostKey is the pinned host key (authorized_keys form): every resource of the machine uses it.
	HostKey string `json:"hostKey"`
	// Fingerprint is HostKey's SHA256 fingerprint, as ssh-keygen -l prints it.
	Fingerprint string `json:"fingerprint"`
}

func (a MachineArgs) validate() error {
	if a.Connection.Machine == "" {
		return fmt.Errorf("machine: connection.machine is required")
	}
	if a.TrustRequest != "" && !strings.HasPrefix(a.TrustRequest, "SHA256:") {
		return fmt.Errorf("machine %s: trust %q is not a SHA256 fingerprint (SHA256:...)", a.Connection.Machine, a.TrustRequest)
	}
	if a.Connection.HostKey != "" {
		if _, err := sshexec.Fingerprint(a.Connection.HostKey); err != nil {
			return fmt.Errorf("machine %s: hostKey: %w", a.Connection.Machine, err)
		}
	}
	return nil
}

// pin logs in to the machine and returns the state pinning the key it presents: the spec's key
// when it pins one, else pinned when set; else only a key with the fingerprint trusted, when set;
// else (first use, a replace) whatever the machine presents.
func pin(ctx context.Context, a MachineArgs, pinned, trusted string) (MachineState, error) {
	want := a.Connection.HostKey
	if want == "" {
		want = pinned
	}
	s, err := open(ctx, a.Connection, want)
	if err != nil {
		return MachineState{}, err
	}
	defer s.Close()
	key := s.HostKey()
	fp, err := sshexec.Fingerprint(key)
	if err != nil {
		return MachineState{}, err
	}
	if want == "" && trusted != "" && fp != trusted {
		return MachineState{}, &sshexec.HostKeyError{Machine: a.Connection.Machine, Address: a.Connection.Address, Presented: fp, Pinned: trusted}
	}
	if want == "" {
		s.log.Infof("machine %s: pinned its host key %s", a.Connection.Machine, fp)
	}
	return MachineState{MachineArgs: a, HostKey: key, Fingerprint: fp}, nil
}

// Create pins the machine's key.
func (*Machine) Create(ctx context.Context, req CreateRequest[MachineArgs]) (CreateResponse[MachineState], error) {
	a := req.Inputs
	if err := a.validate(); err != nil {
		return CreateResponse[MachineState]{}, err
	}
	if req.DryRun {
		st := MachineState{MachineArgs: a, HostKey: a.Connection.HostKey}
		if st.HostKey == "" {
			return CreateResponse[MachineState]{ID: a.Connection.Machine, Output: st, Unknown: []string{"hostKey", "fingerprint"}}, nil
		}
		st.Fingerprint, _ = sshexec.Fingerprint(st.HostKey)
		return CreateResponse[MachineState]{ID: a.Connection.Machine, Output: st}, nil
	}
	st, err := pin(ctx, a, "", a.TrustRequest)
	if err != nil {
		return CreateResponse[MachineState]{}, err
	}
	return CreateResponse[MachineState]{ID: a.Connection.Machine, Output: st}, nil
}

// Read keeps the pin: it is the state's own fact, not the machine's (the machine's resources read
// the machine, with this key).
func (*Machine) Read(_ context.Context, req ReadRequest[MachineArgs, MachineState]) (ReadResponse[MachineArgs, MachineState], error) {
	return ReadResponse[MachineArgs, MachineState]{ID: req.ID, Inputs: req.Inputs, State: req.State}, nil
}

// accepts tells whether new inputs ask to accept another host key than the pinned one.
func accepts(old, new MachineArgs) bool {
	return new.TrustRequest != "" && new.TrustRequest != old.TrustRequest ||
		new.ReplaceRequest != "" && new.ReplaceRequest != old.ReplaceRequest
}

// Diff refuses a host key the spec pins anew unless a trust or replace request accepts it.
func (*Machine) Diff(_ context.Context, req DiffRequest[MachineArgs, MachineState]) (DiffResponse, error) {
	old, new := req.State, req.Inputs
	if k := new.Connection.HostKey; k != "" && k != old.HostKey && !accepts(old.MachineArgs, new) {
		fp, _ := sshexec.Fingerprint(k)
		return DiffResponse{}, fmt.Errorf("machine %s: the spec pins the host key %s, but the state pinned %s: if the machine was reinstalled on purpose, accept its new key with `orbctl node trust %s` (or `orbctl node replace %s`)",
			old.Connection.Machine, fp, old.Fingerprint, old.Connection.Machine, old.Connection.Machine)
	}
	d := map[string]p.PropertyDiff{}
	upd := p.PropertyDiff{Kind: p.Update, InputDiff: true}
	if old.Connection != new.Connection {
		d["connection"] = upd
	}
	if old.TrustRequest != new.TrustRequest {
		d["trustRequest"] = upd
	}
	if old.ReplaceRequest != new.ReplaceRequest {
		d["replaceRequest"] = upd
	}
	return DiffResponse{HasChanges: len(d) > 0, DetailedDiff: d}, nil
}

// Update keeps the pin, checking that the machine (at a new address, say) still presents it; a new
// trust or replace request pins the key the machine presents now.
func (*Machine) Update(ctx context.Context, req UpdateRequest[MachineArgs, MachineState]) (UpdateResponse[MachineState], error) {
	old, a := req.State, req.Inputs
	if err := a.validate(); err != nil {
		return UpdateResponse[MachineState]{}, err
	}
	accept := accepts(old.MachineArgs, a)
	if req.DryRun {
		st := old
		st.MachineArgs = a
		if accept && a.Connection.HostKey == "" {
			return UpdateResponse[MachineState]{Output: st, Unknown: []string{"hostKey", "fingerprint"}}, nil
		}
		return UpdateResponse[MachineState]{Output: st}, nil
	}
	pinned, trusted := old.HostKey, ""
	if accept {
		pinned = ""
		if !replaced(old.MachineArgs, a) {
			trusted = a.TrustRequest
		}
		p.GetLogger(ctx).Warningf("machine %s: accepting a new host key (%s)", a.Connection.Machine, acceptedBy(old.MachineArgs, a))
	}
	st, err := pin(ctx, a, pinned, trusted)
	if err != nil {
		return UpdateResponse[MachineState]{}, err
	}
	return UpdateResponse[MachineState]{Output: st}, nil
}

// replaced tells whether new inputs carry a new replace request: it accepts any key.
func replaced(old, new MachineArgs) bool {
	return new.ReplaceRequest != "" && new.ReplaceRequest != old.ReplaceRequest
}

func acceptedBy(old, new MachineArgs) string {
	if replaced(old, new) {
		return "orbctl node replace"
	}
	return "trusted " + new.TrustRequest + " by orbctl node trust"
}

// Delete forgets the pin: the machine left the ORB.
func (*Machine) Delete(context.Context, DeleteRequest[MachineState]) (DeleteResponse, error) {
	return DeleteResponse{}, nil
}
