package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"runtime"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/internal/valuesize"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Config says which database to open and what to run in it before it is locked.
type Config struct {
	// Path is a DuckDB database file; empty means an in-memory database.
	Path string
	// InitSQL runs in order at start-up, before the lock-down; each entry may hold several
	// statements.
	InitSQL []string
	// MaxConns bounds concurrent engine connections (default: 2 × CPUs).
	MaxConns int
	// MemoryLimit caps the engine's memory, e.g. "4GB" (empty: DuckDB's default, 80% of RAM).
	// A query past it fails with 54000 instead of taking the machine down.
	MemoryLimit string
	// MemoryLimitSetting names the setting MemoryLimit comes from, for the hint of that 54000.
	MemoryLimitSetting string
	// Threads bounds the threads one query may use (0: DuckDB's default, one per core). The
	// catalog engine runs each query on one, so that a heavy query cannot take every core
	// from the small lookups of other clients.
	Threads int
}

var memoryLimitPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?\s*([KMGT]i?B)$`)

// ValidMemoryLimit reports whether s is a size Config.MemoryLimit takes, e.g. 512MB or 4GB.
func ValidMemoryLimit(s string) bool { return memoryLimitPattern.MatchString(s) }

// lockdown runs after the start-up SQL. Order matters: lock_configuration must come last.
var lockdown = []string{
	// PostgreSQL's NULL order: last ascending, first descending. DuckDB's default puts NULL
	// last either way, which would change every top-N over a nullable metric.
	"SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
	"SET autoinstall_known_extensions = false",
	"SET autoload_known_extensions = false",
	"SET allow_community_extensions = false",
	"SET enable_external_access = false",
	"SET lock_configuration = true",
}

// Backend is an open, locked DuckDB database.
type Backend struct {
	db        *sql.DB
	connector *duckdb.Connector
	// memorySetting names the memory limit's setting in the hint of a 54000.
	memorySetting string
}

// Open opens the database, runs the start-up SQL and locks the engine.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	connector, err := duckdb.NewConnector(cfg.Path, nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %q: %w", cfg.Path, err)
	}
	db := sql.OpenDB(connector)
	n := cfg.MaxConns
	if n <= 0 {
		n = 2 * runtime.NumCPU()
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	b := &Backend{db: db, connector: connector, memorySetting: cfg.MemoryLimitSetting}
	for i, q := range cfg.InitSQL {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Close()
			return nil, fmt.Errorf("duckdb start-up SQL #%d: %w", i+1, err)
		}
	}
	if cfg.MemoryLimit != "" {
		if !memoryLimitPattern.MatchString(cfg.MemoryLimit) {
			b.Close()
			return nil, fmt.Errorf("duckdb memory limit %q: want a size such as 512MB or 4GB", cfg.MemoryLimit)
		}
		// The value is checked against the pattern above, so quoting it here is safe.
		if _, err := db.ExecContext(ctx, "SET memory_limit = '"+cfg.MemoryLimit+"'"); err != nil {
			b.Close()
			return nil, fmt.Errorf("duckdb memory limit: %w", err)
		}
	}
	if cfg.Threads > 0 {
		if _, err := db.ExecContext(ctx, fmt.Sprintf("SET threads = %d", cfg.Threads)); err != nil {
			b.Close()
			return nil, fmt.Errorf("duckdb threads: %w", err)
		}
	}
	for _, q := range lockdown {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Close()
			return nil, fmt.Errorf("duckdb lock-down %q: %w", q, err)
		}
	}
	return b, nil
}

// Close closes the database.
func (b *Backend) Close() error {
	err := b.db.Close()
	if cerr := b.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// Query runs engine SQL and streams its rows.
func (b *Backend) Query(ctx context.Context, query string, args []any) (engine.Rows, error) {
	rows, err := b.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, b.mapError(ctx, err)
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, b.mapError(ctx, err)
	}
	r := &resultRows{b: b, ctx: ctx, rows: rows, raw: make([]any, len(cols)), ptrs: make([]any, len(cols)), vals: make([]any, len(cols))}
	for i := range r.raw {
		r.ptrs[i] = &r.raw[i]
	}
	return r, nil
}

type resultRows struct {
	b    *Backend
	ctx  context.Context
	rows *sql.Rows
	raw  []any
	ptrs []any
	vals []any
}

func (r *resultRows) Next() bool { return r.rows.Next() }

func (r *resultRows) Values() ([]any, error) {
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return nil, r.b.mapError(r.ctx, err)
	}
	for i, v := range r.raw {
		r.vals[i] = normalize(v)
	}
	return r.vals, nil
}

func (r *resultRows) Err() error {
	if err := r.rows.Err(); err != nil {
		return r.b.mapError(r.ctx, err)
	}
	return nil
}

func (r *resultRows) Close() error { return r.rows.Close() }

// normalize converts DuckDB's Go values into the set engine.Rows promises.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte, time.Time, *big.Int:
		return x
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return new(big.Int).SetUint64(x)
	case float32:
		return float64(x)
	case duckdb.Decimal:
		return pgtypes.Decimal{Unscaled: x.Value, Scale: int(x.Scale)}
	case duckdb.Interval:
		return pgtypes.IntervalValue{Months: x.Months, Days: x.Days, Micros: x.Micros}
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		return x.String()
	case []any:
		// Lists stay lists, their elements normalized: an array column encodes them as
		// PostgreSQL's array, a column announced as text prints their array text
		// (pgtypes.AppendText).
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		// Structs and JSON objects: JSON text.
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}

// mapError is mapError with the hint naming the memory limit's setting.
func (b *Backend) mapError(ctx context.Context, err error) error {
	mapped := mapError(ctx, err)
	var se *sqlerr.Error
	if b.memorySetting != "" && errors.As(mapped, &se) && se.Message == outOfMemory {
		return se.WithHint("the engine's memory limit is %s", b.memorySetting)
	}
	return mapped
}

// outOfMemory is the message of a query past the engine's memory limit, 54000 (not 53200:
// Npgsql would drop its whole pool over one heavy query). DuckDB's own text (sizes, allocator)
// stays in the engine.
const outOfMemory = "out of memory: the query needs more memory than the engine may use"

// mapError gives DuckDB's error a SQLSTATE. Cancellation is 57014; errors in the SQL itself are
// class 42 or 22; only failures of the engine itself are internal.
func mapError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	var de *duckdb.Error
	if !errors.As(err, &de) {
		return sqlerr.Internal(err)
	}
	if e, ok := valuesize.FromEngine(de.Msg); ok && de.Type == duckdb.ErrorTypeInvalidInput {
		// The planner's value-size guard refusing a value before it is built.
		return e
	}
	if de.Type == duckdb.ErrorTypeOutOfMemory {
		return &sqlerr.Error{Code: sqlerr.ProgramLimitExceeded, Severity: sqlerr.SeverityError, Message: outOfMemory, Cause: err}
	}
	code := kindCode(de.Type, de.Msg)
	if code == "" {
		return sqlerr.Internal(err)
	}
	return rephrase(code, de.Msg)
}

var _ engine.Backend = (*Backend)(nil)
