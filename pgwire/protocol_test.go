package pgwire

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/sqlerr"
)

func TestExtendedProtocolWithPgx(t *testing.T) {
	ts := startServer(t, nil)
	// pgx's default mode prepares every statement with Parse/Describe/Sync, then runs it with
	// Bind/Execute/Sync asking for binary results.
	conn, err := pgx.Connect(testCtx(t), strings.TrimSuffix(ts.connString(goodKey), "&default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(testCtx(t))
	for range 3 {
		var n int32
		if err := conn.QueryRow(testCtx(t), "select 1").Scan(&n); err != nil || n != 1 {
			t.Fatalf("extended query: %d, %v", n, err)
		}
	}
	if err := conn.QueryRow(testCtx(t), "missing").Scan(new(int)); pgCode(err) != sqlerr.UndefinedTable {
		t.Fatalf("planning error at Parse: %v, want 42P01", err)
	}
	results, err := conn.PgConn().Exec(testCtx(t), "select 1").ReadAll()
	if err != nil || len(results) != 1 || string(results[0].Rows[0][0]) != "1" {
		t.Fatalf("simple query after the extended ones: %v %+v", err, results)
	}
}

func TestExtendedProtocolSkipsToSync(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()

	// One error for the whole batch, everything up to Sync discarded (the Query inside too),
	// then ReadyForQuery.
	c.send(
		&pgproto3.Parse{Query: "missing"},
		&pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.Close{ObjectType: 'S'},
		&pgproto3.Flush{},
		&pgproto3.Sync{},
	)
	c.expectError(sqlerr.UndefinedTable)
	if _, ok := c.receive().(*pgproto3.ReadyForQuery); !ok {
		t.Fatal("expected ReadyForQuery after Sync")
	}

	// A lone Sync is answered; a lone Flush is quiet.
	c.send(&pgproto3.Flush{}, &pgproto3.Sync{})
	if _, ok := c.receive().(*pgproto3.ReadyForQuery); !ok {
		t.Fatal("expected ReadyForQuery for a lone Sync")
	}

	c.send(&pgproto3.Query{String: "select 1"})
	if got := types(until[*pgproto3.ReadyForQuery](c)); got != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Fatalf("simple query after the batch: %s", got)
	}
	if got := ts.exec.runsOf("one"); got != 1 {
		t.Errorf("the query ran %d times, want once (only the simple one)", got)
	}
}

func TestUnsupportedMessages(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	for _, msg := range []pgproto3.FrontendMessage{
		&pgproto3.FunctionCall{Function: 1},
		&pgproto3.CopyData{Data: []byte("1\n")},
		&pgproto3.CopyDone{},
		&pgproto3.CopyFail{Message: "x"},
	} {
		c.send(msg)
		c.expectError(sqlerr.FeatureNotSupported)
		if _, ok := c.receive().(*pgproto3.ReadyForQuery); !ok {
			t.Fatalf("%T: expected ReadyForQuery", msg)
		}
	}
	c.send(&pgproto3.Terminate{})
	c.expectClosed()
}

func TestProtocolViolationsAreFatal(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxMessageSize = 1024 })
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"oversized message", append([]byte{'Q', 0, 0, 0x10, 0}, make([]byte, 4096)...)},
		{"unknown message type", []byte{'!', 0, 0, 0, 4}},
		{"bad length", []byte{'Q', 0, 0, 0, 1}},
		{"unterminated query", []byte{'Q', 0, 0, 0, 7, 'a', 'b', 'c'}},
		{"password after startup", []byte{'p', 0, 0, 0, 6, 'x', 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.dial(t)
			c.login()
			if _, err := c.nc.Write(tc.raw); err != nil {
				t.Fatal(err)
			}
			if er := c.expectError(sqlerr.ProtocolViolation); er.Severity != "FATAL" {
				t.Errorf("severity %s", er.Severity)
			}
			c.expectClosed()
		})
	}
	if err := ts.connect(t).Ping(testCtx(t)); err != nil {
		t.Fatalf("server unusable after protocol violations: %v", err)
	}
}
