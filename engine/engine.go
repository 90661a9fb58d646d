package engine

import "context"

// Backend runs engine SQL. Implementations live in sub-packages (engine/duckdb, ...).
type Backend interface {
	// Query starts the statement and returns its rows as a stream. The context bounds the whole
	// stream: cancelling it stops the engine. Errors are *sqlerr.Error.
	Query(ctx context.Context, sql string, args []any) (Rows, error)
	// Close releases the backend.
	Close() error
}

// Rows is a stream of result rows.
type Rows interface {
	Next() bool
	// Values returns the current row. Each value is nil, bool, int64, float64, string, []byte,
	// time.Time, *big.Int, pgtypes.Decimal or pgtypes.IntervalValue: the values pgtypes encodes.
	// The slice may be reused by the next call.
	Values() ([]any, error)
	Err() error
	Close() error
}

// RowWriter receives result rows. values[i] is column i in PostgreSQL text format (binary for
// the columns a FormatWriter asks so), nil for NULL. The slice and its contents are reused after
// WriteRow returns.
type RowWriter interface {
	WriteRow(values [][]byte) error
}

// FormatWriter is a RowWriter that wants some columns in PostgreSQL's binary format (the
// extended protocol lets a client choose per column, and pgx, pgjdbc and Npgsql ask for binary).
// Formats()[i] is 1 for binary, 0 for text; a nil or short slice means text for the rest. The
// Executor checks for it once per execution.
type FormatWriter interface {
	RowWriter
	Formats() []int16
}

// Result sums up an execution.
type Result struct {
	// Rows is how many rows were written.
	Rows int64
	// Truncated is true when the plan's row cap cut the result.
	Truncated bool
	// Cache says how the result cache took part: CacheHit, CacheShared, CacheMiss, CacheBypass,
	// or "" when it did not (no cache configured, or a plan that reads no dataset).
	Cache string
}
