package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
)

// withAppName returns the test DSN with an application_name of the test's own, so its
// backend connections can be told apart in pg_stat_activity.
func withAppName(t testing.TB, app string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(testkit.PostgresDSN(t))
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
		cfg.DSN = testkit.PostgresDSN(t)
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

// stopMarked cancels whatever a failed test may have left running under marker.
func stopMarked(t testing.TB, marker string) {
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testkit.PostgresDSN(t))
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		_, _ = conn.Exec(context.Background(),
			"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'", marker)
	})
}
