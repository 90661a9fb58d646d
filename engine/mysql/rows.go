package mysql

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"math/big"
	"strings"
	"sync/atomic"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// rows streams one query's result on its own connection, inside its read-only transaction.
type rows struct {
	b    *Backend
	ctx  context.Context
	conn *sql.Conn
	rows *sql.Rows
	// thread is the server's id of the connection, for KILL QUERY.
	thread int64
	// stop ends the cancel watcher; stopped is closed once it has (and any KILL it sent is
	// done), so the connection never goes back to the pool with a KILL in flight.
	stop    chan struct{}
	stopped chan struct{}

	types []pgtypes.Type
	raw   []sql.RawBytes
	dest  []any
	vals  []any
	done  bool
	// killed is set once KILL QUERY was sent for the connection: a MariaDB thread that was idle
	// by the time the KILL arrived keeps it for its next statement, so the connection is
	// dropped, never reused.
	killed atomic.Bool
	// closed guards Close.
	closed bool
}

// begin starts the read-only transaction, sets MySQL's timeout for the statement, and reads
// the thread id.
func (r *rows) begin(fl flavour) error {
	if fl == mySQL && r.b.timeout > 0 {
		ms := max(r.b.timeout.Milliseconds(), 1)
		if _, err := r.conn.ExecContext(r.ctx, "SET SESSION max_execution_time = "+itoa(ms)); err != nil {
			return r.b.mapError(r.ctx, err)
		}
	}
	if _, err := r.conn.ExecContext(r.ctx, "START TRANSACTION READ ONLY"); err != nil {
		return r.b.mapError(r.ctx, err)
	}
	if err := r.conn.QueryRowContext(r.ctx, "SELECT CONNECTION_ID()").Scan(&r.thread); err != nil {
		return r.b.mapError(r.ctx, err)
	}
	return nil
}

// watch sends KILL QUERY when the query's context ends before the rows are closed.
func (r *rows) watch() {
	r.stop, r.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.stopped)
		select {
		case <-r.ctx.Done():
			r.kill()
		case <-r.stop:
		}
	}()
}

func (r *rows) Next() bool {
	if r.closed || r.done {
		return false
	}
	if r.rows.Next() {
		return true
	}
	r.done = true
	return false
}

func (r *rows) Values() ([]any, error) {
	if r.types == nil {
		if err := r.describe(); err != nil {
			return nil, err
		}
	}
	if err := r.rows.Scan(r.dest...); err != nil {
		return nil, r.b.mapError(r.ctx, err)
	}
	for i, raw := range r.raw {
		v, err := decode(raw, r.types[i])
		if err != nil {
			return nil, err
		}
		r.vals[i] = v
	}
	return r.vals, nil
}

// describe maps the result's column types once.
func (r *rows) describe() error {
	cts, err := r.rows.ColumnTypes()
	if err != nil {
		return r.b.mapError(r.ctx, err)
	}
	r.types = make([]pgtypes.Type, len(cts))
	for i, ct := range cts {
		r.types[i] = pgType(ct.DatabaseTypeName())
		if strings.HasPrefix(ct.Name(), planner.MySQLBoolPrefix) {
			// MySQL has no boolean type; the dialect names boolean columns so.
			r.types[i] = pgtypes.Bool
		}
	}
	r.raw = make([]sql.RawBytes, len(cts))
	r.dest = make([]any, len(cts))
	for i := range r.raw {
		r.dest[i] = &r.raw[i]
	}
	r.vals = make([]any, len(cts))
	return nil
}

// pgType is the PostgreSQL type a MySQL result type's text reads as. Unsigned BIGINT is numeric:
// it may pass int64. BLOB and BINARY are bytes; every other string-like type is text.
func pgType(name string) pgtypes.Type {
	switch strings.TrimPrefix(name, "UNSIGNED ") {
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "YEAR":
		return pgtypes.Int8
	case "BIGINT":
		if strings.HasPrefix(name, "UNSIGNED ") {
			return pgtypes.Numeric
		}
		return pgtypes.Int8
	case "DECIMAL":
		return pgtypes.Numeric
	case "FLOAT", "DOUBLE":
		return pgtypes.Float8
	case "DATE":
		return pgtypes.Date
	case "DATETIME", "TIMESTAMP":
		return pgtypes.Timestamp
	case "TIME":
		return pgtypes.Time
	case "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BINARY", "VARBINARY", "BIT", "GEOMETRY":
		return pgtypes.Bytea
	}
	return pgtypes.Text
}

// decode reads one text value as t. RawBytes is reused by the next row, so bytes and strings
// are copied.
func decode(raw sql.RawBytes, t pgtypes.Type) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch t.OID {
	case pgtypes.Text.OID:
		return string(raw), nil
	case pgtypes.Bool.OID:
		return string(raw) != "0", nil
	case pgtypes.Bytea.OID:
		return append([]byte(nil), raw...), nil
	case pgtypes.Numeric.OID:
		if n, ok := new(big.Int).SetString(string(raw), 10); ok {
			return pgtypes.Decimal{Unscaled: n}, nil
		}
	}
	v, err := pgtypes.DecodeText(raw, t)
	if err != nil {
		return nil, sqlerr.Internal(err)
	}
	return v, nil
}

func (r *rows) Err() error {
	if err := r.rows.Err(); err != nil {
		return r.b.mapError(r.ctx, err)
	}
	return nil
}

// Close ends the statement and the transaction and gives the connection back. A caller that
// stops early would make the driver read the rest of the result off the wire; KILL QUERY stops
// the server instead.
func (r *rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if !r.done && r.ctx.Err() == nil {
		r.kill()
	}
	_ = r.rows.Close()
	r.release()
	return nil
}

func (r *rows) kill() {
	r.killed.Store(true)
	r.b.killQuery(r.thread)
}

// release stops the watcher, rolls the transaction back and hands the connection back. A
// connection that cannot be rolled back is dropped, not reused.
func (r *rows) release() {
	if r.stop != nil {
		close(r.stop)
		<-r.stopped
	}
	drop := r.killed.Load()
	if !drop {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), cleanupTimeout)
		_, err := r.conn.ExecContext(ctx, "ROLLBACK")
		cancel()
		drop = err != nil
	}
	if drop {
		// ErrBadConn from Raw makes database/sql close the connection instead of pooling it.
		_ = r.conn.Raw(func(any) error { return sqldriver.ErrBadConn })
	}
	_ = r.conn.Close()
}
