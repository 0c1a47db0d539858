package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/internal/golden"
)

// A value from a proposal cannot become markup in the pull-request comment, nor leave its table cell.
const hostile = "v1 | <img src=x onerror=alert(1)> `code` [link](https://evil.example) **bold**\nnext line"

func proposalResult() *automation.Result {
	return &automation.Result{
		Orb: "demo", Operation: automation.Preview, DesiredCommit: "0123456789abcdef0123456789abcdef01234567",
		Changes: map[string]int{"update": 1, "create": 1},
		Steps: []automation.Step{
			{Op: "update", Type: "kubernetes:core/v1:ConfigMap", Name: "orb", Diffs: []automation.Diff{
				{Path: "data.kubernetesVersion", Kind: "update", Old: `"v1.31.4"`, New: `"v1.31.5"`},
				{Path: "data.note", Kind: "add", New: hostile},
			}},
			{Op: "create", Type: "kubernetes:core/v1:Namespace", Name: "orb-demo"},
		},
	}
}

func TestMarkdownSummary(t *testing.T) {
	var passed bytes.Buffer
	writeMarkdown(&passed, proposalResult(), "feature/x", nil)
	golden.Assert(t, "markdown-passed", passed.String())

	var refused bytes.Buffer
	res := proposalResult()
	err := &automation.PolicyError{Operation: automation.Preview, Violations: []string{
		"kubernetes-version-step: from v1.31.4 to v1.33.0 skips a minor version", "world-open: " + hostile}}
	res.Error = err.Error()
	writeMarkdown(&refused, res, "refs/pull/7/head", err)
	golden.Assert(t, "markdown-violations", refused.String())

	var failed bytes.Buffer
	res = &automation.Result{Orb: "demo", Operation: automation.Preview, Error: "preview failed: " + hostile}
	writeMarkdown(&failed, res, "", errors.New(res.Error))
	golden.Assert(t, "markdown-failed", failed.String())
}
