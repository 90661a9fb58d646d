package testkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB that records a skip, a failure and the cleanups instead of acting
// on them, so the helpers' refusals can be checked without failing this test.
type recorder struct {
	testing.TB
	skipped, failed string
	cleanups        []func()
}

func (r *recorder) Helper()                      {}
func (r *recorder) Skip(args ...any)             { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }
func (r *recorder) Errorf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }
func (r *recorder) Cleanup(f func())             { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Deadline() (time.Time, bool)  { return time.Time{}, false }
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// Unset variables skip; a set variable naming a service that is not there fails instead, so
// a run that was meant to use the services (CI) cannot pass by skipping.
func TestServicesSkipOnlyWhenUnset(t *testing.T) {
	t.Setenv(PostgresEnv, "")
	t.Setenv(RedisEnv, "")
	r := &recorder{TB: t}
	if dsn := PostgresDSN(r); dsn != "" || r.skipped == "" || r.failed != "" {
		t.Errorf("unset DSN: %q skipped %q failed %q", dsn, r.skipped, r.failed)
	}
	r = &recorder{TB: t}
	if c, p := Redis(r); c != nil || p != "" || r.skipped == "" || r.failed != "" {
		t.Errorf("unset Redis URL: skipped %q failed %q", r.skipped, r.failed)
	}

	// Port 1 on loopback: nothing listens there.
	t.Setenv(PostgresEnv, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	t.Setenv(RedisEnv, "redis://127.0.0.1:1/0")
	r = &recorder{TB: t}
	if conn := PostgresConn(r); conn != nil || r.skipped != "" || r.failed == "" {
		t.Errorf("unreachable PostgreSQL: skipped %q failed %q", r.skipped, r.failed)
	}
	r = &recorder{TB: t}
	if name := PostgresSchema(r); name != "" || r.skipped != "" || r.failed == "" {
		t.Errorf("unreachable PostgreSQL schema: skipped %q failed %q", r.skipped, r.failed)
	}
	r = &recorder{TB: t}
	if c, _ := Redis(r); c != nil || r.skipped != "" || r.failed == "" {
		t.Errorf("unreachable Redis: skipped %q failed %q", r.skipped, r.failed)
	}
}

// The schema exists during the test and is gone, with its tables, after it.
func TestPostgresSchemaIsDropped(t *testing.T) {
	admin := PostgresConn(t)
	ctx := Context(t)
	exists := func(name string) bool {
		var n int
		if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	var name string
	t.Run("inner", func(t *testing.T) {
		name = PostgresSchema(t)
		if !exists(name) {
			t.Fatalf("schema %s was not created", name)
		}
		if _, err := admin.Exec(ctx, "CREATE TABLE "+name+".t AS SELECT 1 AS x"); err != nil {
			t.Fatal(err)
		}
	})
	if name == "" || exists(name) {
		t.Errorf("schema %q is still there after its test", name)
	}
}

// Keys under the prefix are gone after the test; a key outside it is left alone.
func TestRedisPrefixIsCleaned(t *testing.T) {
	outside, outsidePrefix := Redis(t)
	ctx := Context(t)
	keep := outsidePrefix + "keep"
	if err := outside.Set(ctx, keep, "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	var prefix string
	t.Run("inner", func(t *testing.T) {
		rdb, p := Redis(t)
		prefix = p
		for i := range 250 { // more than one SCAN page
			if err := rdb.Set(ctx, fmt.Sprintf("%sk%d", p, i), "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	left, err := outside.Keys(ctx, prefix+"*").Result()
	if err != nil || len(left) != 0 {
		t.Errorf("keys left under %s: %d (%v)", prefix, len(left), err)
	}
	if n, err := outside.Exists(ctx, keep).Result(); err != nil || n != 1 {
		t.Errorf("a key under another prefix was removed: %d %v", n, err)
	}
}

func TestContextEndsWithTheTest(t *testing.T) {
	var ctx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = ContextWithin(t, time.Hour)
		dl, ok := ctx.Deadline()
		if !ok || time.Until(dl) > time.Hour {
			t.Errorf("deadline %v %v, want within an hour", dl, ok)
		}
		if td, ok := t.Deadline(); ok && dl.After(td) {
			t.Errorf("deadline %v after the test binary's %v", dl, td)
		}
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
	})
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after the test: %v, want canceled", ctx.Err())
	}
	short := ContextWithin(t, time.Millisecond)
	<-short.Done()
	if !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Errorf("short context: %v", short.Err())
	}
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	Eventually(t, "the third poll", func() bool { return n.Add(1) >= 3 })
	if n.Load() != 3 {
		t.Errorf("polled %d times, want 3", n.Load())
	}
	r := &recorder{TB: t}
	start := time.Now()
	EventuallyWithin(r, 50*time.Millisecond, "a condition that never holds", func() bool { return false })
	if r.failed == "" || !strings.Contains(r.failed, "a condition that never holds") {
		t.Errorf("failure %q does not name what it waited for", r.failed)
	}
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("gave up after %v, before its bound", time.Since(start))
	}
}

func TestNoSecrets(t *testing.T) {
	r := &recorder{TB: t}
	NoSecrets(r, "log", "user=alice password=hunter2", "", "s3cret")
	if r.failed != "" {
		t.Errorf("no secret in the text, yet: %s", r.failed)
	}
	NoSecrets(r, "log", "user=alice password=hunter2", "hunter2")
	if !strings.Contains(r.failed, "log contains a secret (hunt...)") {
		t.Errorf("a secret in the text: %q", r.failed)
	}
}

func TestTempFileAndSyncBuffer(t *testing.T) {
	p := TempFile(t, "catalog.yaml", "datasets: []\n")
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "datasets: []\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	var buf SyncBuffer
	done := make(chan struct{})
	for range 4 {
		go func() { fmt.Fprint(&buf, "ab"); done <- struct{}{} }()
	}
	for range 4 {
		<-done
	}
	if got := buf.String(); got != "abababab" {
		t.Fatalf("buffer holds %q", got)
	}
}
