package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/mission/auth"
	"github.com/orbos/orbos/mission/commit"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/fleet"
	"github.com/orbos/orbos/mission/schemaform"
	"github.com/orbos/orbos/mission/textdiff"
	"github.com/orbos/orbos/stacks"
)

func (s *Server) changePage(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	_, repo, _, ok := s.orb(w, r, sess)
	if !ok {
		return
	}
	c, err := repo.Change(r.PathValue("commit"))
	if err != nil {
		s.message(w, http.StatusNotFound, sess, "No such entry", err.Error())
		return
	}
	s.render(w, http.StatusOK, "change", map[string]any{"Session": sess, "Orb": r.PathValue("orb"), "Change": c,
		"Desired": maskLines(c.Desired), "Status": maskLines(c.Status)})
}

// edit reads the posted form against the forms generated for the ORB's current spec: only values
// that differ become part of the edit; a value that cannot be one (not a number, not offered) is an
// error by path, like the spec's own.
func (s *Server) edit(r *http.Request, o *fleet.ORB) (commit.Edit, []stacks.FieldError, error) {
	forms, err := s.editForms(o)
	if err != nil {
		return commit.Edit{}, nil, err
	}
	changes, errs := schemaform.Changes(forms, r.PostForm)
	var e commit.Edit
	// The version goes its own way: the writer checks it is one the catalog offers, one step on.
	if v, ok := changes.Values[versionKey]; ok {
		e.KubernetesVersion = v
		delete(changes.Values, versionKey)
	}
	if len(changes.Values) > 0 {
		e.Values = changes.Values
	}
	if len(changes.Lists) > 0 {
		e.Lists = changes.Lists
	}
	return e, errs, nil
}

// prepare checks the role and applies the form to the desired state as last read; base is the
// commit it was read at.
func (s *Server) prepare(w http.ResponseWriter, r *http.Request, sess *auth.Session) (*config.Orb, *fleet.Repo, *commit.Result, bool) {
	conf, repo, role, ok := s.orb(w, r, sess)
	if !ok {
		return nil, nil, nil, false
	}
	if !config.AtLeast(role, config.RoleOperator) {
		s.message(w, http.StatusForbidden, sess, "Not allowed", "Your role on "+conf.Name+" is "+role+": editing needs operator or admin.")
		return nil, nil, nil, false
	}
	o := repo.Snapshot()
	if o.Spec == nil {
		s.message(w, http.StatusConflict, sess, "Cannot edit", "The desired state of "+conf.Name+" is invalid; fix it in the repository first.")
		return nil, nil, nil, false
	}
	if base := r.PostForm.Get("base"); base != o.Head {
		s.message(w, http.StatusConflict, sess, "Refused", commit.ErrMoved.Error())
		return nil, nil, nil, false
	}
	e, errs, err := s.edit(r, o)
	if err != nil {
		s.message(w, http.StatusInternalServerError, sess, "Cannot edit", err.Error())
		return nil, nil, nil, false
	}
	res, err := commit.Apply(conf.Name, []byte(o.Desired), e, s.fleet.Catalog().Next(o.Spec.Kubernetes().Version))
	if err != nil {
		s.message(w, http.StatusInternalServerError, sess, "Cannot edit", err.Error())
		return nil, nil, nil, false
	}
	res.Errors = append(errs, res.Errors...)
	return conf, repo, res, true
}

func (s *Server) editPreview(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	conf, repo, res, ok := s.prepare(w, r, sess)
	if !ok {
		return
	}
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, status, "edit", map[string]any{"Session": sess, "Conf": conf, "Result": res, "Base": repo.Snapshot().Head,
		"Diff": maskLines(textdiff.Context(textdiff.Lines(res.Before, res.After), 3)), "Form": r.PostForm})
}

func (s *Server) editCommit(w http.ResponseWriter, r *http.Request, sess *auth.Session) {
	conf, repo, res, ok := s.prepare(w, r, sess)
	if !ok {
		return
	}
	if len(res.Errors) > 0 {
		s.render(w, http.StatusUnprocessableEntity, "edit", map[string]any{"Session": sess, "Conf": conf, "Result": res,
			"Base": repo.Snapshot().Head, "Diff": maskLines(textdiff.Context(textdiff.Lines(res.Before, res.After), 3)), "Form": r.PostForm})
		return
	}
	var written *commit.Written
	err := repo.Lock(r.Context(), func(g *gitrepo.Repo) error {
		var err error
		written, err = commit.Write(r.Context(), g, commit.Request{Orb: conf.Name, Base: r.PostForm.Get("base"), Result: res,
			User: commit.User{Name: sess.User.Name, Email: sess.User.Email}, Proposal: conf.Review})
		return err
	})
	if errors.Is(err, commit.ErrMoved) {
		s.fleet.PollOne(r.Context(), conf.Name)
		s.message(w, http.StatusConflict, sess, "Refused", err.Error())
		return
	}
	if err != nil {
		s.log.Error("writing an edit", "orb", conf.Name, "err", err)
		s.message(w, http.StatusBadGateway, sess, "Not written", err.Error())
		return
	}
	s.log.Info("edit written", "orb", conf.Name, "commit", written.Commit, "branch", written.Branch, "user", sess.User.Email)
	s.fleet.PollOne(r.Context(), conf.Name)
	var what []string
	for _, f := range res.Fields {
		what = append(what, f.String())
	}
	text := fmt.Sprintf("Committed %.10s to %s: %s.", written.Commit, written.Branch, strings.Join(what, "; "))
	if conf.Review {
		text += " The ORB asks for review: merge the proposal branch to apply it."
	}
	s.render(w, http.StatusOK, "message", map[string]any{"Session": sess, "Title": "Committed", "Text": text, "Back": "/orbs/" + conf.Name, "Commit": written.Commit})
}
