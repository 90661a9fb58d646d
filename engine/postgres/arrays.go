package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/pgtypes"
)

// arrayDecoder reads an array column (array_agg's results) into a list of the Go kinds
// engine.Rows documents, which pgtypes encodes as the announced array type: pgx reads either
// format into []any, whose integers, floats and instants are normalized here.
func arrayDecoder(m *pgtype.Map, oid uint32, format int16) decoder {
	if !pgtypes.IsArray(pgtypes.Type{OID: oid}) {
		return nil
	}
	return func(src []byte) (any, error) {
		var v []any
		if err := m.Scan(oid, format, src, &v); err != nil {
			return nil, err
		}
		for i, e := range v {
			el, err := arrayElement(e)
			if err != nil {
				return nil, err
			}
			v[i] = el
		}
		return v, nil
	}
}

func arrayElement(e any) (any, error) {
	switch x := e.(type) {
	case nil, string, bool, int64, float64:
		return x, nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return x, nil
	}
	return nil, fmt.Errorf("array element of Go type %T is not supported", e)
}
