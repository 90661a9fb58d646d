package engine

import (
	"fmt"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// WireRows is Rows from a backend that reads PostgreSQL's wire format (engine/postgres). Where
// the source sent every column in the type and format the client gets, its bytes are what the
// client must receive, and the executor hands them on as they are instead of decoding each
// value into a Go value and encoding it again (which cost most of the gateway's time per row
// and an allocation per value).
type WireRows interface {
	Rows
	// WireColumns returns each column's type OID and format code as the source sends them, or
	// nil when they are not known before the first row.
	WireColumns() (oids []uint32, formats []int16)
	// WireValues returns the current row's values, nil for NULL. They are valid until the next
	// call of Next.
	WireValues() [][]byte
}

// wireTextSafe are the types whose text form does not depend on the settings of the session
// that printed it (DateStyle, IntervalStyle, extra_float_digits, TimeZone), so the source's text
// is the gateway's text too.
var wireTextSafe = map[uint32]bool{
	pgtypes.Bool.OID: true, pgtypes.Int2.OID: true, pgtypes.Int4.OID: true,
	pgtypes.Int8.OID: true, pgtypes.Text.OID: true,
}

// wireMatches reports whether every column of rows can be passed through: the source's type is
// the plan's, and its format is the one the client bound (formats, nil: all text).
func wireMatches(rows WireRows, plan *planner.Plan, formats []int16) bool {
	oids, srcFormats := rows.WireColumns()
	if len(oids) == 0 || len(oids) != len(plan.Columns) || len(srcFormats) != len(oids) {
		return false
	}
	for i, col := range plan.Columns {
		want := int16(0)
		if i < len(formats) {
			want = formats[i]
		}
		if oids[i] != col.Type.OID || srcFormats[i] != want {
			return false
		}
		if want == 0 && !wireTextSafe[oids[i]] {
			return false
		}
	}
	return true
}

// streamWire writes rows to w as the source's bytes; the row cap applies as in stream.
func streamWire(rows WireRows, plan *planner.Plan, w RowWriter) (Result, error) {
	var res Result
	n := len(plan.Columns)
	for rows.Next() {
		if plan.MaxRows > 0 && res.Rows >= plan.MaxRows {
			res.Truncated = true
			break
		}
		vals := rows.WireValues()
		if len(vals) != n {
			return res, sqlerr.Internal(fmt.Errorf("engine returned %d columns, plan has %d", len(vals), n))
		}
		if err := w.WriteRow(vals); err != nil {
			return res, err
		}
		res.Rows++
	}
	return res, rows.Err()
}
