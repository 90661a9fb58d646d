package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/sqlerr"
)

// Config says how to reach one ClickHouse source.
type Config struct {
	// Addrs are host:port pairs of the native protocol (9000 by default). Several are failover
	// replicas: a connection goes to the first that answers.
	Addrs    []string
	Database string
	User     string
	Password string
	// MaxConns bounds the pool (0: 8).
	MaxConns int
	// ConnectTimeout bounds establishing one connection (0: 10s).
	ConnectTimeout time.Duration
	// StatementTimeout becomes each query's max_execution_time (QUERY_TIMEOUT_SECONDS); zero
	// leaves the server's setting.
	StatementTimeout time.Duration
	// MaxMemoryUsage becomes each query's max_memory_usage in bytes; zero leaves the server's.
	MaxMemoryUsage int64
	// Name is the source's name in the errors clients see ("the ClickHouse source" when empty).
	Name string
	Log  *slog.Logger
}

// DefaultConnectTimeout applies when Config.ConnectTimeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// killTimeout bounds sending KILL QUERY after a cancel.
const killTimeout = 2 * time.Second

// killRetry is how often a kill is repeated while the query is still listed.
const killRetry = 50 * time.Millisecond

// Backend is a pool of native connections to one ClickHouse source.
type Backend struct {
	conn driver.Conn
	cfg  Config
	name string
	log  *slog.Logger

	// killers are one small pool per host for KILL QUERY: the query may run on any of them.
	killMu  sync.Mutex
	killers map[string]driver.Conn
}

// Open checks the configuration and makes the pool. It does not connect: the first query (or
// Ping) does, so a source that is down at start-up does not stop the gateway.
func Open(_ context.Context, cfg Config) (*Backend, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("clickhouse: no host")
	}
	if cfg.MaxConns < 0 || cfg.MaxMemoryUsage < 0 {
		return nil, errors.New("clickhouse: MaxConns and MaxMemoryUsage must not be negative")
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 8
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	name := "the ClickHouse source"
	if cfg.Name != "" {
		name = strconv.Quote(cfg.Name)
	}
	conn, err := ch.Open(cfg.options(cfg.Addrs, cfg.MaxConns))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", redact(err, cfg.Password))
	}
	return &Backend{conn: conn, cfg: cfg, name: name, log: cfg.Log, killers: map[string]driver.Conn{}}, nil
}

// options are the driver's options for addrs. Settings here go with every query of the pool.
func (c Config) options(addrs []string, maxConns int) *ch.Options {
	return &ch.Options{
		Protocol:         ch.Native,
		Addr:             addrs,
		Auth:             ch.Auth{Database: c.Database, Username: c.User, Password: c.Password},
		DialTimeout:      c.ConnectTimeout,
		MaxOpenConns:     maxConns,
		MaxIdleConns:     maxConns,
		ConnOpenStrategy: ch.ConnOpenInOrder,
		ClientInfo:       ch.ClientInfo{Products: []struct{ Name, Version string }{{"setupranali", "1"}}},
	}
}

// settings are the per-query settings: read-only, and the gateway's limits.
func (b *Backend) settings() ch.Settings {
	s := ch.Settings{"readonly": 2}
	if t := b.cfg.StatementTimeout; t > 0 {
		// max_execution_time is whole seconds; round up so the server never stops a query the
		// gateway would still allow.
		s["max_execution_time"] = int(math.Ceil(t.Seconds()))
	}
	if b.cfg.MaxMemoryUsage > 0 {
		s["max_memory_usage"] = b.cfg.MaxMemoryUsage
	}
	return s
}

// Close closes every connection.
func (b *Backend) Close() error {
	b.killMu.Lock()
	defer b.killMu.Unlock()
	for _, k := range b.killers {
		_ = k.Close()
	}
	b.killers = map[string]driver.Conn{}
	return b.conn.Close()
}

// Ping connects if need be and reports one round trip's latency.
func (b *Backend) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if err := b.conn.Ping(ctx); err != nil {
		return 0, b.mapError(ctx, err)
	}
	return time.Since(start), nil
}

// ServerVersion is the version of the server a pooled connection reaches, "major.minor.patch".
func (b *Backend) ServerVersion(ctx context.Context) (string, error) {
	if err := b.conn.Ping(ctx); err != nil {
		return "", b.mapError(ctx, err)
	}
	v, err := b.conn.ServerVersion()
	if err != nil {
		return "", b.mapError(ctx, err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}

// Query runs engine SQL and streams its rows. args bind $1, $2, ... on the client side.
func (b *Backend) Query(ctx context.Context, sql string, args []any) (engine.Rows, error) {
	id := newQueryID()
	qctx := ch.Context(ctx, ch.WithQueryID(id), ch.WithSettings(b.settings()))
	stop := b.killOnCancel(ctx, id)
	rs, err := b.conn.Query(qctx, sql, args...)
	if err != nil {
		stop(true)
		b.killAfterError(ctx, id)
		return nil, b.mapError(ctx, err)
	}
	r, err := newRows(b, ctx, rs, id, stop)
	if err != nil {
		_ = rs.Close()
		stop(true)
		return nil, err
	}
	return r, nil
}

// killOnCancel watches ctx until stop is called; if ctx ends first, the query is killed on
// the server. stop(wait) ends the watch; with wait it also waits for a kill in flight, so a
// caller that returns after it leaves nothing running.
func (b *Backend) killOnCancel(ctx context.Context, id string) func(wait bool) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
		case <-ctx.Done():
			b.kill(id)
		}
	}()
	var once sync.Once
	return func(wait bool) {
		once.Do(func() { close(done) })
		if wait {
			<-finished
		}
	}
}

// kill stops the query on the server: KILL QUERY for the query id on every host (the query
// runs on whichever the pool picked, and its parts on the shards carry the same initial id),
// repeated until system.processes of every host no longer lists it. Repeating covers a cancel
// that raced the query's start, and a shard part that outlived its initiator. id is the
// gateway's own hex, never client text.
func (b *Backend) kill(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), killTimeout)
	defer cancel()
	stmt := "KILL QUERY WHERE initial_query_id = '" + id + "' ASYNC"
	check := "SELECT count() FROM system.processes WHERE initial_query_id = '" + id + "'"
	for {
		left := 0
		for _, addr := range b.cfg.Addrs {
			left += b.killOn(ctx, addr, stmt, check)
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			b.log.Warn("clickhouse query still running after KILL QUERY", "query_id", id)
			return
		case <-time.After(killRetry):
		}
	}
}

// killOn sends the kill to one host and says how many of the query's processes it still
// lists (0 when it cannot be asked: there is nothing more to do there).
func (b *Backend) killOn(ctx context.Context, addr, stmt, check string) int {
	k, err := b.killer(addr)
	if err == nil {
		err = k.Exec(ctx, stmt)
	}
	var n uint64
	if err == nil {
		err = k.QueryRow(ctx, check).Scan(&n)
	}
	if err != nil {
		b.log.Debug("clickhouse kill", "addr", addr, "error", redact(err, b.cfg.Password))
		return 0
	}
	return int(n)
}

// killAfterError makes sure a query the server failed is not left running: a server that
// stopped the initiator (max_execution_time) was seen to leave the shards' parts running. A
// cancelled context has its kill from killOnCancel already.
func (b *Backend) killAfterError(ctx context.Context, id string) {
	if ctx.Err() == nil {
		b.kill(id)
	}
}

// killer is the kill pool of one host.
func (b *Backend) killer(addr string) (driver.Conn, error) {
	b.killMu.Lock()
	defer b.killMu.Unlock()
	if k := b.killers[addr]; k != nil {
		return k, nil
	}
	k, err := ch.Open(b.cfg.options([]string{addr}, 2))
	if err != nil {
		return nil, err
	}
	b.killers[addr] = k
	return k, nil
}

// newQueryID is a fresh random query id (a UUID's shape, as ClickHouse's own are).
func newQueryID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// errCanceled is what a cancelled or timed-out query reports.
func canceled(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	}
	return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
}
