package pgwire

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/sqlerr"
)

func TestSimpleQuery(t *testing.T) {
	ts := startServer(t, nil)
	conn := ts.connect(t)
	results, err := conn.PgConn().Exec(testCtx(t), "select 1").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if len(results) != 1 || r.CommandTag.String() != "SELECT 1" || len(r.Rows) != 1 || string(r.Rows[0][0]) != "1" {
		t.Fatalf("got %d results, tag %q, rows %q", len(results), r.CommandTag, r.Rows)
	}
	fd := r.FieldDescriptions[0]
	if fd.Name != "n" || fd.DataTypeOID != 23 || fd.DataTypeSize != 4 || fd.TypeModifier != -1 || fd.Format != 0 || fd.TableOID != 0 {
		t.Errorf("field description %+v", fd)
	}
}

func TestLargeResultStreams(t *testing.T) {
	ts := startServer(t, nil)
	conn := ts.connect(t)
	const n = 50_000
	rows, err := conn.Query(testCtx(t), fmt.Sprintf("select rows %d", n))
	if err != nil {
		t.Fatal(err)
	}
	var i int64
	for rows.Next() {
		var id int64
		var label *string
		if err := rows.Scan(&id, &label); err != nil {
			t.Fatal(err)
		}
		wantNull := i%7 == 0
		if id != i || (label == nil) != wantNull || (!wantNull && *label != fmt.Sprintf("row-%d", i)) {
			t.Fatalf("row %d: id %d label %v", i, id, label)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != n || rows.CommandTag().String() != fmt.Sprintf("SELECT %d", n) {
		t.Fatalf("read %d rows, tag %q", i, rows.CommandTag())
	}
}

func TestMultiStatementStopsAtError(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		planned   []string
		// results the client sees before the error, and the error's code
		results int
		code    string
	}{
		{"planning error", "select 1; missing; select 2", []string{"select 1", "missing"}, 1, sqlerr.UndefinedTable},
		{"error mid-stream", "select 1; failmid; select 2", []string{"select 1", "failmid"}, 2, sqlerr.DivisionByZero},
		{"all fine", "select 1; select 2", []string{"select 1", "select 2"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, nil)
			conn := ts.connect(t)
			results, err := conn.PgConn().Exec(testCtx(t), tc.sql).ReadAll()
			var errs []error
			for _, r := range results {
				if r.Err != nil {
					errs = append(errs, r.Err)
				}
			}
			// ReadAll repeats an error of the last result; count it once.
			if err != nil && !slices.ContainsFunc(errs, func(e error) bool { return e.Error() == err.Error() }) {
				errs = append(errs, err)
			}
			if len(results) != tc.results {
				t.Errorf("got %d results, want %d", len(results), tc.results)
			}
			if got := ts.plan.plannedSQL(); !slices.Equal(got, tc.planned) {
				t.Errorf("planned %q, want %q", got, tc.planned)
			}
			switch {
			case tc.code == "" && len(errs) > 0:
				t.Errorf("unexpected errors %v", errs)
			case tc.code != "" && (len(errs) != 1 || pgCode(errs[0]) != tc.code):
				t.Errorf("errors %v, want one %s", errs, tc.code)
			}
			if tc.name == "error mid-stream" && len(results[1].Rows) != 2 {
				t.Errorf("rows before the error: %q", results[1].Rows)
			}
			assertUsable(t, conn)
		})
	}
}

func TestEmptyQueries(t *testing.T) {
	ts := startServer(t, nil)
	for _, sql := range []string{"", ";", " -- only a comment", "empty"} {
		c := ts.dial(t)
		c.login()
		c.send(&pgproto3.Query{String: sql})
		if got := types(until[*pgproto3.ReadyForQuery](c)); got != "EmptyQueryResponse ReadyForQuery" {
			t.Errorf("%q: got %s", sql, got)
		}
	}
	// And through pgx: an empty result with no error.
	results, err := ts.connect(t).PgConn().Exec(testCtx(t), ";").ReadAll()
	if err != nil || len(results) != 1 || results[0].CommandTag.String() != "" {
		t.Errorf("pgx on %q: %v, %+v", ";", err, results)
	}
}

func TestTruncationNotice(t *testing.T) {
	ts := startServer(t, nil)
	cfg, err := pgx.ParseConfig(ts.connString(goodKey))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var notices []*pgconn.Notice
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	}
	conn, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(testCtx(t))
	results, err := conn.PgConn().Exec(testCtx(t), "truncated").ReadAll()
	if err != nil || len(results) != 1 || len(results[0].Rows) != 3 || results[0].CommandTag.String() != "SELECT 3" {
		t.Fatalf("%v, %+v", err, results)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 1 {
		t.Fatalf("got %d notices, want 1", len(notices))
	}
	n := notices[0]
	if n.Severity != "NOTICE" || n.Code != "01000" || !strings.Contains(n.Message, "truncated to 3 rows") || !strings.Contains(n.Message, "QUERY_MAX_ROWS") {
		t.Errorf("notice %s %s %q", n.Severity, n.Code, n.Message)
	}
}

func TestErrorsLeaveConnectionUsable(t *testing.T) {
	ts := startServer(t, nil)
	conn := ts.connect(t)

	_, err := conn.Exec(testCtx(t), "select 1 syntax!")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != sqlerr.SyntaxError || pe.Position != 10 || pe.Severity != "ERROR" {
		t.Fatalf("syntax error: %v (%+v)", err, pe)
	}
	assertUsable(t, conn)

	_, err = conn.Exec(testCtx(t), "boom")
	if !errors.As(err, &pe) || pe.Code != sqlerr.InternalError || !strings.HasPrefix(pe.Message, "internal error (ref ") || strings.Contains(pe.Message, "disk") {
		t.Fatalf("internal error: %v", err)
	}
	ref := strings.TrimSuffix(strings.TrimPrefix(pe.Message, "internal error (ref "), ")")
	if logs := ts.logs.String(); !strings.Contains(logs, "disk on fire") || !strings.Contains(logs, ref) {
		t.Errorf("the log lacks the cause or the ref %s:\n%s", ref, logs)
	}
	assertUsable(t, conn)
}

func TestPanicEndsOnlyThatConnection(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "panic"})
	er := c.expectError(sqlerr.InternalError)
	if er.Severity != "FATAL" || !strings.HasPrefix(er.Message, "internal error (ref ") {
		t.Errorf("got %s %q", er.Severity, er.Message)
	}
	c.expectClosed()
	if !strings.Contains(ts.logs.String(), "planner bug") {
		t.Error("the panic is not logged")
	}
	assertUsable(t, ts.connect(t))
}

func assertUsable(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	var n int
	if err := conn.QueryRow(testCtx(t), "select 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("connection not usable: %d, %v", n, err)
	}
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t, nil)
	conn := ts.connect(t)
	done := make(chan error, 1)
	go func() {
		_, err := conn.PgConn().Exec(context.Background(), "slow").ReadAll()
		done <- err
	}()
	<-ts.exec.started

	// A wrong secret is ignored.
	c := ts.dial(t)
	c.send(&pgproto3.CancelRequest{ProcessID: conn.PgConn().PID(), SecretKey: []byte{1, 2, 3, 4}})
	c.expectClosed()
	select {
	case err := <-done:
		t.Fatalf("query ended after a wrong cancel key: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	if err := conn.PgConn().CancelRequest(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if pgCode(err) != sqlerr.QueryCanceled {
			t.Fatalf("cancelled query: %v, want 57014", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the query was not cancelled")
	}
	if err := <-ts.exec.stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("executor saw %v", err)
	}
	assertUsable(t, conn)
}

func TestClientDisconnectCancelsQuery(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started
	leaveAndExpectCancel(t, ts, c)
}

// A client that leaves while an extended-protocol Execute runs cancels it too.
func TestClientDisconnectCancelsExecute(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Parse{Query: "slow"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	<-ts.exec.started
	leaveAndExpectCancel(t, ts, c)
}

// leaveAndExpectCancel closes the client's socket while its "slow" query runs and checks that
// the executor sees its context cancelled.
func leaveAndExpectCancel(t *testing.T, ts *testServer, c *rawClient) {
	t.Helper()
	c.nc.Close()
	select {
	case err := <-ts.exec.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("executor saw %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the query kept running after the client left")
	}
}

// What a client sends while its query runs is read by the watcher for a vanished client, and
// must still be answered, in order, once the query is done.
func TestMessagesSentDuringQueryAreKept(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started
	// The query outlasting watchDelay is what is under test (the watcher starts reading only
	// then); a slow machine only makes the wait longer, never the check wrong.
	time.Sleep(10 * watchDelay)
	c.send(&pgproto3.Query{String: "select 2"})
	time.Sleep(10 * watchDelay) // the watcher reads "select 2" while the query still runs
	ts.exec.release <- struct{}{}
	first := until[*pgproto3.ReadyForQuery](c)
	if types(first) != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Fatalf("slow query: %s", types(first))
	}
	if err := <-ts.exec.stopped; err != nil {
		t.Fatalf("executor saw %v", err)
	}
	second := until[*pgproto3.ReadyForQuery](c)
	if types(second) != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Fatalf("query sent during the slow one: %s", types(second))
	}
	if dr, ok := second[1].(*pgproto3.DataRow); !ok || string(dr.Values[0]) != "2" {
		t.Fatalf("query sent during the slow one answered %v", second[1])
	}
}

// Over TLS, the watcher's read is interrupted when the query ends, and the TLS session carries
// on: the next query is answered, and a client that leaves mid-query still cancels it.
func TestWatcherOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeCert(t, certFile, keyFile, "watch")
	certs, err := NewCertReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.TLS = certs.TLSConfig() })
	c := ts.dialTLS(t)
	c.login()
	for range 2 {
		c.send(&pgproto3.Query{String: "slow"})
		<-ts.exec.started
		// The query outlasting watchDelay is what is under test: the watcher reads over TLS.
		time.Sleep(10 * watchDelay)
		ts.exec.release <- struct{}{}
		if got := until[*pgproto3.ReadyForQuery](c); types(got) != "RowDescription DataRow CommandComplete ReadyForQuery" {
			t.Fatalf("slow query over TLS: %s", types(got))
		}
		if err := <-ts.exec.stopped; err != nil {
			t.Fatalf("executor saw %v", err)
		}
		assertUsableRaw(t, c)
	}
	c.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started
	leaveAndExpectCancel(t, ts, c)
}
