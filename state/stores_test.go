package state

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

// pgStateDSN is the test PostgreSQL's DSN with the search_path of a fresh schema, which is
// dropped when the test ends; "" when the test was skipped.
func pgStateDSN(t *testing.T) string {
	t.Helper()
	schema := testkit.PostgresSchema(t)
	if schema == "" {
		return ""
	}
	u, err := url.Parse(testkit.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPG opens a PostgreSQL state store in a fresh schema.
func openPG(t *testing.T) *DB {
	t.Helper()
	dsn := pgStateDSN(t)
	if dsn == "" {
		return nil
	}
	db, err := OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// forEachStore runs fn against a fresh SQLite store and a fresh PostgreSQL store: both
// implement one contract.
func forEachStore(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openTest(t, filepath.Join(t.TempDir(), "s.db"))) })
	t.Run("postgres", func(t *testing.T) {
		if db := openPG(t); db != nil {
			fn(t, db)
		}
	})
}
