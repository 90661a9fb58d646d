package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/clickhouse"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

func open(t *testing.T, c *testkit.ClickHouse, timeout time.Duration) *clickhouse.Backend {
	t.Helper()
	b, err := clickhouse.Open(context.Background(), clickhouse.Config{Addrs: c.Addrs, StatementTimeout: timeout, Name: "ch"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func collect(t *testing.T, rs engine.Rows, err error) [][]any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		v, err := rs.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]any(nil), v...))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDistributedTotals splits each tenant's rows over both shards: only a total that read
// both shards matches the sums of the test's own rows.
func TestDistributedTotals(t *testing.T) {
	c := testkit.ClickHouseCluster(t)
	db := c.Database(t)
	for _, a := range c.Addrs {
		c.Exec(t, a, "CREATE TABLE "+db+".orders_local (tenant_id String, revenue Float64, n Nullable(Int32)) ENGINE = MergeTree ORDER BY tenant_id")
		c.Exec(t, a, "CREATE TABLE "+db+".orders AS "+db+".orders_local ENGINE = Distributed("+c.Cluster+", "+db+", orders_local)")
	}
	c.Exec(t, c.Addrs[0], "INSERT INTO "+db+".orders_local SELECT 'a', 10, 1 UNION ALL SELECT 'b', 1, NULL")
	c.Exec(t, c.Addrs[1], "INSERT INTO "+db+".orders_local SELECT 'a', 5, 2 UNION ALL SELECT 'b', 2, NULL")
	b := open(t, c, 0)
	ctx := testkit.Context(t)
	rs, err := b.Query(ctx, "SELECT tenant_id, sum(revenue), count(), sum(n) FROM "+db+".orders WHERE tenant_id = $1 GROUP BY tenant_id", []any{"a"})
	got := fmt.Sprint(collect(t, rs, err))
	// a: 10 + 5, two rows, n 1 + 2.
	if want := "[[a 15 2 3]]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	rs, err = b.Query(ctx, "SELECT n FROM "+db+".orders WHERE tenant_id = 'b' LIMIT 1", nil)
	if got := fmt.Sprint(collect(t, rs, err)); got != "[[<nil>]]" {
		t.Fatalf("a NULL came back as %s", got)
	}
}

// TestReadonly: a write sent as a query is refused by the server, with the gateway's words.
func TestReadonly(t *testing.T) {
	c := testkit.ClickHouseCluster(t)
	db := c.Database(t)
	c.Exec(t, c.Addrs[0], "CREATE TABLE "+db+".t (x Int32) ENGINE = Memory")
	b := open(t, c, 0)
	for _, sql := range []string{"INSERT INTO " + db + ".t VALUES (1)", "CREATE TABLE " + db + ".u (x Int32) ENGINE = Memory", "DROP TABLE " + db + ".t"} {
		rs, err := b.Query(testkit.Context(t), sql, nil)
		if err == nil {
			for rs.Next() {
			}
			err = rs.Err()
			rs.Close()
		}
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.ReadOnlySQLTransaction {
			t.Fatalf("%s: got %v, want 25006", sql, err)
		}
	}
	rs, err := b.Query(testkit.Context(t), "SELECT count() FROM "+db+".t", nil)
	if got := fmt.Sprint(collect(t, rs, err)); got != "[[0]]" {
		t.Fatalf("the table changed: %s", got)
	}
}

// endless creates a Distributed table over system.numbers on both shards: a count over it
// runs on both servers until stopped.
func endless(t *testing.T, c *testkit.ClickHouse) string {
	db := c.Database(t)
	for _, a := range c.Addrs {
		c.Exec(t, a, "CREATE TABLE "+db+".nums (number UInt64) ENGINE = Distributed("+c.Cluster+", system, numbers)")
	}
	return db
}

// running counts the queries of db on every server: the initial query names db, the shards'
// parts of it are the queries some other server started.
func running(t *testing.T, c *testkit.ClickHouse, db string) int {
	n := 0
	for _, a := range c.Addrs {
		rows, err := c.Conn(t, a).Query(context.Background(), "SELECT count() FROM system.processes WHERE (query LIKE '%"+db+"%' OR is_initial_query = 0) AND query NOT LIKE '%system.processes%'")
		if err != nil {
			t.Fatal(err)
		}
		var k uint64
		for rows.Next() {
			_ = rows.Scan(&k)
		}
		rows.Close()
		n += int(k)
	}
	return n
}

// TestCancelStopsTheCluster: a cancelled query is gone from system.processes of both shards
// within 2 seconds.
func TestCancelStopsTheCluster(t *testing.T) {
	c := testkit.ClickHouseCluster(t)
	db := endless(t, c)
	b := open(t, c, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		rs, err := b.Query(ctx, "SELECT count() FROM "+db+".nums", nil)
		if err == nil {
			for rs.Next() {
			}
			err = rs.Err()
			rs.Close()
		}
		done <- err
	}()
	testkit.Eventually(t, "the query runs on both shards", func() bool { return running(t, c, db) >= 2 })
	cancel()
	testkit.EventuallyWithin(t, 2*time.Second, "system.processes empty after a cancel", func() bool { return running(t, c, db) == 0 })
	if err := <-done; sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v, want 57014", err)
	}
}

// TestTimeoutStopsTheCluster: past the statement timeout the query is gone from both shards
// within 2 seconds, and the client hears 57014.
func TestTimeoutStopsTheCluster(t *testing.T) {
	c := testkit.ClickHouseCluster(t)
	db := endless(t, c)
	b := open(t, c, time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	rs, err := b.Query(ctx, "SELECT count() FROM "+db+".nums", nil)
	if err == nil {
		for rs.Next() {
		}
		err = rs.Err()
		rs.Close()
	}
	if sqlerr.Code(err) != sqlerr.QueryCanceled {
		t.Fatalf("got %v, want 57014", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the timeout took %v", d)
	}
	testkit.EventuallyWithin(t, 2*time.Second, "system.processes empty after a timeout", func() bool { return running(t, c, db) == 0 })
}
