package testkit

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLEnv names the test MySQL-wire server (the machine's MariaDB in CI) as a
// go-sql-driver/mysql DSN without a database, e.g. "root@tcp(127.0.0.1:3306)/".
const MySQLEnv = "SETU_TEST_MYSQL_DSN"

// MySQLDSN returns the test server's DSN. Unset, the test skips, unless SETU_REQUIRE_SHARED is
// set (CI), where it fails: nothing may silently skip there.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(MySQLEnv)
	if dsn == "" {
		if os.Getenv("SETU_REQUIRE_SHARED") != "" {
			t.Fatal(MySQLEnv + " is not set and SETU_REQUIRE_SHARED is")
			return ""
		}
		t.Skip(MySQLEnv + " is not set")
		return ""
	}
	return dsn
}

// MySQLDatabase creates a database of a unique name on the test server and drops it, with
// everything in it, when the test ends. It returns the name (a plain lower-case identifier,
// safe to write into SQL unquoted) and a connection pool on it, closed at the end. A server
// that does not answer fails the test.
func MySQLDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	dsn := MySQLDSN(t)
	if dsn == "" {
		return "", nil // skipped
	}
	name := UniqueName("setu_test_")
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("%s: %v", MySQLEnv, err)
		return "", nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s on %s: %v", name, MySQLEnv, err)
		return "", nil
	}
	db, err := sql.Open("mysql", WithMySQLDatabase(dsn, name))
	if err != nil {
		admin.Close()
		t.Fatalf("%s: %v", MySQLEnv, err)
		return "", nil
	}
	t.Cleanup(func() {
		db.Close()
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name, db
}

// WithMySQLDatabase is dsn with its database set to name.
func WithMySQLDatabase(dsn, name string) string {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return dsn
	}
	cfg.DBName = name
	return cfg.FormatDSN()
}
