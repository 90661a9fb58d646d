package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/sqlerr"
)

// Config says how to reach one PostgreSQL source.
type Config struct {
	// DSN is a libpq URL or key=value string. Several hosts and target_session_attrs
	// (read-only, prefer-standby, ...) are allowed, so reads can go to replicas.
	DSN string
	// MaxConns bounds the pool (0: pgxpool's default, the larger of 4 and the CPU count).
	MaxConns int32
	// MinConns is how many connections the pool keeps open when idle.
	MinConns int32
	// ConnectTimeout bounds establishing one connection (0: 10s).
	ConnectTimeout time.Duration
	// HealthCheckPeriod is how often idle connections are checked (0: pgxpool's default, 1m).
	HealthCheckPeriod time.Duration
	// StatementTimeout is set per transaction as statement_timeout (QUERY_TIMEOUT_SECONDS);
	// zero leaves the server's setting.
	StatementTimeout time.Duration
	// TransactionPooling says the source sits behind a pooler in transaction mode (PgBouncer
	// pool_mode=transaction): no named server-side prepared statements and no session state, as
	// the next transaction may run on another server connection.
	TransactionPooling bool
	// Name is the source's name in the errors clients see ("the PostgreSQL source" when empty).
	Name string
	Log  *slog.Logger
}

// DefaultConnectTimeout applies when Config.ConnectTimeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// cancelGrace is how long a cancelled query may take to stop after the server got the cancel
// request before the connection is cut (and dropped from the pool).
const cancelGrace = 5 * time.Second

// cancelRetry is how often a cancelled query's CancelRequest is repeated until the query ends.
const cancelRetry = 100 * time.Millisecond

// cleanupTimeout bounds ROLLBACK after a stream ends, whatever the caller's context says.
const cleanupTimeout = 5 * time.Second

// Backend is a pool of connections to one PostgreSQL source.
type Backend struct {
	pool *pgxpool.Pool
	// begin opens every transaction: read-only, with the statement timeout, in one round trip.
	begin string
	// beginSteps are the same statements one by one, for the pipelined path (the extended
	// protocol takes one statement per message). nil with TransactionPooling.
	beginSteps []string
	secrets    []string
	// name is how client-facing errors name the source: quoted, or "the PostgreSQL source".
	name    string
	maxConn int
	log     *slog.Logger
}

// Open checks the configuration and makes the pool. It does not connect: the first query (or
// Ping) does, so a source that is down at start-up does not stop the gateway.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, configError(err)
	}
	if cfg.MaxConns < 0 || cfg.MinConns < 0 {
		return nil, errors.New("postgres: MaxConns and MinConns must not be negative")
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.MinConns > 0 {
		pc.MinConns = cfg.MinConns
	}
	if pc.MinConns > pc.MaxConns {
		return nil, fmt.Errorf("postgres: MinConns %d is more than MaxConns %d", pc.MinConns, pc.MaxConns)
	}
	if cfg.HealthCheckPeriod > 0 {
		pc.HealthCheckPeriod = cfg.HealthCheckPeriod
	}
	cc := pc.ConnConfig
	cc.ConnectTimeout = cfg.ConnectTimeout
	if cc.ConnectTimeout <= 0 {
		cc.ConnectTimeout = DefaultConnectTimeout
	}
	// pgx's default reaction to a cancelled context is to cut the socket, which leaves the
	// server running the query until it next writes to the client. A CancelRequest stops it;
	// the deadline is the fallback for a server that does not answer.
	cc.BuildContextWatcherHandler = func(pgConn *pgconn.PgConn) ctxwatch.Handler {
		return &cancelHandler{conn: pgConn}
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "setupranali"
	}
	if cfg.TransactionPooling {
		// Named statements live on one server connection; the pooler hands out another for the
		// next transaction. DescribeExec prepares the unnamed statement inside our transaction
		// (Parse/Describe, then Bind/Execute), so each query stays on one server connection and
		// parameter types are still inferred by the server.
		cc.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
		cc.StatementCacheCapacity = 0
		cc.DescriptionCacheCapacity = 0
	} else {
		cc.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	}

	name := "the PostgreSQL source"
	if cfg.Name != "" {
		name = strconv.Quote(cfg.Name)
	}
	b := &Backend{
		name:    name,
		begin:   strings.Join(beginSteps(cfg.StatementTimeout), "; "),
		secrets: secretsOf(cfg.DSN, cc),
		maxConn: int(pc.MaxConns),
		log:     log,
	}
	if !cfg.TransactionPooling {
		b.beginSteps = beginSteps(cfg.StatementTimeout)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, b.connectError(ctx, err)
	}
	b.pool = pool
	return b, nil
}

// beginSteps are the statements that start each query's transaction. READ ONLY makes PostgreSQL
// refuse every write with 25006 whatever the SQL says; SET LOCAL ends with the transaction, so
// nothing leaks into the next user of the connection (or, behind a pooler, of the server
// connection). TimeZone is pinned so implicit conversions mean the same on every connection: the
// planner names zones explicitly wherever a session's zone matters.
func beginSteps(timeout time.Duration) []string {
	ms := int64(0)
	if timeout > 0 {
		ms = max(timeout.Milliseconds(), 1)
	}
	return []string{"BEGIN READ ONLY", "SET LOCAL statement_timeout = " + strconv.FormatInt(ms, 10), "SET LOCAL TimeZone = 'UTC'"}
}

// Close closes every connection of the pool, waiting for connections in use to be released.
func (b *Backend) Close() error {
	b.pool.Close()
	return nil
}

// Ping connects if need be and reports one round trip's latency.
func (b *Backend) Ping(ctx context.Context) (time.Duration, error) {
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		return 0, b.connectError(ctx, err)
	}
	defer conn.Release()
	start := time.Now()
	if err := conn.Ping(ctx); err != nil {
		return 0, b.mapError(ctx, conn.Conn().PgConn(), err)
	}
	return time.Since(start), nil
}

// Query runs engine SQL in a read-only transaction and streams its rows. The connection stays
// with the returned Rows until Close.
func (b *Backend) Query(ctx context.Context, sql string, args []any) (engine.Rows, error) {
	if b.beginSteps != nil {
		return b.queryPipelined(ctx, sql, args)
	}
	conn, err := b.acquireInTx(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		err = b.mapError(ctx, conn.Conn().PgConn(), err)
		b.finish(ctx, conn)
		return nil, err
	}
	return b.newRows(ctx, conn, rows, nil), nil
}

// queryPipelined sends the transaction's start, the query and the ROLLBACK that ends it as one
// pipeline: one round trip where the plain path takes three (BEGIN, the query, ROLLBACK), which
// on a remote source is most of a small query's time. The server runs them in order and streams
// the query's rows as usual; the ROLLBACK's answer is read after them. A statement the
// connection has not prepared yet costs one round trip more, once (pgx's statement cache).
func (b *Backend) queryPipelined(ctx context.Context, sql string, args []any) (engine.Rows, error) {
	replans := 0
	for attempt := 0; ; attempt++ {
		conn, err := b.pool.Acquire(ctx)
		if err != nil {
			return nil, b.connectError(ctx, err)
		}
		batch := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.beginSteps)+2)}
		for _, step := range b.beginSteps {
			batch.Queue(step)
		}
		batch.Queue(sql, args...)
		batch.Queue("ROLLBACK")
		br := conn.SendBatch(ctx, batch)
		// answered says the server answered the first step (BEGIN): from then on it may have run
		// the query, and a failure is the query's, never retried. A backend that dies mid-query
		// flushes the answers it owes before its FATAL error, so a query terminated by an
		// operator fails here, not at BEGIN.
		answered := false
		for range b.beginSteps {
			if _, err = br.Exec(); err != nil {
				break
			}
			answered = true
		}
		var rs pgx.Rows
		if err == nil {
			rs, err = br.Query()
		}
		if err == nil {
			return b.newRows(ctx, conn, rs, br), nil
		}
		if rs != nil {
			rs.Close()
		}
		br.Close()
		// A connection the server dropped while it sat idle fails before anything ran on it:
		// try another, as acquireInTx does.
		pc := conn.Conn().PgConn()
		lost := !answered && pc.IsClosed() && ctx.Err() == nil
		mapped := b.mapError(ctx, pc, err)
		b.finish(ctx, conn)
		if stalePlan(err) && replans < b.maxConn && ctx.Err() == nil {
			// The source table changed under a statement the connection had prepared (a
			// rebuild with other column types). PostgreSQL refused it before any row, and pgx
			// has dropped the statement, so preparing it again is safe; each pooled connection
			// may hold its own stale copy, hence up to one retry per connection.
			replans++
			attempt--
			b.log.Debug("postgres prepared statement went stale; preparing it again", "error", mapped)
			continue
		}
		if !lost || attempt >= b.maxConn {
			return nil, mapped
		}
		b.log.Debug("postgres connection was closed while idle; retrying on another", "error", mapped)
	}
}

// stalePlan reports PostgreSQL's refusal to run a prepared statement whose result type the
// tables under it have changed.
func stalePlan(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == sqlerr.FeatureNotSupported && pe.Message == "cached plan must not change result type"
}

// acquireInTx takes a connection and starts the transaction on it. A connection the server
// dropped while it sat idle (a restart, pg_terminate_backend) shows up here; nothing has run on
// it yet, so another connection is tried, up to the pool's size.
func (b *Backend) acquireInTx(ctx context.Context) (*pgxpool.Conn, error) {
	for attempt := 0; ; attempt++ {
		conn, err := b.pool.Acquire(ctx)
		if err != nil {
			return nil, b.connectError(ctx, err)
		}
		_, err = conn.Conn().PgConn().Exec(ctx, b.begin).ReadAll()
		if err == nil {
			return conn, nil
		}
		pc := conn.Conn().PgConn()
		lost := pc.IsClosed() && ctx.Err() == nil
		mapped := b.mapError(ctx, pc, err)
		b.finish(ctx, conn)
		if !lost || attempt >= b.maxConn {
			return nil, mapped
		}
		b.log.Debug("postgres connection was closed while idle; retrying on another", "error", mapped)
	}
}

// finish ends the transaction and hands the connection back. ROLLBACK: nothing was written,
// and it is the one ending that works whatever state the transaction is in. It runs on a
// context of its own so a cancelled query still leaves a clean connection; a connection that
// cannot be cleaned is closed, and the pool drops it on release.
func (b *Backend) finish(ctx context.Context, conn *pgxpool.Conn) {
	pc := conn.Conn().PgConn()
	if !pc.IsClosed() && pc.TxStatus() != 'I' {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		if _, err := pc.Exec(cctx, "ROLLBACK").ReadAll(); err != nil {
			b.log.Warn("postgres rollback failed; dropping the connection", "error", b.redact(err.Error()))
			_ = pc.Close(cctx)
		}
		cancel()
	}
	conn.Release()
}

// cancelHandler stops the server's work when a query's context ends. PostgreSQL drops a
// CancelRequest that arrives while the backend waits for the next message, e.g. between the
// Parse and the Execute of an extended-protocol query, so one request can be lost; it is
// repeated until the statement ends. The socket deadline is the last resort for a server that
// does not answer at all.
type cancelHandler struct {
	conn *pgconn.PgConn
	stop chan struct{}
	done chan struct{}
}

func (h *cancelHandler) HandleCancel(context.Context) {
	_ = h.conn.Conn().SetDeadline(time.Now().Add(cancelGrace))
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(h.done)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
			_ = h.conn.CancelRequest(ctx)
			cancel()
			select {
			case <-h.stop:
				return
			case <-time.After(cancelRetry):
			}
		}
	}()
}

// HandleUnwatchAfterCancel runs once the statement ended. It waits for a CancelRequest in
// flight: the server has then delivered it, to a backend that is idle and ignores it, so it
// cannot hit the next statement on the connection.
func (h *cancelHandler) HandleUnwatchAfterCancel() {
	close(h.stop)
	<-h.done
	_ = h.conn.Conn().SetDeadline(time.Time{})
}

var _ engine.Backend = (*Backend)(nil)
