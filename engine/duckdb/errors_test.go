package duckdb

import (
	"errors"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

// engineWords are what gives DuckDB's own text away: its error kinds and its type names. None
// may reach a client in a message, a detail or a hint.
var engineWords = regexp.MustCompile(`(?i)\b(\w+ Error:|duckdb|INT(8|16|32|64|128)|VARCHAR|STRING_LITERAL|INTEGER_LITERAL|HUGEINT|candidate function|Binder|LINE \d)`)

// The same failing statements run on DuckDB through the backend and on the machine's
// PostgreSQL: the client must read PostgreSQL's SQLSTATE and, where exact is set, PostgreSQL's
// very message. PostgreSQL is the ground truth, not a table in this test.
func TestErrorsAreWordedAsPostgres(t *testing.T) {
	b := open(t)
	pg := testkit.PostgresConn(t)
	ctx := testkit.Context(t)
	if _, err := pg.Exec(ctx, "CREATE TEMP TABLE t (a INTEGER, d DECIMAL(10,2))"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql   string
		exact bool // PostgreSQL's message word for word; else its SQLSTATE only
	}{
		{"SELECT 2147483647::INTEGER + 1::INTEGER", true},
		{"SELECT 9223372036854775807::BIGINT * 2", true},
		{"SELECT 3000000000::BIGINT::SMALLINT", true},
		{"SELECT * FROM missing", true},
		{"SELECT CAST('x' AS INTEGER)", true},
		{"SELECT CAST('x' AS DOUBLE PRECISION)", true},
		{"SELECT CAST('x' AS BOOLEAN)", true},
		{"SELECT CAST('x' AS DECIMAL(10,2))", true},
		{"SELECT CAST('x' AS INTERVAL)", true},
		{"SELECT CAST('2019-13-45' AS DATE)", true},
		{"SELECT CAST(true AS DATE)", true},
		{"SELECT lower(a) FROM t", true},
		{"SELECT zz FROM t", true},
		{"SELECT t.zz FROM t", true},
		{"SELECT ln(-1)", true},
		{"SELECT sqrt(-1)", true},
		{"SELECT a, sum(d) FROM t", false}, // PostgreSQL qualifies the column: "t.a"
		{"SELECT nosuch(a) FROM t", false}, // PostgreSQL lists the argument types
		{"SELECT CAST('x' AS DATE)", false},
	} {
		_, derr := queryAll(t, b, c.sql)
		_, perr := pg.Exec(ctx, c.sql)
		var pe *pgconn.PgError
		if !errors.As(perr, &pe) {
			t.Fatalf("%s: PostgreSQL gave %v, want an error to compare with", c.sql, perr)
		}
		got := sqlerr.From(derr)
		if got.Code != pe.Code {
			t.Errorf("%s: SQLSTATE %s (%q), PostgreSQL says %s (%q)", c.sql, got.Code, got.Message, pe.Code, pe.Message)
		}
		if c.exact && got.Message != pe.Message {
			t.Errorf("%s: message %q, PostgreSQL says %q", c.sql, got.Message, pe.Message)
		}
		noEngineWords(t, c.sql, got)
	}
}

// Statements PostgreSQL words differently or would not refuse still reach the client in
// PostgreSQL's manner: a PostgreSQL code of the right class, and no word of DuckDB's.
func TestErrorsNeverQuoteTheEngine(t *testing.T) {
	b := open(t)
	for sql, want := range map[string]string{
		"SELECT 'a' + 1":                  sqlerr.AmbiguousFunction,
		"SELECT DATE '2020-01-01' - 'x'":  sqlerr.AmbiguousFunction,
		"SELECT ARRAY[1,2] = 'x'":         sqlerr.InvalidTextRepresentation,
		"SELECT pragma_version()":         sqlerr.UndefinedFunction, // a table function called as a scalar
		"SELECT CAST('20190101' AS DATE)": sqlerr.InvalidDatetimeFormat,
		"SELECT 'abc'::BLOB::INTEGER":     sqlerr.CannotCoerce,
		"SELECT chr(-1)":                  sqlerr.InvalidTextRepresentation,
		"SELECT 1 FROM t GROUP BY 2":      "",
	} {
		_, err := queryAll(t, b, sql)
		if err == nil {
			t.Errorf("%s: no error", sql)
			continue
		}
		got := sqlerr.From(err)
		if want != "" && got.Code != want {
			t.Errorf("%s: SQLSTATE %s (%q), want %s", sql, got.Code, got.Message, want)
		}
		noEngineWords(t, sql, got)
	}
}

func noEngineWords(t *testing.T, sql string, e *sqlerr.Error) {
	t.Helper()
	for _, text := range []string{e.Message, e.Detail, e.Hint} {
		if engineWords.MatchString(text) {
			t.Errorf("%s: the client would read the engine's words: %q", sql, text)
		}
	}
	if e.Code == sqlerr.InternalError {
		t.Errorf("%s: an error in the statement became internal: %v", sql, e)
	}
}

// The engine's own words stay in the cause, where the log finds them.
func TestEngineTextStaysInTheCause(t *testing.T) {
	b := open(t)
	_, err := queryAll(t, b, "SELECT CAST('x' AS INTEGER)")
	e := sqlerr.From(err)
	if e.Cause == nil || !regexp.MustCompile(`Conversion Error: .*INT32`).MatchString(e.Cause.Error()) {
		t.Fatalf("cause %v, want DuckDB's first line", e.Cause)
	}
}
