package pgwire

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// readChunk is the size of one read by the client watcher, matching pgproto3's own read buffer.
const readChunk = 8192

// watchDelay is how long a message may keep the connection busy before a goroutine starts
// watching the socket for the client going away. Most messages (a cache hit, a Parse, a Bind)
// are answered well within it and never pay for the watcher; a query that runs longer is
// cancelled within about this much of its client vanishing.
const watchDelay = 2 * time.Millisecond

// errDraining is returned by a connection's reader once the server shuts down and no client
// data is waiting, so that an idle connection wakes up and says goodbye.
var errDraining = errors.New("server draining")

// readError marks a failure of the socket itself (EOF, reset, closed), as opposed to a message
// the decoder could not make sense of: the first ends a connection quietly, the second earns a
// protocol-violation error.
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// sockReader is the io.Reader the protocol decoder reads from.
//
// The connection's goroutine reads the socket itself while it waits for a message: a hand-over
// from a reading goroutine costs a goroutine wake-up (often a thread wake-up) per message, which
// was a third of a cached query's latency on one connection. Read deadlines wake it for the idle
// timeout and for shutdown.
//
// While a message is being answered nobody reads, and PostgreSQL notices a vanished client only
// when it next writes, which lets a slow query run on for nobody. So between startWatch and
// stopWatch, a goroutine starts reading after watchDelay, and a failed read cancels the query at
// once (gone). What it reads is kept for the decoder; it reads at most one chunk ahead, so a
// client cannot make it buffer without bound.
type sockReader struct {
	nc   net.Conn
	gone func(error)
	// drainStop unregisters the shutdown hook (context.AfterFunc on the server's drain).
	drainStop func() bool
	// timer starts the watcher; it is made once and re-armed for each watched message.
	timer *time.Timer

	mu       sync.Mutex
	draining bool      // shutdown began: every read ends with errDraining
	idleAt   time.Time // when the idle timer fires; zero while none runs
	watching bool      // between watch and unwatch
	watcher  chan struct{}
	pending  []byte // what the watcher read and the decoder has not taken
	spare    []byte // the watcher's read buffer
	err      error  // sticky: the socket failed
}

// newSockReader reads nc for the connection. drain is the server's shutdown signal; gone is called
// once the socket fails, from whichever goroutine saw it, before the failure is handed to Read.
func newSockReader(nc net.Conn, drain context.Context, gone func(error)) *sockReader {
	r := &sockReader{nc: nc, gone: gone}
	r.timer = time.AfterFunc(time.Hour, r.watch)
	r.timer.Stop()
	r.drainStop = context.AfterFunc(drain, r.interrupt)
	return r
}

// Read implements io.Reader for the decoder; it is called from the connection goroutine only,
// never between startWatch and stopWatch.
func (r *sockReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	if len(r.pending) > 0 {
		// Data already received wins over draining and timeouts, so a message the client sent
		// is not lost to a race with shutdown.
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		r.mu.Unlock()
		return n, nil
	}
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := r.nc.Read(p)
	switch {
	case n > 0:
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			r.failed(err)
		}
		return n, nil
	case err == nil:
		return 0, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.mu.Lock()
		draining, idleAt := r.draining, r.idleAt
		r.mu.Unlock()
		if draining {
			return 0, errDraining
		}
		if !idleAt.IsZero() && !time.Now().Before(idleAt) {
			return 0, errIdleTimeout
		}
	}
	// A deadline of somebody else's (the startup phase's) counts as the socket failing.
	return 0, r.failed(err)
}

// failed records that the socket failed and reports it, once.
func (r *sockReader) failed(err error) error {
	r.mu.Lock()
	first := r.err == nil
	if first {
		r.err = &readError{err}
	}
	err = r.err
	r.mu.Unlock()
	if first {
		r.gone(err)
	}
	return err
}

// setIdle starts the idle timer (d > 0) or stops it (d == 0): a read waiting past d ends with
// errIdleTimeout.
func (r *sockReader) setIdle(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d > 0 {
		r.idleAt = time.Now().Add(d)
	} else if r.idleAt.IsZero() {
		return
	} else {
		r.idleAt = time.Time{}
	}
	r.applyDeadline()
}

// applyDeadline sets the socket's read deadline from the reader's state; r.mu is held.
func (r *sockReader) applyDeadline() {
	switch {
	case r.draining:
		r.nc.SetReadDeadline(time.Unix(1, 0))
	default:
		r.nc.SetReadDeadline(r.idleAt)
	}
}

// interrupt wakes a read blocked in the socket once shutdown begins; it runs on its own goroutine.
func (r *sockReader) interrupt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draining = true
	r.applyDeadline()
}

// startWatch begins answering a message: if it takes longer than watchDelay, a goroutine watches
// for the client going away.
func (r *sockReader) startWatch() {
	r.mu.Lock()
	r.watching = true
	r.mu.Unlock()
	r.timer.Reset(watchDelay)
}

// stopWatch ends what startWatch began; once it returns, no other goroutine reads the socket.
func (r *sockReader) stopWatch() {
	r.timer.Stop()
	r.mu.Lock()
	r.watching = false
	done := r.watcher
	if done != nil {
		// Wake the watcher's read; it keeps anything it got.
		r.nc.SetReadDeadline(time.Unix(1, 0))
	}
	r.mu.Unlock()
	if done == nil {
		return
	}
	<-done
	r.mu.Lock()
	r.applyDeadline()
	r.mu.Unlock()
}

// watch runs on the timer's goroutine: one read, which either brings data for the decoder (the
// client sent its next message early), or fails because the client went away, or is woken by
// stopWatch.
func (r *sockReader) watch() {
	r.mu.Lock()
	if !r.watching || r.watcher != nil || r.err != nil || len(r.pending) > 0 {
		r.mu.Unlock()
		return
	}
	done := make(chan struct{})
	r.watcher = done
	if r.spare == nil {
		r.spare = make([]byte, readChunk)
	}
	buf := r.spare
	r.mu.Unlock()

	n, err := r.nc.Read(buf)

	r.mu.Lock()
	if n > 0 {
		r.pending = buf[:n]
		// The decoder copies it out before the watcher can read again; the next read gets a
		// fresh buffer so the two never share memory.
		r.spare = nil
	}
	r.watcher = nil
	r.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		r.failed(err)
	}
	close(done)
}

// close stops the watcher and the shutdown hook; the caller must have closed the socket.
func (r *sockReader) close() {
	r.drainStop()
	r.stopWatch()
}
