package main

import (
	"context"
	"database/sql"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
)

// J1, J2: the star join of issue 17 as a tenant through the gateway (result cache off, so every
// round runs on the engine), against the hand-written correct SQL on the same engine, and the
// gateway's own rewrite run straight on the engine (which tells the rewrite's cost from the
// gateway's). Rounds alternate the order of the sides.

// starSide is one way of answering the star query: its answer, read once to compare, and the
// operation the rounds time.
type starSide struct {
	name   string
	answer func(context.Context) (starAnswer, error)
	run    queryFunc
}

// j1 is the star join on the embedded DuckDB.
func (b *bench) j1(ctx context.Context) error {
	db, closeDB, err := b.openDirectDuck(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	duck := func(name, q string) starSide {
		return starSide{name: name, answer: func(ctx context.Context) (starAnswer, error) { return duckAnswer(ctx, db, q) }, run: duckQuery(db, q)}
	}
	return b.starPair(ctx, "J1", "DuckDB", b.sql["star_duckdb"], "duckdb-go in-process",
		duck("reference", b.sql["reference_star_duckdb"]), duck("rewrite", b.sql["engine_star_duckdb"]))
}

// j2 is the star join on PostgreSQL.
func (b *bench) j2(ctx context.Context) error {
	pc, err := b.connectPG("cache_statement")(ctx)
	if err != nil {
		return err
	}
	defer pc.Close(context.Background())
	pgSide := func(name, q string) starSide {
		return starSide{name: name, answer: func(ctx context.Context) (starAnswer, error) { return pgxAnswer(ctx, pc, q) }, run: pgxQuery(pc, q)}
	}
	return b.starPair(ctx, "J2", "PostgreSQL", b.sql["star_postgres"], "pgx on PostgreSQL",
		pgSide("reference", b.sql["reference_star_postgres"]), pgSide("rewrite", b.sql["engine_star_postgres"]))
}

// starPair checks that the gateway, the reference and the rewrite run directly give the same
// answer, then times the three interleaved and adds the gateway against the reference.
func (b *bench) starPair(ctx context.Context, pair, engineName, gatewaySQL, refName string, ref, rewrite starSide) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	gc, err := pgx.Connect(ctx, g.connString(starTenantKey, "cache_statement"))
	if err != nil {
		return err
	}
	defer gc.Close(context.Background())
	gw := starSide{name: "gateway", answer: func(ctx context.Context) (starAnswer, error) { return pgxAnswer(ctx, gc, gatewaySQL) }, run: pgxQuery(gc, gatewaySQL)}

	want, err := ref.answer(ctx)
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	for _, s := range []starSide{gw, rewrite} {
		got, err := s.answer(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := sameAnswer(got, want); err != nil {
			return fmt.Errorf("%s against the reference: %w", s.name, err)
		}
	}
	s, err := timeInterleaved(ctx, b.o.size.Warmup, b.o.size.StarRounds, gw.run, ref.run, rewrite.run)
	if err != nil {
		return err
	}
	ref1, direct := fromTimes(s[1]), fromTimes(s[2])
	b.add(result{Pair: pair, Case: fmt.Sprintf("star join as a tenant, %d order items (%s, %d groups)", b.o.size.StarItems, engineName, s[0].rows),
		Conns: 1, Mode: "extended", Unit: "ms", Gateway: fromTimes(s[0]), Reference: ref1, ReferenceName: "hand-written SQL, " + refName, Target: 1.2,
		Note: fmt.Sprintf("median of the per-round ratios %.2f×; the gateway's engine SQL run directly %.2f ms (%.2f×); answers equal: %s",
			pairedRatio(s[0], s[1]), direct.Median, direct.Median/ref1.Median, want)})
	return nil
}

// pairedRatio is the median over rounds of a's time over b's in the same round: the two ran
// back to back, so a swing in the machine's load moves both.
func pairedRatio(a, b sample) float64 {
	var rs []float64
	for i := range min(len(a.times), len(b.times)) {
		rs = append(rs, float64(a.times[i])/float64(b.times[i]))
	}
	return median(rs)
}

// openDirectDuck opens the bench's own DuckDB on the gateway's data file, configured as the
// gateway's engine is, for the reference side of a pair.
func (b *bench) openDirectDuck(ctx context.Context) (*sql.DB, func(), error) {
	connector, err := duckdb.NewConnector(b.directDuck, nil)
	if err != nil {
		return nil, nil, err
	}
	db := sql.OpenDB(connector)
	closeDB := func() {
		db.Close()
		connector.Close()
	}
	if _, err := db.ExecContext(ctx, "SET memory_limit = '4GB'"); err != nil {
		closeDB()
		return nil, nil, err
	}
	return db, closeDB, nil
}
