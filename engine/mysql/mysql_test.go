package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/setupranali/setupranali/engine/mysql"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

// open makes a backend on a fresh database of the test server and returns it with a pool of
// the test's own on the same database.
func open(t *testing.T, timeout time.Duration) (*mysql.Backend, *sql.DB, string) {
	t.Helper()
	name, db := testkit.MySQLDatabase(t)
	be, err := mysql.Open(context.Background(), mysql.Config{
		DSN: testkit.WithMySQLDatabase(testkit.MySQLDSN(t), name), StatementTimeout: timeout, Name: "maria"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be, db, name
}

func code(err error) string {
	var e *sqlerr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return fmt.Sprintf("not a sqlerr: %v", err)
}

// drain reads every row of a query and returns the first error.
func drain(be *mysql.Backend, ctx context.Context, q string) ([][]any, error) {
	rows, err := be.Query(ctx, q, nil)
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

// A write inside the backend's read-only transaction is refused by the server with 25006, and
// the server's text does not reach the message.
func TestReadOnlyRefusal(t *testing.T) {
	be, db, _ := open(t, 0)
	ctx := testkit.Context(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT)"); err != nil {
		t.Fatal(err)
	}
	_, err := drain(be, ctx, "INSERT INTO t VALUES (1)")
	if code(err) != sqlerr.ReadOnlySQLTransaction {
		t.Fatalf("insert through the backend: got %v (%s), want 25006", err, code(err))
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the table holds %d rows (%v), want 0", n, err)
	}
}

// Values come back as the Go types of their PostgreSQL types, NULLs as nil.
func TestValueTypes(t *testing.T) {
	be, _, _ := open(t, 0)
	got, err := drain(be, testkit.Context(t), "SELECT CAST(7 AS SIGNED), CAST(2.50 AS DECIMAL(5,2)), 1.5E0, 'x', CAST('2025-12-01' AS DATE), CAST('2025-12-01 10:11:12' AS DATETIME), NULL")
	if err != nil {
		t.Fatal(err)
	}
	want := "[7 {250 2} 1.5 x 2025-12-01 00:00:00 +0000 UTC 2025-12-01 10:11:12 +0000 UTC <nil>]"
	if s := fmt.Sprint(got[0]); s != want {
		t.Fatalf("got %s, want %s", s, want)
	}
}

// running reports whether the server still runs a statement containing marker.
func running(t *testing.T, db *sql.DB, marker string) bool {
	t.Helper()
	var n int
	err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND INFO NOT LIKE '%PROCESSLIST%'",
		"%"+marker+"%").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// A cancelled query is gone from the server's process list within 2 s: KILL QUERY, not just
// the driver closing its socket.
func TestCancelKillsQuery(t *testing.T) {
	be, db, _ := open(t, 0)
	ctx, cancel := context.WithCancel(testkit.Context(t))
	marker := testkit.UniqueName("cancel_")
	done := make(chan error, 1)
	go func() {
		_, err := drain(be, ctx, "SELECT SLEEP(60) AS "+marker)
		done <- err
	}()
	testkit.Eventually(t, "the query to run on the server", func() bool { return running(t, db, marker) })
	cancel()
	testkit.EventuallyWithin(t, 2*time.Second, "the cancelled query to leave the process list", func() bool {
		return !running(t, db, marker)
	})
	if err := <-done; code(err) != sqlerr.QueryCanceled {
		t.Fatalf("cancelled query: got %v, want 57014", err)
	}
}

// The gateway's timeout is the server's: the statement is stopped there and the client gets
// 57014.
func TestStatementTimeout(t *testing.T) {
	be, db, _ := open(t, 500*time.Millisecond)
	marker := testkit.UniqueName("timeout_")
	start := time.Now()
	_, err := drain(be, testkit.Context(t), "SELECT SLEEP(30) AS "+marker)
	if code(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v (%s), want 57014", err, code(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %s", d)
	}
	if running(t, db, marker) {
		t.Fatal("the timed-out statement still runs on the server")
	}
}

// A reader that stops early after one row of a huge result closes at once (the rest is not
// read off the wire), leaves no statement running, and the backend serves the next query.
func TestEarlyCloseStopsServer(t *testing.T) {
	be, db, _ := open(t, 0)
	ctx := testkit.Context(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT) AS WITH RECURSIVE s (id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM s WHERE id < 1000) SELECT id FROM s"); err != nil {
		t.Fatal(err)
	}
	marker := testkit.UniqueName("early_")
	// A billion rows: only a reader that reads them all, or a server left running, takes long.
	rows, err := be.Query(ctx, "SELECT a.id AS "+marker+" FROM t a, t b, t c", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	testkit.Within(t, 3*time.Second, "close after the first row", func() { rows.Close() })
	testkit.EventuallyWithin(t, 2*time.Second, "the abandoned statement to leave the process list", func() bool {
		return !running(t, db, marker)
	})
	for range 3 {
		got, err := drain(be, ctx, "SELECT 1")
		if err != nil || fmt.Sprint(got) != "[[1]]" {
			t.Fatalf("next query: %v %v", got, err)
		}
	}
}
