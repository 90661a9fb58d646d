package pgwire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

const (
	goodKey = "good-key-9f8e7d"
	badKey  = "wrong-key-1a2b3c"
	// brokenKey makes the fake key store fail as if its database were down.
	brokenKey = "broken-store-key"
)

// The real implementations must keep fitting the interfaces pgwire declares.
var (
	_ Authenticator = (*auth.Static)(nil)
	_ Planner       = (*planner.Planner)(nil)
	_ Executor      = (*engine.Executor)(nil)
)

// fakeAuth knows one key.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, secret string) (auth.Principal, error) {
	switch secret {
	case goodKey:
		return auth.Principal{KeyID: "key-1", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, nil
	case brokenKey:
		return auth.Principal{}, errors.New("state db unreachable")
	}
	return auth.Principal{}, auth.ErrBadKey
}

// fakePlanner splits on ';' and plans a handful of fixed statements; it records what it planned.
type fakePlanner struct {
	mu      sync.Mutex
	planned []string
}

func (p *fakePlanner) Parse(sql string) ([]*planner.Statement, error) {
	if i := strings.Index(sql, "syntax!"); i >= 0 {
		return nil, sqlerr.New(sqlerr.SyntaxError, `syntax error at or near "syntax!"`).WithPosition(i + 1)
	}
	var out []*planner.Statement
	for part := range strings.SplitSeq(sql, ";") {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "--") {
			continue
		}
		out = append(out, &planner.Statement{SQL: part})
	}
	return out, nil
}

func (p *fakePlanner) Plan(_ context.Context, s planner.Session, st *planner.Statement, paramOIDs ...uint32) (*planner.Plan, error) {
	// The connection validates startup parameters as quoted SETs; they are not the test's.
	if !strings.HasPrefix(st.SQL, `SET "`) {
		p.mu.Lock()
		p.planned = append(p.planned, st.SQL)
		p.mu.Unlock()
	}
	if plan, ok, err := fakeSessionPlan(s, st.SQL); ok {
		return plan, err
	}
	q := func(sql string, cols ...planner.Column) *planner.Plan {
		return &planner.Plan{Kind: planner.KindQuery, SQL: sql, Tag: "SELECT", Columns: cols}
	}
	n := planner.Column{Name: "n", Type: pgtypes.Int4}
	switch sql := strings.ToLower(st.SQL); {
	case sql == "select echo":
		// One column per parameter, of the parameter's declared type (text when undeclared):
		// the executor sends the bound values back.
		plan := q("echo")
		for i, oid := range paramOIDs {
			t, ok := pgtypes.ByOID(oid)
			if !ok || oid == 0 {
				t = pgtypes.Text
			}
			plan.Params = append(plan.Params, t)
			plan.Columns = append(plan.Columns, planner.Column{Name: fmt.Sprintf("p%d", i+1), Type: t})
		}
		return plan, nil
	case sql == "select many":
		// Typed constants of every type with a binary encoding.
		plan := q("many")
		for _, t := range manyTypes {
			plan.Columns = append(plan.Columns, planner.Column{Name: t.Name, Type: t})
		}
		return plan, nil
	case sql == "select 1":
		return q("one", n), nil
	case sql == "select 2":
		return q("two", n), nil
	case strings.HasPrefix(sql, "select rows "):
		return q("rows:"+strings.TrimPrefix(sql, "select rows "),
			planner.Column{Name: "id", Type: pgtypes.Int8},
			planner.Column{Name: "label", Type: pgtypes.Text}), nil
	case strings.HasPrefix(sql, "explain analyze rows "):
		// EXPLAIN ANALYZE as the planner plans it: its lines, and the query to run.
		inner := q("rows:"+strings.TrimPrefix(sql, "explain analyze rows "),
			planner.Column{Name: "id", Type: pgtypes.Int8}, planner.Column{Name: "label", Type: pgtypes.Text})
		first, second := "Statement: SELECT", "Engine SQL: "+inner.SQL
		return &planner.Plan{Kind: planner.KindExplainAnalyze, Tag: "EXPLAIN", Inner: inner,
			Columns: []planner.Column{{Name: planner.ExplainColumn, Type: pgtypes.Text}},
			Rows:    [][]*string{{&first}, {&second}}}, nil
	case sql == "missing":
		return nil, sqlerr.New(sqlerr.UndefinedTable, `relation "missing" does not exist`)
	case sql == "panic":
		panic("planner bug")
	case sql == "empty":
		return &planner.Plan{Kind: planner.KindEmpty}, nil
	case sql == "slow", sql == "truncated", sql == "failmid", sql == "boom":
		return q(sql, n), nil
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "fake planner does not know %q", st.SQL)
}

func (p *fakePlanner) plannedSQL() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.planned...)
}

// fakeExecutor answers the fake plans. "slow" blocks until its context ends or release is
// closed, reporting on started and, with the context's error, on stopped. It records how often
// each plan ran and the arguments of the last run, and honours a FormatWriter's binary columns.
type fakeExecutor struct {
	started chan struct{}
	stopped chan error
	release chan struct{}

	// admit, when set, admits each execution as the engine's executor does, so that the
	// server's part in admission (the caller it passes, how long it holds an execution) is
	// observable.
	admit *admission.Controller

	mu         sync.Mutex
	runs       map[string]int
	lastArgs   []any
	lastCaller admission.Caller
}

func (e *fakeExecutor) runsOf(sql string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runs[sql]
}

func (e *fakeExecutor) args() []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastArgs
}

// manyTypes are the columns of "select many", and manyValues its values in engine.Rows' Go kinds.
var (
	manyTypes = []pgtypes.Type{pgtypes.Int2, pgtypes.Int4, pgtypes.Int8, pgtypes.Float4, pgtypes.Float8,
		pgtypes.Numeric, pgtypes.Bool, pgtypes.Text, pgtypes.Varchar, pgtypes.Date, pgtypes.Timestamp,
		pgtypes.Timestamptz, pgtypes.Bytea, pgtypes.Interval}
	manyValues = []any{int64(1), int64(2), int64(3), 1.5, 2.5, pgtypes.Decimal{Unscaled: big.NewInt(125), Scale: 2}, true, "x", "v",
		time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC),
		time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), []byte{0xde, 0xad}, pgtypes.IntervalValue{Days: 1, Micros: 3600e6}}
)

// encodeRow encodes Go values as the real executor does, in the formats w asks for.
func encodeRow(w engine.RowWriter, cols []planner.Column, values []any) error {
	var formats []int16
	if fw, ok := w.(engine.FormatWriter); ok {
		formats = fw.Formats()
	}
	out := make([][]byte, len(values))
	for i, v := range values {
		if v == nil {
			continue
		}
		var err error
		if i < len(formats) && formats[i] == 1 {
			out[i], err = pgtypes.AppendBinary(nil, v, cols[i].Type)
		} else {
			out[i], err = pgtypes.AppendText(nil, v, cols[i].Type)
		}
		if err != nil {
			return err
		}
	}
	return w.WriteRow(out)
}

// binaryWriter turns the text values the fake plans produce into the binary format where the
// client asked for it, as the real executor's encoder would.
type binaryWriter struct {
	engine.FormatWriter
	cols []planner.Column
	out  [][]byte
}

func (w *binaryWriter) WriteRow(values [][]byte) error {
	w.out = w.out[:0]
	for i, v := range values {
		if v != nil && i < len(w.Formats()) && w.Formats()[i] == 1 {
			b, err := pgtypes.AppendBinary(nil, string(v), w.cols[i].Type)
			if err != nil {
				return err
			}
			v = b
		}
		w.out = append(w.out, v)
	}
	return w.FormatWriter.WriteRow(w.out)
}

func newFakeExecutor() *fakeExecutor {
	return &fakeExecutor{
		started: make(chan struct{}, 16),
		stopped: make(chan error, 16),
		release: make(chan struct{}),
		runs:    map[string]int{},
	}
}

func (e *fakeExecutor) Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error) {
	if e.admit != nil {
		release, err := e.admit.BeginQuery(caller, admission.Query{Datasets: 1})
		if err != nil {
			return engine.Result{}, err
		}
		defer release()
	}
	e.mu.Lock()
	e.runs[plan.SQL]++
	e.lastArgs = args
	e.lastCaller = caller
	e.mu.Unlock()
	switch plan.SQL {
	case "echo":
		vals := slices.Clone(args)
		for i, v := range vals {
			// Intervals are bound as text the engine parses; read it back as an engine value.
			if s, ok := v.(string); ok && plan.Columns[i].Type == pgtypes.Interval {
				var iv pgtypes.IntervalValue
				if _, err := fmt.Sscanf(s, "%d months %d days %d microseconds", &iv.Months, &iv.Days, &iv.Micros); err != nil {
					return engine.Result{}, err
				}
				vals[i] = iv
			}
		}
		return engine.Result{Rows: 1}, encodeRow(w, plan.Columns, vals)
	case "many":
		return engine.Result{Rows: 1}, encodeRow(w, plan.Columns, manyValues)
	}
	if fw, ok := w.(engine.FormatWriter); ok && fw.Formats() != nil {
		w = &binaryWriter{FormatWriter: fw, cols: plan.Columns}
	}
	// One values slice and one byte buffer for every row, as a real executor reuses them.
	vals := make([][]byte, len(plan.Columns))
	var buf []byte
	one := func(s string) error {
		vals[0] = append(buf[:0], s...)
		return w.WriteRow(vals)
	}
	switch {
	case plan.SQL == "one":
		return engine.Result{Rows: 1}, one("1")
	case plan.SQL == "two":
		return engine.Result{Rows: 1}, one("2")
	case strings.HasPrefix(plan.SQL, "rows:"):
		n, _ := strconv.Atoi(strings.TrimPrefix(plan.SQL, "rows:"))
		for i := range n {
			buf = strconv.AppendInt(buf[:0], int64(i), 10)
			split := len(buf)
			buf = append(append(buf, "row-"...), buf[:split]...)
			vals[0], vals[1] = buf[:split], buf[split:]
			if i%7 == 0 {
				vals[1] = nil
			}
			if err := w.WriteRow(vals); err != nil {
				return engine.Result{Rows: int64(i)}, err
			}
		}
		return engine.Result{Rows: int64(n)}, nil
	case plan.SQL == "slow":
		e.started <- struct{}{}
		select {
		case <-ctx.Done():
			e.stopped <- ctx.Err()
			return engine.Result{}, ctx.Err()
		case <-e.release:
			e.stopped <- nil
			return engine.Result{Rows: 1}, one("42")
		}
	case plan.SQL == "truncated":
		for i := range 3 {
			if err := one(strconv.Itoa(i)); err != nil {
				return engine.Result{}, err
			}
		}
		return engine.Result{Rows: 3, Truncated: true}, nil
	case plan.SQL == "failmid":
		for i := range 2 {
			if err := one(strconv.Itoa(i)); err != nil {
				return engine.Result{}, err
			}
		}
		return engine.Result{Rows: 2}, sqlerr.New(sqlerr.DivisionByZero, "division by zero")
	case plan.SQL == "boom":
		return engine.Result{}, fmt.Errorf("reading block 7: %w", errors.New("disk on fire"))
	}
	return engine.Result{}, fmt.Errorf("fake executor does not know %q", plan.SQL)
}

// syncBuffer is a log sink safe for the connection goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	srv  *Server
	addr string
	plan *fakePlanner
	exec *fakeExecutor
	logs *syncBuffer
	// served reports what Serve returned.
	served chan error
}

// startServer runs a server on a loopback port; mod adjusts its config. Cleanup closes it and
// checks that Serve returned nil and no secret reached the log.
func startServer(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	ts := &testServer{plan: &fakePlanner{}, exec: newFakeExecutor(), logs: &syncBuffer{}, served: make(chan error, 1)}
	cfg := Config{
		Authenticator: fakeAuth{},
		Planner:       ts.plan,
		Executor:      ts.exec,
		Log:           slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	ts.srv = New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	go func() { ts.served <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := ts.srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		select {
		case err := <-ts.served:
			if err != nil {
				t.Errorf("Serve returned %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
		logs := ts.logs.String()
		for _, secret := range []string{goodKey, badKey, brokenKey} {
			if strings.Contains(logs, secret) {
				t.Errorf("log contains the secret %q:\n%s", secret, logs)
			}
		}
	})
	return ts
}

// connString is a pgx connection string for the test server using the simple protocol.
func (ts *testServer) connString(key string) string {
	return fmt.Sprintf("postgres://alice:%s@%s/analytics?sslmode=disable&default_query_exec_mode=simple_protocol", key, ts.addr)
}

func (ts *testServer) connect(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(testCtx(t), ts.connString(goodKey))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// testCtx bounds a test's client calls; ten seconds, as the pgwire tests always had, so a server
// that stops answering fails the test by name.
func testCtx(t *testing.T) context.Context { return testkit.ContextWithin(t, 10*time.Second) }

// pgCode returns the SQLSTATE of a *pgconn.PgError in err's chain, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// rawClient speaks the protocol by hand with pgproto3's Frontend.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
	// key is the BackendKeyData login received.
	key pgproto3.BackendKeyData
}

func (ts *testServer) dial(t testing.TB) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *rawClient) receive() pgproto3.BackendMessage {
	c.t.Helper()
	msg, err := c.fe.Receive()
	if err != nil {
		c.t.Fatalf("receive: %v", err)
	}
	return clone(c.t, msg)
}

// clone copies a received message: the Frontend reuses its message values and their buffers.
func clone(t testing.TB, msg pgproto3.BackendMessage) pgproto3.BackendMessage {
	b, err := msg.Encode(nil)
	if err != nil {
		t.Fatalf("re-encode %T: %v", msg, err)
	}
	fresh := reflect.New(reflect.TypeOf(msg).Elem()).Interface().(pgproto3.BackendMessage)
	if err := fresh.Decode(b[5:]); err != nil {
		t.Fatalf("copy %T: %v", msg, err)
	}
	return fresh
}

// until receives messages up to and including one of type T, returning all of them.
func until[T pgproto3.BackendMessage](c *rawClient) []pgproto3.BackendMessage {
	c.t.Helper()
	var got []pgproto3.BackendMessage
	for {
		msg := c.receive()
		got = append(got, msg)
		if _, ok := msg.(T); ok {
			return got
		}
	}
}

// login runs the startup phase with the good key up to ReadyForQuery.
func (c *rawClient) login() {
	c.t.Helper()
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "database": "analytics"}})
	if _, ok := c.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		c.t.Fatal("expected AuthenticationCleartextPassword")
	}
	c.send(&pgproto3.PasswordMessage{Password: goodKey})
	for _, m := range until[*pgproto3.ReadyForQuery](c) {
		if k, ok := m.(*pgproto3.BackendKeyData); ok {
			c.key = pgproto3.BackendKeyData{ProcessID: k.ProcessID, SecretKey: slices.Clone(k.SecretKey)}
		}
	}
}

// expectError receives the next message, which must be an ErrorResponse with the given code.
func (c *rawClient) expectError(code string) *pgproto3.ErrorResponse {
	c.t.Helper()
	msg := c.receive()
	er, ok := msg.(*pgproto3.ErrorResponse)
	if !ok {
		c.t.Fatalf("got %T, want ErrorResponse %s", msg, code)
	}
	if er.Code != code {
		c.t.Fatalf("got error %s %q, want %s", er.Code, er.Message, code)
	}
	return er
}

// expectClosed waits for the server to close the socket.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	for {
		if _, err := c.fe.Receive(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.t.Fatal("server did not close the connection")
			}
			return
		}
	}
}

// types lists the message types in msgs, for compact assertions.
func types(msgs []pgproto3.BackendMessage) string {
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%T", m)
	}
	return strings.ReplaceAll(b.String(), "*pgproto3.", "")
}
