package clickhouse

import (
	"context"
	"math/big"
	"reflect"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// rows streams a native result. The driver reads one block at a time; Values converts the
// current row into engine's value set.
type rows struct {
	b     *Backend
	ctx   context.Context
	rs    driver.Rows
	stop  func(wait bool)
	id    string // the query's id, for KILL QUERY
	ended bool   // Next has returned false
	dest  []any  // pointers the driver scans into, one per column
	vals  []any
	err   error
	close bool
}

func newRows(b *Backend, ctx context.Context, rs driver.Rows, id string, stop func(bool)) (*rows, error) {
	types := rs.ColumnTypes()
	r := &rows{b: b, ctx: ctx, rs: rs, stop: stop, id: id, dest: make([]any, len(types)), vals: make([]any, len(types))}
	for i, ct := range types {
		if ct.ScanType() == nil {
			return nil, unsupported(ct.DatabaseTypeName())
		}
		r.dest[i] = reflect.New(ct.ScanType()).Interface()
	}
	return r, nil
}

func (r *rows) Next() bool {
	if r.err != nil || r.close {
		return false
	}
	if !r.rs.Next() {
		r.ended = true
		if err := r.rs.Err(); err != nil {
			r.err = r.b.mapError(r.ctx, err)
			r.b.killAfterError(r.ctx, r.id)
		} else if err := r.ctx.Err(); err != nil {
			r.err = canceled(r.ctx)
		}
		return false
	}
	if err := r.rs.Scan(r.dest...); err != nil {
		r.err = r.b.mapError(r.ctx, err)
		return false
	}
	return true
}

func (r *rows) Values() ([]any, error) {
	for i, d := range r.dest {
		v, err := value(reflect.ValueOf(d).Elem())
		if err != nil {
			return nil, err
		}
		r.vals[i] = v
	}
	return r.vals, nil
}

func (r *rows) Err() error { return r.err }

// Close ends the stream. A stream closed before its end is killed on the server first: the
// driver's close would read the rest of it.
func (r *rows) Close() error {
	if r.close {
		return nil
	}
	r.close = true
	if !r.ended && r.ctx.Err() == nil {
		// The driver's Close reads the rest of the stream; stop the query first.
		r.b.kill(r.id)
	}
	err := r.rs.Close()
	r.stop(true)
	if err != nil && r.err == nil && r.ctx.Err() == nil {
		return r.b.mapError(r.ctx, err)
	}
	return nil
}

// value converts one scanned value (a pointer for Nullable columns) into engine's value set.
func value(v reflect.Value) (any, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case bool, int64, float64, string, time.Time:
		return x, nil
	case int8, int16, int32:
		return v.Int(), nil
	case uint8, uint16, uint32:
		return int64(v.Uint()), nil
	case uint64:
		if x > 1<<63-1 {
			return new(big.Int).SetUint64(x), nil
		}
		return int64(x), nil
	case float32:
		return float64(x), nil
	case []byte:
		return x, nil
	case uuid.UUID:
		return x.String(), nil
	case decimal.Decimal:
		// Unscaled × 10^Exponent, with a non-positive exponent as ClickHouse decimals have.
		if x.Exponent() > 0 {
			return pgtypes.Decimal{Unscaled: x.Shift(x.Exponent()).BigInt(), Scale: 0}, nil
		}
		return pgtypes.Decimal{Unscaled: x.Coefficient(), Scale: int(-x.Exponent())}, nil
	}
	return nil, unsupported(v.Type().String())
}

// unsupported is the refusal of a result type the gateway cannot return exactly.
func unsupported(t string) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "a ClickHouse result of type %s cannot be returned; cast it in the catalog", t)
}
