package record

import (
	"strings"
	"time"
)

// Entry is one commit of the ORB repository: a run of orbctl, or a change of the desired state.
type Entry struct {
	Commit    string    `json:"commit"`
	When      time.Time `json:"when"`
	Author    string    `json:"author"`
	Operation string    `json:"operation"` // up, preview, refresh, destroy, recover, config, init, or "change" for other commits
	Outcome   string    `json:"outcome,omitempty"`
	Changes   string    `json:"changes,omitempty"`
	Run       string    `json:"run,omitempty"`
	Holder    string    `json:"holder,omitempty"`
	// Policy is set when the run skipped the policy pack.
	Policy  string `json:"policy,omitempty"`
	Subject string `json:"subject"`
}

// EntryOf reads one commit as a history entry.
func EntryOf(hash string, when time.Time, author, message string) Entry {
	t := ParseTrailers(message)
	e := Entry{
		Commit: hash, When: when, Author: author, Subject: firstLine(message), Operation: t[KeyOperation],
		Outcome: t[KeyOutcome], Changes: t[KeyChanges], Run: t[KeyRun], Holder: t[KeyHolder], Policy: t[KeyPolicy],
	}
	if e.Operation == "" {
		e.Operation = "change"
	}
	return e
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
