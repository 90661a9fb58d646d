package testkit

import (
	"context"
	"os"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// The variables naming the test ClickHouse servers; scripts/clickhouse.sh prints them and
// .ci/run exports them.
const (
	// ClickHouseAddrsEnv is a comma-separated list of native host:port, one per shard.
	ClickHouseAddrsEnv = "SETU_TEST_CLICKHOUSE_ADDRS"
	// ClickHouseClusterEnv names the cluster over those servers (one shard each).
	ClickHouseClusterEnv = "SETU_TEST_CLICKHOUSE_CLUSTER"
)

// ClickHouse is the test ClickHouse cluster: the native address of each shard's server and
// the cluster's name.
type ClickHouse struct {
	Addrs   []string
	Cluster string
}

// ClickHouseCluster returns the test cluster. It skips the test when SETU_TEST_CLICKHOUSE_ADDRS
// is unset, except under SETU_REQUIRE_SHARED (CI), where it fails; a server that does not
// answer fails the test.
func ClickHouseCluster(t testing.TB) *ClickHouse {
	t.Helper()
	addrs := os.Getenv(ClickHouseAddrsEnv)
	if addrs == "" {
		if os.Getenv("SETU_REQUIRE_SHARED") != "" {
			t.Fatalf("%s is not set and SETU_REQUIRE_SHARED is: start the servers with scripts/clickhouse.sh", ClickHouseAddrsEnv)
		}
		t.Skip(ClickHouseAddrsEnv + " is not set")
		return nil
	}
	c := &ClickHouse{Addrs: strings.Split(addrs, ","), Cluster: os.Getenv(ClickHouseClusterEnv)}
	if c.Cluster == "" {
		c.Cluster = "setu_two"
	}
	for _, a := range c.Addrs {
		conn := c.Conn(t, a)
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		err := conn.Ping(ctx)
		cancel()
		if err != nil {
			t.Fatalf("the test ClickHouse at %s (%s) does not answer: %v", a, ClickHouseAddrsEnv, err)
		}
	}
	return c
}

// Conn is a plain connection to one server, closed when the test ends: the side of a test
// that sets up data and plays the operator.
func (c *ClickHouse) Conn(t testing.TB, addr string) driver.Conn {
	t.Helper()
	conn, err := ch.Open(&ch.Options{Protocol: ch.Native, Addr: []string{addr}, DialTimeout: cleanupTimeout})
	if err != nil {
		t.Fatalf("connect to the test ClickHouse at %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Database creates a database of a unique name on every server and drops it, with its
// tables, when the test ends. The name is a plain lower-case identifier, safe to write into
// SQL unquoted.
func (c *ClickHouse) Database(t testing.TB) string {
	t.Helper()
	name := UniqueName("setu_test_")
	for _, a := range c.Addrs {
		c.Exec(t, a, "CREATE DATABASE "+name)
	}
	t.Cleanup(func() {
		for _, a := range c.Addrs {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			conn, err := ch.Open(&ch.Options{Protocol: ch.Native, Addr: []string{a}, DialTimeout: cleanupTimeout})
			if err == nil {
				err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
				_ = conn.Close()
			}
			cancel()
			if err != nil {
				t.Errorf("drop database %s on %s: %v", name, a, err)
			}
		}
	})
	return name
}

// Exec runs one statement on one server, failing the test on an error.
func (c *ClickHouse) Exec(t testing.TB, addr, sql string, args ...any) {
	t.Helper()
	conn := c.Conn(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("clickhouse %s: %s: %v", addr, sql, err)
	}
}
