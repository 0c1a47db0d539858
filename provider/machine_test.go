package provider

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/test/testenv"
)

func needHosts(t *testing.T) {
	t.Helper()
	if os.Getenv(testenv.SkipEnv) == "1" {
		t.Skip(testenv.SkipEnv + "=1: skipping a test that needs sshd test hosts")
	}
}

// pinOf is what the program does: the machine's resources log in with its Machine's hostKey.
func pinOf(c Connection, st MachineState) Connection {
	c.HostKey = st.HostKey
	return c
}

// One machine, one pinned host key: its Machine pins the key on first use; its files log in with that
// key, also when they are deleted and created again; a new key (the machine reinstalled) is refused
// by every resource of the machine until a trust request naming its fingerprint, or a replace
// request, accepts it.
func TestHostKeyPinnedOncePerMachine(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m1", testenv.HostOptions{Address: "127.0.0.41"})
	ctx := context.Background()
	conn := Connection{Machine: "m1", Address: h.Address, Port: h.Port, User: "root", PrivateKey: h.ClientKey}
	m := &Machine{}

	created, err := m.Create(ctx, CreateRequest[MachineArgs]{Inputs: MachineArgs{Connection: conn}})
	if err != nil {
		t.Fatal(err)
	}
	pin := created.Output
	if pin.HostKey != h.HostKey || !strings.HasPrefix(pin.Fingerprint, "SHA256:") {
		t.Fatalf("pinned %q (%s), the machine presents %q", pin.HostKey, pin.Fingerprint, h.HostKey)
	}
	// A preview cannot know the key yet.
	if dry, _ := m.Create(ctx, CreateRequest[MachineArgs]{Inputs: MachineArgs{Connection: conn}, DryRun: true}); len(dry.Unknown) == 0 {
		t.Fatal("a preview's pin is not unknown")
	}

	// Without the pin, no resource of the machine logs in at all.
	f := &File{}
	file := FileArgs{Connection: conn, Path: "/etc/orbos/pinned.conf", Content: "one\n"}
	var np *NotPinnedError
	if _, err := f.Create(ctx, CreateRequest[FileArgs]{Inputs: file}); !errors.As(err, &np) {
		t.Fatalf("a file without the machine's pin: %v", err)
	}
	file.Connection = pinOf(conn, pin)
	fst, err := f.Create(ctx, CreateRequest[FileArgs]{Inputs: file})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Delete(ctx, DeleteRequest[FileState]{ID: fst.ID, State: fst.Output}); err != nil {
		t.Fatal(err)
	}

	// The machine is reinstalled behind orbos's back: it presents another key.
	h.Stop()
	if err := h.NewHostKey(); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	refused := func(what string, err error) {
		t.Helper()
		var hk *sshexec.HostKeyError
		if !errors.As(err, &hk) || !strings.Contains(err.Error(), "machine m1") {
			t.Fatalf("%s with a changed host key: %v", what, err)
		}
	}
	// The file created again (a node deleted and re-created) still meets the pinned key: refused.
	_, err = f.Create(ctx, CreateRequest[FileArgs]{Inputs: file})
	refused("a file created again", err)
	_, err = f.Read(ctx, ReadRequest[FileArgs, FileState]{ID: fst.ID, Inputs: file, State: fst.Output})
	refused("a file read", err)
	node := KubeadmNodeArgs{Connection: pinOf(conn, pin), NodeName: "m1", Role: "worker", Version: "v1.31.4", CNI: "calico"}
	_, err = (&KubeadmNode{}).Read(ctx, ReadRequest[KubeadmNodeArgs, KubeadmNodeState]{ID: "m1", Inputs: node, State: KubeadmNodeState{KubeadmNodeArgs: node}})
	refused("a node read", err)
	// The pin itself keeps the old key when nothing asks it to accept another.
	moved := MachineArgs{Connection: conn}
	_, err = m.Update(ctx, UpdateRequest[MachineArgs, MachineState]{State: pin, Inputs: moved})
	refused("the pin updated without a request", err)
	// A key pinned anew in the spec is refused too: only trust or replace accepts one.
	spec := MachineArgs{Connection: conn}
	spec.Connection.HostKey = testenv.StartHost(t, "other", testenv.HostOptions{Address: "127.0.0.42"}).HostKey
	if _, err := m.Diff(ctx, DiffRequest[MachineArgs, MachineState]{State: pin, Inputs: spec}); err == nil || !strings.Contains(err.Error(), "orbctl node trust m1") {
		t.Fatalf("a new key pinned in the spec without trust: %v", err)
	}

	// node trust with a fingerprint that is not the machine's: refused.
	wrong := MachineArgs{Connection: conn, TrustRequest: pin.Fingerprint}
	if d, err := m.Diff(ctx, DiffRequest[MachineArgs, MachineState]{State: pin, Inputs: wrong}); err != nil || !d.HasChanges {
		t.Fatalf("a trust request shows no change: %+v %v", d, err)
	}
	_, err = m.Update(ctx, UpdateRequest[MachineArgs, MachineState]{State: pin, Inputs: wrong})
	refused("trust of another fingerprint", err)
	// node trust with the new key's fingerprint: accepted, and the file logs in with the new pin.
	fp, err := sshexec.Fingerprint(h.HostKey)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := m.Update(ctx, UpdateRequest[MachineArgs, MachineState]{State: pin, Inputs: MachineArgs{Connection: conn, TrustRequest: fp}})
	if err != nil {
		t.Fatal(err)
	}
	if trusted.Output.HostKey != h.HostKey || trusted.Output.Fingerprint != fp {
		t.Fatalf("trusted %q, the machine presents %q", trusted.Output.HostKey, h.HostKey)
	}
	file.Connection = pinOf(conn, trusted.Output)
	if _, err := f.Create(ctx, CreateRequest[FileArgs]{Inputs: file}); err != nil {
		t.Fatalf("a file with the trusted pin: %v", err)
	}
	if h.File("/etc/orbos/pinned.conf") != "one\n" {
		t.Fatal("the file was not written")
	}
	// The same trust request again accepts nothing new.
	again := trusted.Output
	h.Stop()
	if err := h.NewHostKey(); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	_, err = m.Update(ctx, UpdateRequest[MachineArgs, MachineState]{State: again, Inputs: MachineArgs{Connection: conn, TrustRequest: fp}})
	refused("a trust request seen before", err)

	// node replace accepts the key the machine presents at that run.
	replaced, err := m.Update(ctx, UpdateRequest[MachineArgs, MachineState]{State: again, Inputs: MachineArgs{Connection: conn, TrustRequest: fp, ReplaceRequest: "2026-11-30T16:00:00Z"}})
	if err != nil {
		t.Fatal(err)
	}
	if replaced.Output.HostKey != h.HostKey {
		t.Fatalf("replace pinned %q, the machine presents %q", replaced.Output.HostKey, h.HostKey)
	}
}

// A state written before machines had their own pin keeps working: its resources read and delete
// with the host key they trusted themselves, and a read moves it into the connection.
func TestLegacyPin(t *testing.T) {
	needHosts(t)
	h := testenv.StartHost(t, "m2", testenv.HostOptions{Address: "127.0.0.43"})
	ctx := context.Background()
	conn := Connection{Machine: "m2", Address: h.Address, Port: h.Port, User: "root", PrivateKey: h.ClientKey}
	file := FileArgs{Connection: conn, Path: "/etc/orbos/legacy.conf", Content: "x\n", Mode: 0o644}
	if _, err := (&File{}).Create(ctx, CreateRequest[FileArgs]{Inputs: FileArgs{Connection: pinOf(conn, MachineState{HostKey: h.HostKey}), Path: file.Path, Content: file.Content}}); err != nil {
		t.Fatal(err)
	}
	old := FileState{FileArgs: file, LegacyPin: LegacyPin{HostKey: h.HostKey}}
	got, err := (&File{}).Read(ctx, ReadRequest[FileArgs, FileState]{ID: "m2:" + file.Path, Inputs: file, State: old})
	if err != nil || got.ID == "" {
		t.Fatalf("a legacy state's read: %+v %v", got, err)
	}
	if got.State.Connection.HostKey != h.HostKey || got.State.LegacyPin.HostKey != "" {
		t.Fatalf("the legacy pin was not moved into the connection: %+v", got.State)
	}
	if _, err := (&File{}).Delete(ctx, DeleteRequest[FileState]{State: old}); err != nil {
		t.Fatalf("a legacy state's delete: %v", err)
	}
}
