package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/postgres"
)

// testDSN is the PostgreSQL the integration tests use (CI's .ci/run sets it, so these tests
// cannot skip there).
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("SETU_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SETU_TEST_POSTGRES_DSN is not set")
	}
	return dsn
}

// adminConn is a plain connection for setting up, watching pg_stat_activity and terminating
// backends: the side of the test that plays the operator.
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN(t))
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// freshSchema creates a uniquely named schema for one test and drops it, with everything in
// it, when the test ends.
func freshSchema(t testing.TB, admin *pgx.Conn) string {
	t.Helper()
	name := uniqueName("setu_test_")
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN(t))
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// withAppName returns the test DSN with an application_name of the test's own, so its
// backend connections can be told apart in pg_stat_activity.
func withAppName(t testing.TB, app string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.ConnString() + dsnSep(cfg.ConnString()) + "application_name=" + app
}

func dsnSep(dsn string) string {
	for _, c := range dsn {
		if c == '?' {
			return "&"
		}
	}
	return "?"
}

func openBackend(t testing.TB, cfg postgres.Config) *postgres.Backend {
	t.Helper()
	if cfg.DSN == "" {
		cfg.DSN = testDSN(t)
	}
	b, err := postgres.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func queryAll(ctx context.Context, b engine.Backend, sql string, args ...any) ([][]any, error) {
	rows, err := b.Query(ctx, sql, args)
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

// activeWith counts the backends, other than the asking one, running a statement whose text
// holds marker. The marker is passed as a parameter so this query's own text never matches.
func activeWith(t testing.TB, admin *pgx.Conn, marker string) int {
	t.Helper()
	var n int
	err := admin.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'",
		marker).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or a generous bound passes; the bound only keeps a broken
// run from hanging, nothing asserts how fast the condition came true.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stopMarked cancels whatever a failed test may have left running under marker.
func stopMarked(t testing.TB, marker string) {
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testDSN(t))
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'", marker)
	})
}
