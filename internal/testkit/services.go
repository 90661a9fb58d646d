package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// The variables naming the machine's services; .ci/run sets both.
const (
	PostgresEnv = "SETU_TEST_POSTGRES_DSN"
	RedisEnv    = "SETU_TEST_REDIS_URL"
)

// PostgresDSN returns the test PostgreSQL's DSN, or skips the test when SETU_TEST_POSTGRES_DSN
// is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		t.Skip(PostgresEnv + " is not set")
		return ""
	}
	return dsn
}

// RedisURL returns the test Redis's URL, or skips the test when SETU_TEST_REDIS_URL is unset.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(RedisEnv)
	if url == "" {
		t.Skip(RedisEnv + " is not set")
		return ""
	}
	return url
}

// UniqueName is prefix followed by 12 random hex digits: a name no other test run picks.
func UniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// PostgresConn is a plain connection to the test PostgreSQL, closed when the test ends: the
// side of a test that sets up data and plays the operator.
func PostgresConn(t testing.TB) *pgx.Conn {
	t.Helper()
	dsn := PostgresDSN(t)
	if dsn == "" {
		return nil // skipped
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresEnv, err)
		return nil
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// PostgresSchema creates a schema of a unique name in the test PostgreSQL and drops it, with
// everything in it, when the test ends. The name is a plain lower-case identifier, safe to
// write into SQL unquoted.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	dsn := PostgresDSN(t)
	if dsn == "" {
		return "" // skipped
	}
	name := UniqueName("setu_test_")
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresEnv, err)
		return ""
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
		return ""
	}
	t.Cleanup(func() {
		// A connection of its own: the test's connections may be closed or broken by now.
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// Redis is a client of the test Redis and a key prefix unique to this test; every key under the
// prefix is deleted and the client closed when the test ends. A Redis that does not answer
// fails the test.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := RedisURL(t)
	if url == "" {
		return nil, "" // skipped
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("%s: %v", RedisEnv, err)
		return nil, ""
	}
	rdb := redis.NewClient(o)
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		t.Fatalf("redis at %s: %v", RedisEnv, err)
		return nil, ""
	}
	prefix := RedisPrefix()
	t.Cleanup(func() {
		defer rdb.Close()
		if err := DeleteRedisPrefix(rdb, prefix); err != nil {
			t.Errorf("delete redis keys under %s: %v", prefix, err)
		}
	})
	return rdb, prefix
}

// RedisPrefix is a key prefix no other test run uses ("setutest:<hex>:"), for a test whose
// own Redis client removes its keys (see Redis for one that is cleaned up for you).
func RedisPrefix() string { return UniqueName("setutest:") + ":" }

// DeleteRedisPrefix deletes every key starting with prefix.
func DeleteRedisPrefix(rdb redis.UniversalClient, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}
