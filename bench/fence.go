package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The catalog engine's fence (issue 15): what one key's hostile catalog queries cost the others.

const (
	// heavyCatalogSQL would run for hours without the catalog's time bound.
	heavyCatalogSQL = "SELECT count(*) FROM pg_catalog.pg_namespace, generate_series(1, 100000000000) g"
	// lookupSQL is the relation lookup a driver sends on connect.
	lookupSQL = "SELECT c.oid, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') ORDER BY c.relname"
)

// bombSQL are the string bombs: issue 15's nested repeat on both engines, computed from column
// values, and an aggregate of large values.
var bombSQL = []string{
	"SELECT repeat(repeat('x', 10000000), 100)",
	"SELECT repeat(repeat('x', 10000000), 100) FROM pg_catalog.pg_namespace LIMIT 1",
	"SELECT length(repeat(repeat(nspname, 1000000), 100)) FROM pg_catalog.pg_namespace",
	"SELECT length(repeat(repeat(region, 1000000), 100)) FROM sales LIMIT 1",
	"SELECT string_agg(repeat(nspname, 1000000), ',') FROM pg_catalog.pg_namespace, generate_series(1, 200) g",
}

// fenceLookups runs tenantB's lookup in a closed loop for d and returns its latencies.
func fenceLookups(ctx context.Context, g *gatewayProc, d time.Duration) (latencies, error) {
	conn, err := pgx.Connect(ctx, g.connString("tenantB-key", "cache_statement"))
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	var lat latencies
	for end := time.Now().Add(d); time.Now().Before(end); {
		t := time.Now()
		rows, err := conn.Query(ctx, lookupSQL)
		if err != nil {
			return nil, err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("tenantB's lookup found no relation")
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

// f1: tenantB's pg_class lookup latency, alone and while tenantA runs two heavy catalog queries
// without pause (each ends at the catalog's time bound and is sent again).
func (b *bench) f1(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	d := 4 * b.o.size.LoadDuration
	alone, err := fenceLookups(ctx, g, d)
	if err != nil {
		return fmt.Errorf("lookup alone: %w", err)
	}
	hctx, stopHeavy := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for range 2 {
		conn, err := pgconn.Connect(ctx, g.connString("tenantA-key", "simple_protocol"))
		if err != nil {
			stopHeavy()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close(context.Background())
			for hctx.Err() == nil {
				_, err := conn.Exec(hctx, heavyCatalogSQL).ReadAll()
				var pe *pgconn.PgError
				code := "ok"
				if errors.As(err, &pe) {
					code = pe.Code
				} else if err != nil {
					return
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	// Let both heavy queries reach the engine before measuring.
	time.Sleep(300 * time.Millisecond)
	loaded, err := fenceLookups(ctx, g, 2*d)
	stopHeavy()
	wg.Wait()
	if err != nil {
		return fmt.Errorf("lookup under load: %w", err)
	}
	toStat := func(l latencies) stat {
		return stat{Median: ms(l.quantile(0.99)), P50: ms(l.quantile(0.5)), P99: ms(l.quantile(0.99))}
	}
	b.add(result{Pair: "F1", Case: "other tenant's pg_class lookup p99 while one key runs 2 heavy catalog queries", Unit: "ms", Absolute: true,
		Gateway: toStat(loaded), Reference: toStat(alone), ReferenceName: "the same lookup with no heavy query", Limit: 200,
		Note: fmt.Sprintf("%d lookups under load, %d alone; heavy queries ended during the run: %d (%v)", len(loaded), len(alone), ended(codes), codes)})
	return nil
}

func ended(codes map[string]int) int {
	n := 0
	for _, c := range codes {
		n += c
	}
	return n
}

// f2: the gateway's peak resident set while clients send string bombs.
func (b *bench) f2(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	conn, err := pgconn.Connect(ctx, g.connString("tenantA-key", "simple_protocol"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	time.Sleep(300 * time.Millisecond)
	before, err := g.memory()
	if err != nil {
		return err
	}
	if err := g.resetPeak(); err != nil {
		return err
	}
	codes := map[string]int{}
	for range 3 {
		for _, q := range bombSQL {
			_, err := conn.Exec(ctx, q).ReadAll()
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe):
				codes[pe.Code]++
			case err != nil:
				return fmt.Errorf("%s: %w", q, err)
			default:
				codes["answered"]++
			}
		}
	}
	after, err := g.memory()
	if err != nil {
		return err
	}
	b.add(result{Pair: "F2", Case: fmt.Sprintf("peak RSS under %d string bombs", 3*len(bombSQL)), Unit: "MB", Absolute: true,
		Gateway: stat{Median: mb(after.hwm)}, Limit: 1024,
		Note: fmt.Sprintf("%.1f MB before; answers %v", mb(before.rss), codes)})
	return nil
}
