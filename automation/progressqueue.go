package automation

import (
	"io"
	"sync"

	"github.com/orbos/orbos/internal/redact"
)

// progressQueue passes progress on, redacted and in order, without holding the run back while the
// redactor is still learning the ORB's secrets (see loadSpecLearning): what is written meanwhile
// waits in the queue, not in the caller. When nothing waits and nothing is being learned, a write
// goes straight through.
type progressQueue struct {
	out      io.Writer // the redacting writer
	redactor *redact.Redactor
	mu       sync.Mutex
	pending  [][]byte
	busy     bool
	drained  *sync.Cond
}

func newProgressQueue(out io.Writer, r *redact.Redactor) *progressQueue {
	q := &progressQueue{out: out, redactor: r}
	q.drained = sync.NewCond(&q.mu)
	return q
}

func (q *progressQueue) Write(p []byte) (int, error) {
	q.mu.Lock()
	if !q.busy && !q.redactor.Pending() {
		q.mu.Unlock()
		return q.out.Write(p)
	}
	q.pending = append(q.pending, append([]byte(nil), p...))
	if !q.busy {
		q.busy = true
		go q.drain()
	}
	q.mu.Unlock()
	return len(p), nil
}

// drain writes the queue out, in order; the redacting writer waits for the secrets being learned.
func (q *progressQueue) drain() {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.busy = false
			q.drained.Broadcast()
			q.mu.Unlock()
			return
		}
		b := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		_, _ = q.out.Write(b)
	}
}

// Flush returns once everything written has been passed on.
func (q *progressQueue) Flush() {
	q.mu.Lock()
	for q.busy {
		q.drained.Wait()
	}
	q.mu.Unlock()
}
