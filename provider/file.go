package provider

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"

	"github.com/orbos/orbos/internal/sshexec"
)

// File is a file on a machine, written atomically as root and read back, so that a change made
// behind orbos's back shows as drift. After writing, an optional script applies it (a reload).
type File struct{}

// FileArgs is the desired file.
type FileArgs struct {
	Connection Connection `json:"connection"`
	Path       string     `json:"path"`
	Content    string     `json:"content"`
	Mode       int        `json:"mode,omitempty"`
	// Apply runs (as root, with bash) after the file was written, e.g. a check and reload.
	Apply string `json:"apply,omitempty"`
	// Trigger: a new value writes and applies the file again (e.g. the machine was reset and joined
	// anew, which removed it).
	Trigger string `json:"trigger,omitempty"`
}

// FileState is the file as last seen.
type FileState struct {
	FileArgs
	LegacyPin
}

func (a FileArgs) write(ctx context.Context, s *session) error {
	if a.Mode == 0 {
		a.Mode = 0o644
	}
	if err := s.Upload(ctx, a.Path, []byte(a.Content), uint32(a.Mode)); err != nil {
		return err
	}
	if a.Apply != "" {
		if _, err := s.run(ctx, a.Apply); err != nil {
			return err
		}
	}
	return nil
}

// Diff: any change of the file is an update in place.
func (*File) Diff(_ context.Context, req DiffRequest[FileArgs, FileState]) (DiffResponse, error) {
	old, new := req.State.FileArgs, req.Inputs
	if new.Mode == 0 {
		new.Mode = 0o644
	}
	d := map[string]p.PropertyDiff{}
	upd := p.PropertyDiff{Kind: p.Update, InputDiff: true}
	if old.Content != new.Content {
		d["content"] = upd
	}
	if old.Mode != new.Mode {
		d["mode"] = upd
	}
	if old.Path != new.Path {
		d["path"] = upd
	}
	if old.Trigger != new.Trigger {
		d["trigger"] = upd
	}
	if old.Apply != new.Apply {
		d["apply"] = upd
	}
	if old.Connection != new.Connection {
		d["connection"] = upd
	}
	return DiffResponse{HasChanges: len(d) > 0, DetailedDiff: d}, nil
}

func (*File) Create(ctx context.Context, req CreateRequest[FileArgs]) (CreateResponse[FileState], error) {
	st := FileState{FileArgs: req.Inputs}
	if st.Mode == 0 {
		st.Mode = 0o644
	}
	id := req.Inputs.Connection.Machine + ":" + req.Inputs.Path
	if req.DryRun {
		return CreateResponse[FileState]{ID: id, Output: st}, nil
	}
	s, err := connect(ctx, req.Inputs.Connection)
	if err != nil {
		return CreateResponse[FileState]{}, err
	}
	defer s.Close()
	if err := req.Inputs.write(ctx, s); err != nil {
		return CreateResponse[FileState]{}, err
	}
	return CreateResponse[FileState]{ID: id, Output: st}, nil
}

// Read reads the file back; a missing file is a deleted resource.
func (*File) Read(ctx context.Context, req ReadRequest[FileArgs, FileState]) (ReadResponse[FileArgs, FileState], error) {
	st := req.State
	st.Connection = st.pinned(st.Connection)
	s, err := connect(ctx, st.Connection)
	if err != nil {
		return ReadResponse[FileArgs, FileState]{}, err
	}
	defer s.Close()
	res, err := s.Run(ctx, fmt.Sprintf("if [ -f %[1]s ]; then stat -c %%a %[1]s; cat %[1]s; else echo missing; fi", sshexec.Quote(st.Path)))
	if err != nil {
		return ReadResponse[FileArgs, FileState]{}, err
	}
	mode, content, _ := cutLine(res.Stdout)
	if mode == "missing" {
		return ReadResponse[FileArgs, FileState]{}, nil
	}
	var m int
	_, _ = fmt.Sscanf(mode, "%o", &m)
	st.Content, st.Mode = content, m
	inputs := req.Inputs
	inputs.Content, inputs.Mode = content, m
	return ReadResponse[FileArgs, FileState]{ID: req.ID, Inputs: inputs, State: st}, nil
}

func cutLine(s string) (first, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (*File) Update(ctx context.Context, req UpdateRequest[FileArgs, FileState]) (UpdateResponse[FileState], error) {
	st := req.State
	st.FileArgs = req.Inputs
	st.LegacyPin = LegacyPin{}
	if st.Mode == 0 {
		st.Mode = 0o644
	}
	if req.DryRun {
		return UpdateResponse[FileState]{Output: st}, nil
	}
	s, err := connect(ctx, req.Inputs.Connection)
	if err != nil {
		return UpdateResponse[FileState]{}, err
	}
	defer s.Close()
	if req.State.Path != req.Inputs.Path {
		if _, err := s.Run(ctx, "rm -f "+sshexec.Quote(req.State.Path)); err != nil {
			return UpdateResponse[FileState]{}, err
		}
	}
	if err := req.Inputs.write(ctx, s); err != nil {
		return UpdateResponse[FileState]{}, err
	}
	return UpdateResponse[FileState]{Output: st}, nil
}

func (*File) Delete(ctx context.Context, req DeleteRequest[FileState]) (DeleteResponse, error) {
	st := req.State
	s, err := connect(ctx, st.pinned(st.Connection))
	if err != nil {
		return DeleteResponse{}, err
	}
	defer s.Close()
	_, err = s.Run(ctx, "rm -f "+sshexec.Quote(req.State.Path))
	return DeleteResponse{}, err
}
