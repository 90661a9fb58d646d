package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// rowDescription announces plan columns; formats[i] is the format column i is sent in (nil: all
// text). A column that reads a dataset column as it is carries the dataset's table oid and the
// column's attribute number, as the system catalog lists them (pgjdbc's getTableName looks them
// up); a computed column carries 0, as PostgreSQL sends it.
func rowDescription(cols []planner.Column, formats []int16) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(col.Name),
			TableOID:             col.TableOID,
			TableAttributeNumber: uint16(col.AttNum),
			DataTypeOID:          col.Type.OID,
			DataTypeSize:         col.Type.Size,
			TypeModifier:         -1,
			Format:               formatOf(formats, i),
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

func formatOf(formats []int16, i int) int16 {
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

// resultFormats expands Bind's result format codes to one per column, as the protocol defines
// them: none means all text, one applies to every column, otherwise one each. nil means all text,
// which keeps the executor on its text-only path.
func resultFormats(codes []int16, ncols int) ([]int16, error) {
	if len(codes) > 1 && len(codes) != ncols {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), ncols)
	}
	for _, f := range codes {
		if f != 0 && f != 1 {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	if len(codes) == 0 || (len(codes) == 1 && codes[0] == 0) {
		return nil, nil
	}
	out := make([]int16, ncols)
	for i := range out {
		if len(codes) == 1 {
			out[i] = codes[0]
		} else {
			out[i] = codes[i]
		}
	}
	return out, nil
}

// rowWriter streams rows as DataRow messages, flushing whenever enough output has gathered, so
// a result goes out as it is produced instead of being held whole. It asks the executor for the
// formats the client bound.
type rowWriter struct {
	out     *writer
	msg     pgproto3.DataRow
	formats []int16
}

// WriteRow encodes values at once: the executor reuses the slice and its bytes afterwards.
func (w *rowWriter) WriteRow(values [][]byte) error {
	w.msg.Values = values
	w.out.send(&w.msg)
	w.msg.Values = nil
	if w.out.buffered() >= flushAt {
		return w.out.flush()
	}
	return w.out.err
}

func (w *rowWriter) Formats() []int16 { return w.formats }

var _ engine.FormatWriter = (*rowWriter)(nil)

// sendLocalRows sends rows the planner computed (SHOW), starting at row from and at most max of
// them (0: all), in the bound formats. It returns how many it sent.
func (c *conn) sendLocalRows(plan *planner.Plan, formats []int16, from int, max int64) (int, error) {
	w := rowWriter{out: &c.out}
	vals := make([][]byte, len(plan.Columns))
	// Never nil: an empty value must not be sent as NULL.
	buf := make([]byte, 0, 64)
	ends := make([]int, len(plan.Columns))
	n := 0
	for _, row := range plan.Rows[min(from, len(plan.Rows)):] {
		if max > 0 && int64(n) >= max {
			break
		}
		if len(row) != len(plan.Columns) {
			return n, sqlerr.Internal(errLocalRowShape)
		}
		buf = buf[:0]
		for i, v := range row {
			if v == nil {
				ends[i] = -1
				continue
			}
			var err error
			if formatOf(formats, i) == 1 {
				buf, err = pgtypes.AppendBinary(buf, *v, plan.Columns[i].Type)
			} else {
				buf = append(buf, *v...)
			}
			if err != nil {
				return n, err
			}
			ends[i] = len(buf)
		}
		start := 0
		for i, end := range ends {
			if end < 0 {
				vals[i] = nil
				continue
			}
			vals[i] = buf[start:end]
			start = end
		}
		if err := w.WriteRow(vals); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
