package provider

import (
	"context"
	"sync"
)

// Worker disruptions (drain for an upgrade or a reboot) are limited to maxUnavailable at a time per
// cluster. The engine runs every operation of a deployment in this one provider process, so a
// semaphore here is enough; workers need no dependencies among themselves and join in parallel.
var (
	slotsMu sync.Mutex
	slots   = map[string]chan struct{}{}
)

// acquire takes one of n disruption slots of cluster, waiting while all are taken; release gives it back.
func acquire(ctx context.Context, cluster string, n int) (release func(), err error) {
	if n < 1 {
		n = 1
	}
	slotsMu.Lock()
	ch, ok := slots[cluster]
	if !ok || cap(ch) != n {
		ch = make(chan struct{}, n)
		slots[cluster] = ch
	}
	slotsMu.Unlock()
	release = func() { <-ch }
	select { // a free slot first, whatever the context says
	case ch <- struct{}{}:
		return release, nil
	default:
	}
	select {
	case ch <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
