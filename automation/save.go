package automation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/txn"
	"github.com/orbos/orbos/stacks"
)

// save writes status, commits and publishes the state of a run whose engine has started. A run that
// succeeded without changing anything leaves no commit, unless it is the up that follows a failed or
// interrupted one: the status must not go on saying that the ORB's last up failed.
func (o *Orb) save(ctx context.Context, t *txn.Txn, res *Result, spec *stacks.Spec, runErr error) error {
	if res.Operation == Drift {
		return o.saveDrift(ctx, t, res, spec, runErr)
	}
	if runErr == nil && res.engineChanges == 0 && !o.recovers(res) {
		if err := o.repo.Discard(txn.IsState); err != nil {
			return err
		}
		return o.publish(ctx, t, res)
	}
	if err := o.writeStatus(ctx, res, spec, runErr); err != nil {
		return err
	}
	o.learnStateSecrets(context.Background()) // what this run made: the admin kubeconfig
	h, err := o.repo.CommitAll(o.Redact(o.commitMessage(res, runErr)))
	if err != nil {
		return err
	}
	res.Commit = h.String()
	return o.publish(ctx, t, res)
}

// saveDrift records a drift check in the status; a check that finds what the last one found makes
// no commit. The state itself is left as it was: a preview changes nothing.
func (o *Orb) saveDrift(ctx context.Context, t *txn.Txn, res *Result, spec *stacks.Spec, runErr error) error {
	if err := o.repo.Discard(txn.IsState); err != nil {
		return err
	}
	st, err := record.ReadStatus(o.Checkout(), o.name())
	if runErr != nil || err != nil || st == nil {
		if err != nil {
			return err
		}
		return o.publish(ctx, t, res)
	}
	var drifted []Step
	for _, s := range res.Steps {
		if s.Op != "refresh" && s.Op != "same" {
			drifted = append(drifted, s)
		}
	}
	// The check also reads the tools again: one that became ready, or stopped being ready, since the
	// last run is reported with the drift.
	cp, err := record.ReadCheckpoint(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	tools := o.readTools(ctx, spec, cp)
	// And Zitadel: a new backup, or a database that stopped being ready, is news too.
	zitadel := o.ZitadelStatus(ctx, spec)
	driftChanged := !sameDrift(st.Drift, drifted)
	if !driftChanged && sameTools(st.Tools, tools) && sameZitadel(st.Zitadel, zitadel) {
		return o.publish(ctx, t, res)
	}
	subject := fmt.Sprintf("orbos drift %s: BOOM's tools %s", o.name(), toolsSummary(tools))
	if sameTools(st.Tools, tools) && !sameZitadel(st.Zitadel, zitadel) {
		subject = fmt.Sprintf("orbos drift %s: Zitadel %s", o.name(), zitadelSummary(zitadel))
	}
	st.Tools, st.Zitadel = tools, zitadel
	if driftChanged {
		st.Drift = nil
		subject = fmt.Sprintf("orbos drift %s: %d resources drifted", o.name(), len(drifted))
		if len(drifted) > 0 {
			st.Drift = &record.DriftReport{Checked: time.Now().UTC(), Resources: drifted}
		} else {
			subject = fmt.Sprintf("orbos drift %s: drift gone", o.name())
		}
	}
	if err := writeStatus(o.Checkout(), st, o.Redact); err != nil {
		return err
	}
	h, err := o.repo.CommitAll(record.Message(subject, "", record.Trailers{
		record.KeyOperation: string(Drift), record.KeyOutcome: Succeeded, record.KeyRun: res.RunID,
		record.KeyChanges: record.ChangesTrailer(res.Changes), record.KeyHolder: o.holder(),
	}))
	if err != nil {
		return err
	}
	res.Commit = h.String()
	return o.publish(ctx, t, res)
}

// sameTools says whether two readings of the tools say the same (their details aside).
func sameTools(a, b []record.ToolStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Detail, y.Detail = "", ""
		if x != y {
			return false
		}
	}
	return true
}

// toolsSummary says how many tools are ready, and which are not.
func toolsSummary(tools []record.ToolStatus) string {
	ready, not := 0, []string{}
	for _, t := range tools {
		if t.Status == "ready" {
			ready++
		} else {
			not = append(not, t.Name+" "+t.Status)
		}
	}
	s := fmt.Sprintf("%d of %d ready", ready, len(tools))
	if len(not) > 0 {
		s += " (" + strings.Join(not, ", ") + ")"
	}
	return s
}

func sameDrift(prev *record.DriftReport, now []Step) bool {
	var before []Step
	if prev != nil {
		before = prev.Resources
	}
	if len(before) != len(now) {
		return false
	}
	for i := range now {
		if before[i].URN != now[i].URN || before[i].Op != now[i].Op || len(before[i].Diffs) != len(now[i].Diffs) {
			return false
		}
		for j := range now[i].Diffs {
			if before[i].Diffs[j] != now[i].Diffs[j] {
				return false
			}
		}
	}
	return true
}

// recovers reports whether res is an up that succeeded after the last recorded up did not.
func (o *Orb) recovers(res *Result) bool {
	if res.Operation != Up || res.Outcome != Succeeded {
		return false
	}
	prev, err := record.ReadStatus(o.Checkout(), o.name())
	return err == nil && prev != nil && prev.LastRun.Operation == string(Up) && prev.LastRun.Outcome != Succeeded
}

func (o *Orb) writeStatus(ctx context.Context, res *Result, spec *stacks.Spec, runErr error) error {
	prev, _ := record.ReadStatus(o.Checkout(), o.name())
	cp, err := record.ReadCheckpoint(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	k := spec.Kubernetes()
	s := &record.Status{
		Orb: o.name(), DesiredCommit: res.DesiredCommit,
		Kubernetes: record.KubeStatus{DesiredVersion: k.Version, Namespace: k.Namespace},
		LastRun: record.RunRecord{
			Operation: string(res.Operation), RunID: res.RunID, Holder: o.holder(), Started: res.Started.UTC(),
			Finished: time.Now().UTC(), Outcome: res.Outcome, Changes: res.Changes, NoPolicy: res.NoPolicy,
		},
		Resources: cp.Resources(), Outputs: cp.Outputs(),
	}
	if s.Resources == nil {
		s.Resources = []record.Resource{}
	}
	if s.Nodes, err = cp.Nodes(); err != nil {
		return err
	}
	for _, n := range s.Nodes {
		if n.CertExpiry != "" && (s.Kubernetes.CertExpiry == "" || n.CertExpiry < s.Kubernetes.CertExpiry) {
			s.Kubernetes.CertExpiry = n.CertExpiry
		}
	}
	if res.Operation != Destroy {
		s.Tools = o.readTools(ctx, spec, cp)
		s.Zitadel = o.ZitadelStatus(ctx, spec)
	}
	if runErr != nil {
		s.LastRun.Error = o.Redact(firstLine(runErr.Error()))
	}
	if prev != nil {
		s.Drift = prev.Drift
		if res.Outcome != Succeeded {
			s.Reconciler = prev.Reconciler
		}
	}
	if res.Outcome == Succeeded {
		t := s.LastRun.Finished
		s.LastSuccess = &t
	} else if prev != nil {
		s.LastSuccess = prev.LastSuccess
	}
	return writeStatus(o.Checkout(), s, o.Redact)
}

func (o *Orb) commitMessage(res *Result, runErr error) string {
	subject := fmt.Sprintf("orbos %s %s: %s", res.Operation, o.name(), res.Outcome)
	if d := record.DescribeChanges(res.Changes); d != "" {
		subject += ", " + d
	}
	if runErr != nil {
		subject += ": " + truncate(o.Redact(firstLine(runErr.Error())), 120)
	}
	t := record.Trailers{
		record.KeyOperation: string(res.Operation), record.KeyOutcome: res.Outcome, record.KeyRun: res.RunID,
		record.KeyHolder: o.holder(), record.KeyChanges: record.ChangesTrailer(res.Changes),
	}
	if res.DesiredCommit != "" {
		t[record.KeyDesired] = res.DesiredCommit
	}
	if res.NoPolicy {
		t[record.KeyPolicy] = record.PolicySkipped
	}
	for k, v := range res.trailers {
		t[k] = v
	}
	body := ""
	for _, s := range res.Steps {
		if s.Status != "" {
			body += fmt.Sprintf("%s %s %s: %s\n", s.Op, s.Type, s.Name, s.Status)
		}
	}
	return record.Message(subject, o.Redact(body), t)
}

// DescribeChanges says "2 created, 1 updated"; empty when nothing changed.
func DescribeChanges(c map[string]int) string { return record.DescribeChanges(c) }
