package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
)

// discard is a FormatWriter that drops rows, like a fast client.
type discard struct{ rows int }

func (d *discard) WriteRow([][]byte) error { d.rows++; return nil }
func (d *discard) Formats() []int16        { return nil }

// BenchmarkCache runs the same dashboard query (revenue by city over 200,000 orders, 49 result
// rows) on the embedded DuckDB uncached and as a cache hit (in process, and in Redis when
// SETU_TEST_REDIS_URL is set), side by side:
//
//	go test ./engine/... -run '^$' -bench Cache
func BenchmarkCache(b *testing.B) {
	ctx := context.Background()
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: []string{`
		CREATE TABLE orders AS
		SELECT i AS order_id, 'tenant' || (i % 4) AS tenant_id, 'city' || (i % 49) AS city,
		       (i % 997)::DOUBLE AS revenue
		FROM range(200000) t(i)`}})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	plan := &planner.Plan{
		Kind: planner.KindQuery,
		SQL: `SELECT city, sum(revenue) AS total_revenue, count(order_id) AS orders_count
		      FROM (SELECT city, revenue, order_id FROM main.orders WHERE tenant_id = 'tenant1') AS orders
		      GROUP BY city ORDER BY city`,
		Columns: []planner.Column{
			{Name: "city", Type: pgtypes.Text},
			{Name: "total_revenue", Type: pgtypes.Float8},
			{Name: "orders_count", Type: pgtypes.Int8},
		},
		Tag: "SELECT", Datasets: []string{"orders"}, CatalogVersion: "bench", CacheScope: "role=viewer;tenants=1,7:tenant1;scopes=0",
	}
	backends := map[string]engine.Backend{"duckdb": be}
	run := func(b *testing.B, ex *engine.Executor, want string) {
		w := &discard{}
		for b.Loop() {
			res, err := ex.Execute(ctx, admission.Caller{}, plan, nil, w)
			if err != nil {
				b.Fatal(err)
			}
			if res.Cache != want || res.Rows != 49 {
				b.Fatalf("cache %q with %d rows, want %q with 49", res.Cache, res.Rows, want)
			}
		}
	}
	b.Run("uncached", func(b *testing.B) {
		ex := engine.New(engine.Config{Backends: backends, Default: "duckdb"})
		run(b, ex, "")
	})
	b.Run("hit", func(b *testing.B) {
		ex := engine.New(engine.Config{Backends: backends, Default: "duckdb", Cache: engine.NewResultCache(engine.CacheConfig{})})
		if _, err := ex.Execute(ctx, admission.Caller{}, plan, nil, &discard{}); err != nil {
			b.Fatal(err)
		}
		run(b, ex, engine.CacheHit)
	})
	b.Run("hit_redis", func(b *testing.B) {
		rc, err := rediscache.Open(rediscache.Config{URL: testkit.RedisURL(b), Prefix: testkit.RedisPrefix(), Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		defer func() {
			rc.DeletePrefix(ctx)
			rc.Close()
		}()
		ex := engine.New(engine.Config{Backends: backends, Default: "duckdb", Cache: engine.NewResultCache(engine.CacheConfig{Store: rc})})
		if _, err := ex.Execute(ctx, admission.Caller{}, plan, nil, &discard{}); err != nil {
			b.Fatal(err)
		}
		run(b, ex, engine.CacheHit)
	})
}
