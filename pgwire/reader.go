package pgwire

import (
	"errors"
	"net"
	"time"
)

// readChunk is the size of one socket read, matching pgproto3's own read buffer.
const readChunk = 8192

// errDraining is returned by a connection's reader once the server shuts down and no client
// data is waiting, so that an idle connection wakes up and says goodbye.
var errDraining = errors.New("server draining")

// readError marks a failure of the socket itself (EOF, reset, closed), as opposed to a message
// the decoder could not make sense of: the first ends a connection quietly, the second earns a
// protocol-violation error.
type readError struct{ err error }

func (e *readError) Error() string { return "read: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// sockReader is the io.Reader the protocol decoder reads from. A goroutine of its own always has
// a read pending on the socket: PostgreSQL notices a vanished client only when it next writes,
// which lets a slow query run on for nobody; here the failed read cancels the query at once.
// It holds at most one chunk ahead, so a client cannot make it buffer without bound.
type sockReader struct {
	chunks chan chunk
	free   chan []byte
	// wake is the server's drain channel.
	wake <-chan struct{}
	// idle, when set, is the idle-timeout timer of a session waiting for its next command.
	idle <-chan time.Time
	// stop is closed by the connection when it ends; exited is closed by the goroutine.
	stop   chan struct{}
	exited chan struct{}

	buf  []byte // the chunk being consumed, whole
	rest []byte // its unread part
	err  error  // sticky: the socket failed
}

type chunk struct {
	data []byte
	err  error
}

// newSockReader starts reading nc. gone is called (from the reading goroutine) once the socket
// fails, before the failure is handed to Read.
func newSockReader(nc net.Conn, wake <-chan struct{}, gone func(error)) *sockReader {
	r := &sockReader{
		chunks: make(chan chunk),
		free:   make(chan []byte, 1),
		wake:   wake,
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	go r.run(nc, gone)
	return r
}

func (r *sockReader) run(nc net.Conn, gone func(error)) {
	defer close(r.exited)
	buf := make([]byte, readChunk)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			select {
			case r.chunks <- chunk{data: buf[:n]}:
			case <-r.stop:
				return
			}
			select {
			case buf = <-r.free:
			case <-r.stop:
				return
			}
		}
		if err != nil {
			gone(err)
			select {
			case r.chunks <- chunk{err: &readError{err}}:
			case <-r.stop:
			}
			return
		}
	}
}

// Read implements io.Reader for the decoder; it is called from the connection goroutine only.
func (r *sockReader) Read(p []byte) (int, error) {
	if len(r.rest) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		var c chunk
		// Data already received wins over draining, so a message the client sent is not lost
		// to a race with shutdown.
		select {
		case c = <-r.chunks:
		default:
			select {
			case c = <-r.chunks:
			case <-r.wake:
				return 0, errDraining
			case <-r.idle:
				return 0, errIdleTimeout
			}
		}
		if c.err != nil {
			r.err = c.err
			return 0, c.err
		}
		r.buf, r.rest = c.data, c.data
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	if len(r.rest) == 0 {
		r.free <- r.buf[:cap(r.buf)]
		r.buf = nil
	}
	return n, nil
}

// close stops the reading goroutine and waits for it; the caller must have closed the socket.
func (r *sockReader) close() {
	close(r.stop)
	<-r.exited
}
