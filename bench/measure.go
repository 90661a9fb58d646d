package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// latencies summarises per-operation durations.
type latencies []time.Duration

func (l latencies) quantile(q float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	// Nearest rank.
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// queryFunc runs one operation to completion (all rows read) and returns how many rows it read.
type queryFunc func(ctx context.Context) (int64, error)

// pgxQuery reads every row of sql on conn without decoding values, as a client that forwards
// raw results would; both sides of a pair read the same way.
func pgxQuery(conn *pgx.Conn, sql string, args ...any) queryFunc {
	return func(ctx context.Context) (int64, error) {
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			return 0, err
		}
		var n int64
		for rows.Next() {
			_ = rows.RawValues()
			n++
		}
		rows.Close()
		return n, rows.Err()
	}
}

// pgxChecksum reads every row of sql and sums a hash of each row's raw values, so two results
// with the same rows in any order have the same sum.
func pgxChecksum(ctx context.Context, conn *pgx.Conn, sql string) (int64, uint64, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return 0, 0, err
	}
	var (
		n   int64
		sum uint64
	)
	for rows.Next() {
		h := fnv.New64a()
		for _, v := range rows.RawValues() {
			var l [4]byte
			if v == nil {
				binary.BigEndian.PutUint32(l[:], math.MaxUint32)
			} else {
				binary.BigEndian.PutUint32(l[:], uint32(len(v)))
			}
			h.Write(l[:])
			h.Write(v)
		}
		sum += h.Sum64()
		n++
	}
	rows.Close()
	return n, sum, rows.Err()
}

// duckQuery runs sql through database/sql on duckdb-go, scanning into any as the gateway's
// DuckDB backend does.
func duckQuery(db *sql.DB, q string) queryFunc {
	return func(ctx context.Context) (int64, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return 0, err
		}
		raw := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		var n int64
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return n, err
			}
			n++
		}
		return n, rows.Err()
	}
}

// sample is one side of a latency pair: each round's duration.
type sample struct {
	times latencies
	rows  int64
}

// timeInterleaved runs warm-up calls of each side, then rounds in which each side runs once,
// alternating which goes first, so drift in the machine's load hits both sides alike.
func timeInterleaved(ctx context.Context, warmup, rounds int, sides ...queryFunc) ([]sample, error) {
	out := make([]sample, len(sides))
	for w := 0; w < warmup; w++ {
		for _, f := range sides {
			if _, err := f(ctx); err != nil {
				return nil, err
			}
		}
	}
	for r := 0; r < rounds; r++ {
		for k := range sides {
			i := k
			if r%2 == 1 {
				i = len(sides) - 1 - k
			}
			start := time.Now()
			n, err := sides[i](ctx)
			d := time.Since(start)
			if err != nil {
				return nil, err
			}
			out[i].times = append(out[i].times, d)
			out[i].rows = n
		}
	}
	return out, nil
}

// throughput is a closed-loop load result: operations per second per round, and every
// operation's latency.
type throughput struct {
	qps []float64
	lat latencies
}

// loadFunc makes the operation a worker runs: conn is the worker's connection, rng its own.
type loadFunc func(conn *pgx.Conn, rng *rand.Rand) queryFunc

// runLoad opens conns connections with connect, then for each round runs every connection in a
// closed loop for d and counts completed operations. A warm-up of d/4 precedes the rounds.
func runLoad(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), conns int, d time.Duration, rounds int, op loadFunc) (throughput, error) {
	var res throughput
	cs := make([]*pgx.Conn, conns)
	defer func() {
		for _, c := range cs {
			if c != nil {
				c.Close(context.Background())
			}
		}
	}()
	ops := make([]queryFunc, conns)
	for i := range cs {
		c, err := connect(ctx)
		if err != nil {
			return res, err
		}
		cs[i] = c
		ops[i] = op(c, rand.New(rand.NewPCG(uint64(i)+1, 42)))
	}
	phase := func(d time.Duration, record bool) (int64, latencies, error) {
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total int64
			all   latencies
			first error
		)
		stop := time.Now().Add(d)
		for i := range cs {
			wg.Add(1)
			go func(f queryFunc) {
				defer wg.Done()
				var n int64
				lat := make(latencies, 0, 4096)
				for time.Now().Before(stop) {
					s := time.Now()
					if _, err := f(ctx); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
					if record {
						lat = append(lat, time.Since(s))
					}
					n++
				}
				mu.Lock()
				total += n
				all = append(all, lat...)
				mu.Unlock()
			}(ops[i])
		}
		wg.Wait()
		return total, all, first
	}
	if _, _, err := phase(d/4, false); err != nil {
		return res, err
	}
	for r := 0; r < rounds; r++ {
		start := time.Now()
		n, lat, err := phase(d, true)
		if err != nil {
			return res, err
		}
		res.qps = append(res.qps, float64(n)/time.Since(start).Seconds())
		res.lat = append(res.lat, lat...)
	}
	return res, nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	}
}
