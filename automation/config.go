package automation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/stacks"
)

// GetConfig returns the desired-state value at key, e.g. orbos:orbiter.kubernetes.version.
// Secrets are shown only when reveal is set.
func (o *Orb) GetConfig(ctx context.Context, key string, reveal bool) (stackconfig.Value, error) {
	if err := o.Sync(ctx); err != nil {
		return stackconfig.Value{}, err
	}
	f, _, err := o.StackFile()
	if err != nil {
		return stackconfig.Value{}, err
	}
	if !reveal {
		return f.Get(key, nil)
	}
	c, err := o.crypter(f)
	if err != nil {
		return stackconfig.Value{}, err
	}
	return f.Get(key, c)
}

// Secrets lists the keys of the desired state that hold secrets.
func (o *Orb) Secrets(ctx context.Context) ([]string, error) {
	if err := o.Sync(ctx); err != nil {
		return nil, err
	}
	f, _, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	return f.Secrets(), nil
}

// SetConfig changes the desired state: one commit, pushed. The whole spec is validated with the new
// value first; an invalid change is refused and nothing is committed.
func (o *Orb) SetConfig(ctx context.Context, key, value string, secret bool) (_ string, err error) {
	t, err := o.begin(ctx, "config set", newRunID(time.Now()))
	if err != nil {
		return "", err
	}
	defer func() { err = errors.Join(err, t.End(ctx)) }()
	f, _, err := o.StackFile()
	if err != nil {
		return "", err
	}
	c, err := o.crypter(f)
	if err != nil {
		return "", err
	}
	if err := f.Set(key, value, secret, c); err != nil {
		return "", err
	}
	raw, err := f.Bytes()
	if err != nil {
		return "", err
	}
	if _, err := stacks.Parse(o.name(), raw); err != nil {
		var ve *stacks.ValidationError
		if errors.As(err, &ve) {
			return "", fmt.Errorf("refusing to set %s: %w", key, err)
		}
		return "", err
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return "", fmt.Errorf("writing the desired state: %w", err)
	}
	shown := value
	if secret {
		shown = "[secret]"
	}
	msg := record.Message(fmt.Sprintf("orbos config %s: set %s", o.name(), key), "", record.Trailers{
		record.KeyOperation: "config", record.KeyKey: key, record.KeyValue: truncate(firstLine(shown), 80),
	})
	h, err := o.repo.CommitAll(msg)
	if err != nil {
		return "", err
	}
	if h.IsZero() {
		return "", t.Publish(ctx) // the value was already set
	}
	return h.String(), t.Publish(ctx)
}
