package postgres_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

// longQuery is a statement that runs for minutes and sends nothing until it ends: only the
// server stopping it ends it early. pg_sleep is not needed (nor allowlisted by the planner).
func longQuery(marker string) string {
	return "SELECT count(*) /* " + marker + " */ FROM generate_series(1, 200000) a, generate_series(1, 200000) b"
}

// streamingQuery sends rows for as long as it is read: a set-returning function in the select
// list streams (one in FROM would be materialized first).
func streamingQuery(marker string) string {
	return "SELECT generate_series(1, 1000000000) /* " + marker + " */"
}

// runLong starts the long query on b and returns its outcome on a channel.
func runLong(ctx context.Context, b *postgres.Backend, marker string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := queryAll(ctx, b, longQuery(marker))
		done <- err
	}()
	return done
}

func TestCancelStopsTheServerQuery(t *testing.T) {
	admin := testkit.PostgresConn(t)
	b := openBackend(t, postgres.Config{MaxConns: 1})
	marker := testkit.UniqueName("setu_cancel_")
	stopMarked(t, marker)
	pid := backendPID(t, b)

	ctx, cancel := context.WithCancel(context.Background())
	done := runLong(ctx, b, marker)
	testkit.Eventually(t, "the long query to start", func() bool { return activeWith(t, admin, marker) == 1 })
	cancel()
	err := <-done
	if code := sqlerr.Code(err); code != sqlerr.QueryCanceled {
		t.Fatalf("cancelled query: %v (SQLSTATE %s), want 57014", err, code)
	}
	// The server really stopped: the statement is no longer running there.
	testkit.Eventually(t, "the cancelled query to leave pg_stat_activity", func() bool { return activeWith(t, admin, marker) == 0 })
	// The cancel stopped the statement, not the connection: the pool's one connection is the
	// same server backend as before.
	if after := backendPID(t, b); after != pid {
		t.Errorf("the connection was replaced after a cancel (pid %d, then %d)", pid, after)
	}
}

func backendPID(t testing.TB, b *postgres.Backend) int64 {
	t.Helper()
	rows, err := queryAll(context.Background(), b, "SELECT pg_backend_pid()")
	if err != nil {
		t.Fatal(err)
	}
	return rows[0][0].(int64)
}

func TestStatementTimeoutStopsTheServerQuery(t *testing.T) {
	admin := testkit.PostgresConn(t)
	b := openBackend(t, postgres.Config{StatementTimeout: 300 * time.Millisecond})
	marker := testkit.UniqueName("setu_timeout_")
	stopMarked(t, marker)

	err := <-runLong(context.Background(), b, marker)
	se := sqlerr.From(err)
	if err == nil || se.Code != sqlerr.QueryCanceled || !strings.Contains(se.Message, "statement timeout") {
		t.Fatalf("query past the timeout: %v, want 57014 canceling statement due to statement timeout", err)
	}
	testkit.Eventually(t, "the timed-out query to leave pg_stat_activity", func() bool { return activeWith(t, admin, marker) == 0 })
	// SET LOCAL: the timeout belongs to the transaction, and the next one sets its own.
	rows, err := queryAll(context.Background(), b, "SELECT current_setting('statement_timeout')")
	if err != nil || rows[0][0] != "300ms" {
		t.Fatalf("statement_timeout in the next query = %v (%v), want 300ms", rows, err)
	}
	var session string
	if err := admin.QueryRow(context.Background(), "SELECT current_setting('statement_timeout')").Scan(&session); err != nil || session == "300ms" {
		t.Errorf("another session sees statement_timeout %q (%v)", session, err)
	}
}

// A result read partly and then closed stops the server's work instead of draining it.
func TestEarlyCloseStopsTheServerQuery(t *testing.T) {
	admin := testkit.PostgresConn(t)
	b := openBackend(t, postgres.Config{MaxConns: 1})
	marker := testkit.UniqueName("setu_early_")
	stopMarked(t, marker)
	rows, err := b.Query(context.Background(), streamingQuery(marker), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3 && rows.Next(); i++ {
		if _, err := rows.Values(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if n := activeWith(t, admin, marker); n != 0 {
		t.Fatalf("%d backends still run the closed query", n)
	}
	if r, err := queryAll(context.Background(), b, "SELECT 2"); err != nil || r[0][0] != int64(2) {
		t.Fatalf("next query on the one connection: %v %v", r, err)
	}
}

// A server-side termination (what a restart or an operator does) fails the query in flight
// with 57P01, not XX; connections the server dropped while idle are replaced without the caller
// noticing; the Backend is never reopened.
func TestTerminatedConnectionsRecover(t *testing.T) {
	admin := testkit.PostgresConn(t)
	app := testkit.UniqueName("setu_term_")
	b := openBackend(t, postgres.Config{DSN: withAppName(t, app), MaxConns: 4})
	marker := testkit.UniqueName("setu_term_q_")
	stopMarked(t, marker)
	ctx := context.Background()

	done := runLong(ctx, b, marker)
	testkit.Eventually(t, "the long query to start", func() bool { return activeWith(t, admin, marker) == 1 })
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()", marker); err != nil {
		t.Fatal(err)
	}
	err := <-done
	se := sqlerr.From(err)
	if err == nil || se.Code != sqlerr.AdminShutdown || se.Severity != sqlerr.SeverityError {
		t.Fatalf("terminated query: %v, want ERROR 57P01", err)
	}

	// Fill the pool with idle connections, then have the server drop them all.
	var held []interface{ Close() error }
	for i := 0; i < 4; i++ {
		rows, err := b.Query(ctx, "SELECT 1", nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rows)
	}
	for _, r := range held {
		r.Close()
	}
	var killed int
	if err := admin.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no idle connection of the backend was found to terminate")
	}
	testkit.Eventually(t, "the terminated connections to go", func() bool {
		var n int
		_ = admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n)
		return n == 0
	})
	for i := 0; i < 6; i++ {
		if rows, err := queryAll(ctx, b, "SELECT 1"); err != nil || rows[0][0] != int64(1) {
			t.Fatalf("query %d after the server dropped the idle connections: %v %v", i, rows, err)
		}
	}
}

// proxy is a TCP forwarder standing in for the network path to PostgreSQL: cutting its
// connections is a connection lost mid-query, closing its listener is a server that is down.
type proxy struct {
	t      testing.TB
	target string
	// fromServer, when set, sees every chunk the server sends (before the client does).
	fromServer func([]byte)
	mu         sync.Mutex
	ln         net.Listener
	conns      []net.Conn
	wg         sync.WaitGroup
}

func startProxy(t testing.TB, target, addr string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target}
	p.listen(addr)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
			go func() {
				defer p.wg.Done()
				if p.fromServer == nil {
					_, _ = io.Copy(c, up)
				} else {
					_, _ = io.Copy(c, io.TeeReader(up, writerFunc(func(b []byte) (int, error) { p.fromServer(b); return len(b), nil })))
				}
				c.Close()
			}()
		}
	}()
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// cut closes every proxied connection; the listener keeps accepting.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
	}
	p.mu.Unlock()
	p.cut()
	p.wg.Wait()
}

func TestLostConnectionRecovers(t *testing.T) {
	admin := testkit.PostgresConn(t)
	cfg, err := pgx.ParseConfig(testkit.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(cfg.Host, itoa(int(cfg.Port)))
	p := startProxy(t, target, "127.0.0.1:0")
	host, port, _ := net.SplitHostPort(p.addr())
	dsn := cfg.ConnString()
	dsn = strings.Replace(dsn, net.JoinHostPort(cfg.Host, itoa(int(cfg.Port))), net.JoinHostPort(host, port), 1)
	if !strings.Contains(dsn, p.addr()) {
		t.Skip("the DSN-rewriting case needs a URL DSN with host:port")
	}
	b := openBackend(t, postgres.Config{DSN: dsn, MaxConns: 2})
	ctx := context.Background()
	marker := testkit.UniqueName("setu_lost_")
	stopMarked(t, marker)

	// A result streaming when the network path breaks.
	rows, err := b.Query(ctx, streamingQuery(marker), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("no first row: %v", rows.Err())
	}
	p.cut()
	for rows.Next() {
	}
	err = rows.Err()
	rows.Close()
	if code := sqlerr.Code(err); err == nil || code != sqlerr.CannotConnectNow {
		t.Fatalf("connection lost mid-stream: %v (SQLSTATE %s), want 57P03", err, code)
	}
	// The server notices the broken socket when it next writes, and ends the backend.
	testkit.Eventually(t, "the orphaned query to stop", func() bool { return activeWith(t, admin, marker) == 0 })
	if r, err := queryAll(ctx, b, "SELECT 1"); err != nil || r[0][0] != int64(1) {
		t.Fatalf("after a lost connection: %v %v", r, err)
	}

	// The server is unreachable: a clean 57P03, then back to work once it is back.
	p.stop()
	_, err = queryAll(ctx, b, "SELECT 1")
	if code := sqlerr.Code(err); code != sqlerr.CannotConnectNow {
		t.Fatalf("source down: %v (SQLSTATE %s), want 57P03", err, code)
	}
	var se *sqlerr.Error
	if errors.As(err, &se) && strings.Contains(se.Message, "password") {
		t.Errorf("message mentions a password: %q", se.Message)
	}
	p2 := startProxy(t, target, p.addr())
	_ = p2
	if r, err := queryAll(ctx, b, "SELECT 1"); err != nil || r[0][0] != int64(1) {
		t.Fatalf("after the source came back: %v %v", r, err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// Behind PgBouncer in transaction mode no named statement may be left on a server
// connection. The same queries on a normal pool do create them, so the check can fail.
func TestTransactionPoolingMakesNoNamedStatements(t *testing.T) {
	ctx := context.Background()
	count := func(b *postgres.Backend) int64 {
		for i := 0; i < 3; i++ {
			if _, err := queryAll(ctx, b, "SELECT $1::int8 + 1, $2::text", int64(i), "x"); err != nil {
				t.Fatal(err)
			}
			if _, err := queryAll(ctx, b, "SELECT count(*) FROM pg_class WHERE relname = $1", "pg_class"); err != nil {
				t.Fatal(err)
			}
		}
		// One connection: pg_prepared_statements shows that session's statements.
		rows, err := queryAll(ctx, b, "SELECT count(*) FROM pg_prepared_statements WHERE $1::int4 = 1", int64(1))
		if err != nil {
			t.Fatal(err)
		}
		return rows[0][0].(int64)
	}
	if n := count(openBackend(t, postgres.Config{MaxConns: 1})); n == 0 {
		t.Fatal("the cached-statement pool made no named statements; the check below proves nothing")
	}
	if n := count(openBackend(t, postgres.Config{MaxConns: 1, TransactionPooling: true})); n != 0 {
		t.Errorf("transaction pooling left %d named prepared statements", n)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// readyCounter counts ReadyForQuery messages in a server's stream (sslmode=disable, so the
// stream is messages from the first byte: a type byte, a length, a body).
type readyCounter struct {
	mu    sync.Mutex
	head  []byte // a message header split across chunks
	skip  int    // body bytes of the current message still to pass
	ready int
}

func (r *readyCounter) feed(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(b) > 0 {
		if r.skip > 0 {
			n := min(r.skip, len(b))
			r.skip -= n
			b = b[n:]
			continue
		}
		n := min(5-len(r.head), len(b))
		r.head = append(r.head, b[:n]...)
		b = b[n:]
		if len(r.head) == 5 {
			if r.head[0] == 'Z' {
				r.ready++
			}
			r.skip = int(binary.BigEndian.Uint32(r.head[1:])) - 4
			r.head = r.head[:0]
		}
	}
}

func (r *readyCounter) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// A query on a warm connection is one round trip: BEGIN, the SET LOCALs, the query and the
// ROLLBACK go as one pipeline with one Sync, so the server says ReadyForQuery once.
func TestQueryIsOneRoundTrip(t *testing.T) {
	cfg, err := pgx.ParseConfig(testkit.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(cfg.Host, itoa(int(cfg.Port)))
	var rc readyCounter
	p := &proxy{t: t, target: target, fromServer: rc.feed}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.stop)
	dsn := strings.Replace(cfg.ConnString(), target, p.addr(), 1)
	if !strings.Contains(dsn, p.addr()) {
		t.Skip("the DSN-rewriting case needs a URL DSN with host:port")
	}
	b := openBackend(t, postgres.Config{DSN: dsn, MaxConns: 1})
	ctx := context.Background()
	// The first run prepares the statements on the connection.
	if _, err := queryAll(ctx, b, "SELECT $1::int8 + 1", int64(1)); err != nil {
		t.Fatal(err)
	}
	before := rc.count()
	for i := range 5 {
		r, err := queryAll(ctx, b, "SELECT $1::int8 + 1", int64(i))
		if err != nil || r[0][0] != int64(i+1) {
			t.Fatalf("query %d: %v %v", i, r, err)
		}
	}
	if got := rc.count() - before; got != 5 {
		t.Fatalf("5 queries took %d ReadyForQuery (round trips), want 5", got)
	}
	// The transaction ended with the query: the connection is idle and outside a transaction.
	r, err := queryAll(ctx, b, "SELECT current_setting('transaction_read_only'), current_setting('TimeZone')")
	if err != nil || r[0][0] != "on" || r[0][1] != "UTC" {
		t.Fatalf("settings inside the query's transaction: %v %v", r, err)
	}
}
