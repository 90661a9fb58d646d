package pgwire

import (
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

const (
	// flushAt is how much encoded output is gathered before it is written while rows stream:
	// big enough for few syscalls, small enough that a result is never held in memory.
	flushAt = 32 << 10
	// keepCap bounds the buffer kept between flushes, so one huge row does not pin its memory
	// for the life of the connection.
	keepCap = 1 << 20
)

// writer encodes backend messages into one reused buffer and writes it to the socket on flush.
// pgproto3.Backend.Send would do the encoding too, but its buffer is reallocated after every
// large flush and its size is not visible, which a streaming result needs to decide when to
// flush. Every message a connection sends goes through its writer, so their order is kept.
type writer struct {
	w   io.Writer
	buf []byte
	// timeout bounds each write when w can take a deadline (Limits.WriteTimeout).
	timeout time.Duration
	// err is the first encode or write failure; after it nothing more is sent.
	err error
}

// send encodes m at the end of the buffer. Messages are encoded at once, so m may be reused
// (and the row values it points to overwritten) as soon as send returns.
func (w *writer) send(m pgproto3.BackendMessage) {
	if w.err != nil {
		return
	}
	b, err := m.Encode(w.buf)
	if err != nil {
		w.err = err
		return
	}
	w.buf = b
}

// sendByte appends a raw byte: the answer to SSLRequest and GSSEncRequest is not a message.
func (w *writer) sendByte(c byte) {
	if w.err == nil {
		w.buf = append(w.buf, c)
	}
}

func (w *writer) buffered() int { return len(w.buf) }

// flush writes the buffer out and returns the writer's sticky error.
func (w *writer) flush() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	if d, ok := w.w.(interface{ SetWriteDeadline(time.Time) error }); ok && w.timeout > 0 {
		d.SetWriteDeadline(time.Now().Add(w.timeout))
	}
	_, err := w.w.Write(w.buf)
	if cap(w.buf) > keepCap {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	if err != nil {
		w.err = err
	}
	return w.err
}
