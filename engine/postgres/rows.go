package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/pgtypes"
)

// rows streams one query's result: pgx reads a row off the socket per Next, so a slow reader
// holds the server back through TCP flow control instead of the result piling up here.
type rows struct {
	b    *Backend
	ctx  context.Context
	conn *pgxpool.Conn
	rows pgx.Rows
	// batch, on the pipelined path, holds the ROLLBACK queued after the query.
	batch pgx.BatchResults

	decoders []decoder
	vals     []any
	// done is set once Next has returned false: the server has sent the whole result.
	done   bool
	closed bool
}

func (b *Backend) newRows(ctx context.Context, conn *pgxpool.Conn, r pgx.Rows, batch pgx.BatchResults) *rows {
	return &rows{b: b, ctx: ctx, conn: conn, rows: r, batch: batch}
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
	if r.decoders == nil {
		m := r.conn.Conn().TypeMap()
		fields := r.rows.FieldDescriptions()
		r.decoders = make([]decoder, len(fields))
		for i, f := range fields {
			r.decoders[i] = decoderFor(m, f.DataTypeOID, f.Format)
		}
		r.vals = make([]any, len(fields))
	}
	raw := r.rows.RawValues()
	if len(raw) != len(r.decoders) {
		return nil, r.b.mapError(r.ctx, r.conn.Conn().PgConn(), fmt.Errorf("row has %d values for %d columns", len(raw), len(r.decoders)))
	}
	for i, src := range raw {
		if src == nil {
			r.vals[i] = nil
			continue
		}
		v, err := r.decoders[i](src)
		if err != nil {
			return nil, r.b.mapError(r.ctx, r.conn.Conn().PgConn(), fmt.Errorf("column %d: %w", i+1, err))
		}
		r.vals[i] = v
	}
	return r.vals, nil
}

// WireColumns returns the result's type OIDs and formats as the server sends them; pgx knows
// them before the first row for prepared statements.
func (r *rows) WireColumns() ([]uint32, []int16) {
	fields := r.rows.FieldDescriptions()
	if len(fields) == 0 {
		return nil, nil
	}
	oids, formats := make([]uint32, len(fields)), make([]int16, len(fields))
	for i, f := range fields {
		oids[i], formats[i] = f.DataTypeOID, f.Format
	}
	return oids, formats
}

// WireValues returns the current row as the server sent it.
func (r *rows) WireValues() [][]byte { return r.rows.RawValues() }

var _ engine.WireRows = (*rows)(nil)

func (r *rows) Err() error {
	if err := r.rows.Err(); err != nil {
		return r.b.mapError(r.ctx, r.conn.Conn().PgConn(), err)
	}
	return nil
}

// Close ends the statement and the transaction and gives the connection back. A caller that
// stops early (a closed portal, a row cap) would otherwise make pgx read the rest of the result
// off the wire; a CancelRequest stops the server instead.
func (r *rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if !r.done && r.ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), cleanupTimeout)
		_ = r.conn.Conn().PgConn().CancelRequest(cctx)
		cancel()
	}
	r.rows.Close()
	if r.batch != nil {
		// The queued ROLLBACK; after an error the server skipped it, and finish rolls back.
		_, _ = r.batch.Exec()
		_ = r.batch.Close()
	}
	r.b.finish(r.ctx, r.conn)
	return nil
}

// decoder turns one non-NULL wire value into one of the Go types engine.Rows documents.
type decoder func(src []byte) (any, error)

// decoderFor picks the decoder of a column. pgx's Map reads both formats; its scan plans are
// memoized per type, so a decoder costs one plan lookup per value.
func decoderFor(m *pgtype.Map, oid uint32, format int16) decoder {
	if d := fastDecoder(oid, format); d != nil {
		return d
	}
	if d := arrayDecoder(m, oid, format); d != nil {
		return d
	}
	scan := func(dst any, src []byte) error { return m.Scan(oid, format, src, dst) }
	switch oid {
	case pgtype.BoolOID:
		return func(src []byte) (any, error) {
			var v bool
			err := scan(&v, src)
			return v, err
		}
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		return func(src []byte) (any, error) {
			var v int64
			err := scan(&v, src)
			return v, err
		}
	case pgtype.Float4OID, pgtype.Float8OID:
		return func(src []byte) (any, error) {
			var v float64
			err := scan(&v, src)
			return v, err
		}
	case pgtype.NumericOID:
		return func(src []byte) (any, error) {
			var n pgtype.Numeric
			if err := scan(&n, src); err != nil {
				return nil, err
			}
			return numericValue(n), nil
		}
	case pgtype.ByteaOID:
		return func(src []byte) (any, error) {
			var v []byte
			err := scan(&v, src)
			return append([]byte{}, v...), err
		}
	case pgtype.DateOID:
		return func(src []byte) (any, error) {
			var d pgtype.Date
			if err := scan(&d, src); err != nil {
				return nil, err
			}
			return timeOrInfinity(d.Time, d.InfinityModifier), nil
		}
	case pgtype.TimestampOID:
		return func(src []byte) (any, error) {
			var ts pgtype.Timestamp
			if err := scan(&ts, src); err != nil {
				return nil, err
			}
			return timeOrInfinity(ts.Time, ts.InfinityModifier), nil
		}
	case pgtype.TimestamptzOID:
		return func(src []byte) (any, error) {
			var ts pgtype.Timestamptz
			if err := scan(&ts, src); err != nil {
				return nil, err
			}
			return timeOrInfinity(ts.Time.UTC(), ts.InfinityModifier), nil
		}
	case pgtype.TimeOID:
		return func(src []byte) (any, error) {
			var t pgtype.Time
			if err := scan(&t, src); err != nil {
				return nil, err
			}
			us := t.Microseconds
			return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(us) * time.Microsecond), nil
		}
	case pgtype.IntervalOID:
		return func(src []byte) (any, error) {
			var iv pgtype.Interval
			if err := scan(&iv, src); err != nil {
				return nil, err
			}
			return pgtypes.IntervalValue{Months: iv.Months, Days: iv.Days, Micros: iv.Microseconds}, nil
		}
	}
	if format == pgtype.TextFormatCode {
		// text, varchar, name, json, uuid, and every type pgx has no binary codec for: the text is
		// the value.
		return func(src []byte) (any, error) { return string(src), nil }
	}
	return func(src []byte) (any, error) {
		var s string
		if err := scan(&s, src); err == nil {
			return s, nil
		}
		var v any
		if err := scan(&v, src); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return append([]byte{}, x...), nil
		}
		return fmt.Sprint(v), nil
	}
}

// fastDecoder reads the common fixed-layout binary types and the text types straight from the
// wire bytes, as pgx's codecs read them, without a scan plan lookup per value (the streaming
// path's largest cost after the socket). nil: use pgx.
func fastDecoder(oid uint32, format int16) decoder {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		// Both formats of these types are the characters.
		return func(src []byte) (any, error) { return string(src), nil }
	}
	if format != pgtype.BinaryFormatCode {
		return nil
	}
	fixed := func(n int, f func([]byte) any) decoder {
		return func(src []byte) (any, error) {
			if len(src) != n {
				return nil, fmt.Errorf("invalid length %d for type %d, want %d", len(src), oid, n)
			}
			return f(src), nil
		}
	}
	switch oid {
	case pgtype.BoolOID:
		return fixed(1, func(b []byte) any { return b[0] != 0 })
	case pgtype.Int2OID:
		return fixed(2, func(b []byte) any { return int64(int16(binary.BigEndian.Uint16(b))) })
	case pgtype.Int4OID:
		return fixed(4, func(b []byte) any { return int64(int32(binary.BigEndian.Uint32(b))) })
	case pgtype.Int8OID:
		return fixed(8, func(b []byte) any { return int64(binary.BigEndian.Uint64(b)) })
	case pgtype.Float4OID:
		return fixed(4, func(b []byte) any { return float64(math.Float32frombits(binary.BigEndian.Uint32(b))) })
	case pgtype.Float8OID:
		return fixed(8, func(b []byte) any { return math.Float64frombits(binary.BigEndian.Uint64(b)) })
	case pgtype.DateOID:
		return fixed(4, func(b []byte) any {
			days := int32(binary.BigEndian.Uint32(b))
			switch days {
			case math.MaxInt32:
				return "infinity"
			case math.MinInt32:
				return "-infinity"
			}
			// pgx refuses dates past its range (5874897 AD); here they are time.Time too.
			return time.Date(2000, 1, int(1+days), 0, 0, 0, 0, time.UTC)
		})
	}
	return nil
}

// numericValue is an exact Decimal; NaN and the infinities become floats, which print the way
// PostgreSQL prints them.
func numericValue(n pgtype.Numeric) any {
	switch {
	case n.NaN:
		return math.NaN()
	case n.InfinityModifier == pgtype.Infinity:
		return math.Inf(1)
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return math.Inf(-1)
	}
	unscaled := n.Int
	if unscaled == nil {
		unscaled = new(big.Int)
	}
	if n.Exp >= 0 {
		if n.Exp > 0 {
			unscaled = new(big.Int).Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n.Exp)), nil))
		}
		return pgtypes.Decimal{Unscaled: unscaled, Scale: 0}
	}
	return pgtypes.Decimal{Unscaled: unscaled, Scale: int(-n.Exp)}
}

// timeOrInfinity keeps PostgreSQL's infinite dates and timestamps as the text it prints.
func timeOrInfinity(t time.Time, inf pgtype.InfinityModifier) any {
	switch inf {
	case pgtype.Infinity:
		return "infinity"
	case pgtype.NegativeInfinity:
		return "-infinity"
	}
	return t
}
