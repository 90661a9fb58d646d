package pgwire

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Array parameters (lib/pq's pq.Array, pgx and psycopg lists, pgjdbc's setArray, and the
// '{r,p,f}' text catalog queries bind) are read by pgx's array codec in either format into a
// typed Go slice, which both engines bind as a list: []string, []int64, []float64, []bool or
// []time.Time (dates and timestamps as wall-clock UTC, timestamptz as the instant in UTC).
// The planner casts the parameter to the array type it compares with, so every integer
// array is an int8 list and every float array a float8 list.

// decodeArrayParam reads one array value of type t (elements elem).
func decodeArrayParam(m *pgtype.Map, t, elem pgtypes.Type, format int16, src []byte) (any, error) {
	switch elem.OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID, pgtypes.Int8.OID:
		return scanArray[int64](m, t, format, src)
	case pgtypes.Float4.OID, pgtypes.Float8.OID:
		return scanArray[float64](m, t, format, src)
	case pgtypes.Bool.OID:
		return scanArray[bool](m, t, format, src)
	case pgtypes.Date.OID, pgtypes.Timestamp.OID:
		return scanArray[time.Time](m, t, format, src)
	case pgtypes.Timestamptz.OID:
		vs, err := scanArray[time.Time](m, t, format, src)
		for i := range vs {
			vs[i] = vs[i].UTC()
		}
		return vs, err
	}
	return scanArray[string](m, t, format, src)
}

// scanArray reads a one-dimensional array whose elements are all non-NULL. A NULL element is
// refused: the engines bind lists without NULLs, and leaving one out would turn a comparison's
// NULL into false.
func scanArray[T any](m *pgtype.Map, t pgtypes.Type, format int16, src []byte) ([]T, error) {
	var ptrs []*T
	if err := m.Scan(t.OID, format, src, &ptrs); err != nil {
		return nil, err
	}
	out := make([]T, len(ptrs))
	for i, p := range ptrs {
		if p == nil {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "NULL elements in array parameters are not supported").
				WithHint("leave NULL out of the list and test for it with IS NULL")
		}
		out[i] = *p
	}
	return out, nil
}
