package duckdb

import (
	"context"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

func open(t *testing.T) *Backend {
	t.Helper()
	b, err := Open(context.Background(), Config{InitSQL: []string{
		"CREATE TABLE t (a INTEGER, d DECIMAL(10,2)); INSERT INTO t VALUES (1, 2.50), (2, 3.00)",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func queryAll(t *testing.T, b *Backend, q string) ([][]any, error) {
	t.Helper()
	rows, err := b.Query(context.Background(), q, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, append([]any(nil), v...))
	}
	return out, rows.Err()
}

// The lock-down must hold against statements that try to undo it or to reach outside.
func TestLockdownRefusesEscapes(t *testing.T) {
	b := open(t)
	for _, q := range []string{
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_text('/etc/hostname')",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"ATTACH '/tmp/setupranali-escape.db' AS x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"COPY t TO '/tmp/setupranali-escape.csv'",
	} {
		_, err := queryAll(t, b, q)
		if err == nil {
			t.Errorf("%s: succeeded, want an error", q)
			continue
		}
		if c := sqlerr.Code(err); c == sqlerr.InternalError {
			t.Errorf("%s: got internal error %v, want a client-facing SQLSTATE", q, err)
		}
	}
}

func TestValuesAreNormalised(t *testing.T) {
	b := open(t)
	rows, err := queryAll(t, b, "SELECT sum(a), sum(d), -7 // 2, 7 // 2 FROM t")
	if err != nil {
		t.Fatal(err)
	}
	got := rows[0]
	if got[2] != int64(-3) || got[3] != int64(3) {
		t.Errorf("integer division = %v, %v; want -3, 3 (truncation toward zero, as PostgreSQL)", got[2], got[3])
	}
	d, ok := got[1].(pgtypes.Decimal)
	if !ok || d.Scale != 2 || d.Unscaled.Int64() != 550 {
		t.Errorf("sum(decimal) = %#v, want pgtypes.Decimal 550 scale 2", got[1])
	}
	if got[0] == nil {
		t.Errorf("sum(integer) is NULL")
	}
}

func TestErrorsMapToSQLSTATE(t *testing.T) {
	b := open(t)
	cases := map[string]string{
		"SELECT 2147483647::INTEGER + 1::INTEGER": "22003",
		"SELECT * FROM missing":                   sqlerr.UndefinedTable,
		"SELECT CAST('x' AS INTEGER)":             sqlerr.InvalidTextRepresentation,
	}
	for q, want := range cases {
		_, err := queryAll(t, b, q)
		if got := sqlerr.Code(err); got != want {
			t.Errorf("%s: SQLSTATE %s (%v), want %s", q, got, err, want)
		}
		// DuckDB quotes the statement after its first line; engine SQL must not reach clients.
		if msg := sqlerr.From(err).Message; strings.Contains(msg, "\n") || strings.Contains(msg, "LINE") {
			t.Errorf("%s: message quotes the engine SQL: %q", q, msg)
		}
	}
}

// A query past the memory limit fails fast with a client-facing code instead of swapping.
func TestMemoryLimit(t *testing.T) {
	b, err := Open(context.Background(), Config{MemoryLimit: "64MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = queryAll(t, b, "SELECT length(string_agg(repeat('x', 1000), '')) FROM range(1000000)")
	if code := sqlerr.Code(err); code != sqlerr.ProgramLimitExceeded {
		t.Errorf("over the memory limit: %v (SQLSTATE %s), want 54000", err, code)
	}
	if _, err := Open(context.Background(), Config{MemoryLimit: "4GB'; SET x='y"}); err == nil {
		t.Error("a malformed memory limit was accepted")
	}
}
