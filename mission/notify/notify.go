// Package notify sends MISSION's webhooks: one JSON POST per new problem of an ORB (a failed run,
// drift, a stale lock, a certificate under 30 days, an update available...). A problem is new when its
// ORB, kind and commit were not seen on the previous poll; the first poll after a start only
// remembers what it sees, so that a restart does not repeat every notice.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/orbos/orbos/mission/fleet"
)

// Event is the body of a webhook.
type Event struct {
	Orb    string `json:"orb"`
	Commit string `json:"commit"`
	Level  string `json:"level"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
}

// Notifier posts new problems to the configured URLs.
type Notifier struct {
	urls   []string
	client *http.Client
	log    *slog.Logger
	seen   map[string]bool
	primed bool
}

// New makes a notifier for urls.
func New(urls []string, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.Default()
	}
	return &Notifier{urls: urls, client: &http.Client{Timeout: 10 * time.Second}, log: log, seen: map[string]bool{}}
}

// Notify compares the fleet's problems with the last call's and posts the new ones. It returns the
// events it sent (or would have sent without URLs).
func (n *Notifier) Notify(ctx context.Context, orbs []*fleet.ORB) []Event {
	seen := map[string]bool{}
	var events []Event
	for _, o := range orbs {
		for _, p := range o.Problems {
			key := o.Name + "|" + p.Kind + "|" + o.Head
			seen[key] = true
			if n.primed && !n.seen[key] {
				events = append(events, Event{Orb: o.Name, Commit: o.Head, Level: p.Level.String(), Kind: p.Kind, Text: p.Text})
			}
		}
	}
	n.seen, n.primed = seen, true
	for _, e := range events {
		for _, u := range n.urls {
			if err := n.post(ctx, u, e); err != nil {
				n.log.Warn("webhook not delivered", "orb", e.Orb, "kind", e.Kind, "err", err)
			}
		}
	}
	return events
}

func (n *Notifier) post(ctx context.Context, url string, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
