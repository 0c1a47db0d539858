package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/orbos/orbos/automation"
)

// interactive reports whether a person sits at orbctl: stdin and stderr (where questions go) are
// terminals. orbctl never asks anything otherwise.
func (a *app) interactive() bool {
	in, ok := a.in.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return false
	}
	errOut, ok := a.errOut.(*os.File)
	return ok && term.IsTerminal(int(errOut.Fd()))
}

// confirmPlan asks whether to carry out the plan the engine just showed; anything but yes declines.
func (a *app) confirmPlan(orb string) func(context.Context, map[string]int) error {
	return func(ctx context.Context, changes map[string]int) error {
		fmt.Fprintf(a.errOut, "\nPlan for %s: %s.\nDo you want to apply it? Type yes to apply (orbctl up --yes skips this question): ", orb, planWords(changes))
		answer, err := a.readLine(ctx)
		if err != nil {
			return fmt.Errorf("%w (%v)", automation.ErrNotConfirmed, err)
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "yes" && a != "y" {
			return automation.ErrNotConfirmed
		}
		return nil
	}
}

// readLine reads one line of stdin, giving up when ctx ends (Ctrl-C while the question waits).
func (a *app) readLine(ctx context.Context) (string, error) {
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(a.in).ReadString('\n')
		if err != nil && line != "" {
			err = nil
		}
		got <- answer{line, err}
	}()
	select {
	case r := <-got:
		return r.line, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// planWords says "2 to create, 1 to update".
func planWords(changes map[string]int) string {
	var parts []string
	for _, k := range []string{"create", "update", "replace", "delete"} {
		if n := changes[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, previewWords[k]))
		}
	}
	for k, n := range changes {
		if previewWords[k] == "" {
			parts = append(parts, fmt.Sprintf("%d to %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// confirmTyped asks question and goes on only when want (the ORB's name, or yes) is typed back;
// without an answer it says how to skip the question: "pass --yes to SKIP without asking".
func (a *app) confirmTyped(question, want, skip string) error {
	fmt.Fprint(a.errOut, question)
	line, err := bufio.NewReader(a.in).ReadString('\n')
	if strings.TrimSpace(line) != want {
		if err != nil {
			return fmt.Errorf("%w (no answer; pass --yes to %s without asking)", automation.ErrNotConfirmed, skip)
		}
		return automation.ErrNotConfirmed
	}
	return nil
}
