package gateway

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/internal/testkit"
)

// The extended query protocol against the real gateway, with pgx in its extended modes:
// cache_statement (named statements, binary results, pgx's default), describe_exec (unnamed
// statement described on every run) and exec (text parameters of undeclared types, text results).
var extendedModes = []string{"cache_statement", "describe_exec", "exec"}

func connectMode(t *testing.T, gw *Gateway, key, mode string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(strings.Replace(connString(gw, key), "simple_protocol", mode, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryRows runs a query with arguments and returns each row as its values joined by "|".
func queryRows(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", sql, args, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
			if tm, ok := v.(time.Time); ok {
				parts[i] = tm.Format("2006-01-02")
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s %v: %v", sql, args, err)
	}
	return out
}

func TestExtendedParameterisedQueries(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range extendedModes {
		t.Run(mode, func(t *testing.T) {
			admin := connectMode(t, gw, "dev-key-123", mode)
			tenantA := connectMode(t, gw, "tenantA-key", mode)
			cases := []struct {
				conn *pgx.Conn
				sql  string
				args []any
				want []string
			}{
				{tenantA, "SELECT city, total_revenue FROM orders WHERE city = $1", []any{"Indore"}, []string{"Indore|1000"}},
				// Tenant isolation holds whatever the parameter says.
				{tenantA, "SELECT city, total_revenue FROM orders WHERE city = $1", []any{"Delhi"}, nil},
				{tenantA, "SELECT city, total_revenue FROM orders WHERE city = $1", []any{"x' OR '1'='1"}, nil},
				{tenantA, "SELECT city, total_revenue FROM orders WHERE city = $1 OR true ORDER BY city", []any{"Delhi"}, []string{"Bhopal|500", "Indore|1000"}},
				{admin, "SELECT city, total_revenue FROM orders WHERE order_date >= $1 ORDER BY city",
					[]any{time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC)}, []string{"Chennai|600", "Delhi|1200", "Indore|250", "Mumbai|800"}},
				{admin, "SELECT city FROM orders GROUP BY city ORDER BY city LIMIT $1", []any{2}, []string{"Bhopal", "Chennai"}},
				{admin, "SELECT city, orders_count FROM orders WHERE city IN ($1, $2) ORDER BY city", []any{"Delhi", "Mumbai"}, []string{"Delhi|1", "Mumbai|1"}},
				{admin, "SELECT city FROM orders GROUP BY city HAVING total_revenue > $1 ORDER BY city", []any{900.5}, []string{"Delhi", "Indore"}},
				{admin, "SELECT $1::int8 + 1, $2::text", []any{41, "t"}, []string{"42|t"}},
			}
			for _, c := range cases {
				// Twice: the second run of cache_statement binds the cached named statement.
				for range 2 {
					if got := queryRows(t, c.conn, c.sql, c.args...); !equal(got, c.want) {
						t.Errorf("%s %v:\n got %q\nwant %q", c.sql, c.args, got, c.want)
					}
				}
			}
		})
	}
}

// Every type the gateway encodes in binary, scanned by pgx into typed Go values; the text
// results of exec mode must read the same.
func TestExtendedBinaryResults(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	// bytea comes from a parameter: '\xdead'::bytea means 0xdead to PostgreSQL but 0xde 'a' 'd'
	// to DuckDB. numeric has an explicit scale: DuckDB gives a bare ::numeric three decimals.
	const sql = `SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.5::float8, 1.25::numeric(10,2), true, 'x'::text, 'v'::varchar,
		DATE '2025-12-01', TIMESTAMP '2025-12-01 10:00:00', TIMESTAMPTZ '2025-12-01 10:00:00+00', $1::bytea,
		INTERVAL '1 day 02:00:00', 1250.00::numeric(10,2), ''::text`
	type result struct {
		i2    int16
		i4    int32
		i8    int64
		f4    float32
		f8    float64
		num   pgtype.Numeric
		b     bool
		txt   string
		vc    string
		d     time.Time
		ts    time.Time
		tstz  time.Time
		by    []byte
		iv    pgtype.Interval
		num2  pgtype.Numeric
		empty *string
		types []string
	}
	for _, mode := range extendedModes {
		t.Run(mode, func(t *testing.T) {
			conn := connectMode(t, gw, "tenantA-key", mode)
			ctx := context.Background()
			var r result
			rows, err := conn.Query(ctx, sql, []byte{0xde, 0xad})
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range rows.FieldDescriptions() {
				r.types = append(r.types, fmt.Sprintf("%d/%d", fd.DataTypeOID, fd.Format))
			}
			if !rows.Next() {
				t.Fatalf("no row: %v", rows.Err())
			}
			if err := rows.Scan(&r.i2, &r.i4, &r.i8, &r.f4, &r.f8, &r.num, &r.b, &r.txt, &r.vc, &r.d, &r.ts, &r.tstz, &r.by, &r.iv, &r.num2, &r.empty); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			wantFormat := "1"
			if mode == "exec" {
				wantFormat = "0"
			}
			wantTypes := []string{"21", "23", "20", "700", "701", "1700", "16", "25", "1043", "1082", "1114", "1184", "17", "1186", "1700", "25"}
			for i, oid := range wantTypes {
				f := wantFormat
				if oid == "25" || oid == "1043" {
					f = "0" // pgx reads text types as text
				}
				if i >= len(r.types) || r.types[i] != oid+"/"+f {
					t.Errorf("column %d: oid/format %v, want %s/%s", i+1, r.types, oid, f)
					break
				}
			}
			num, _ := r.num.Value()
			num2, _ := r.num2.Value()
			utc := func(s string) time.Time {
				v, err := time.Parse("2006-01-02 15:04", s)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			checks := []struct {
				name string
				ok   bool
				got  any
			}{
				{"int2", r.i2 == 1, r.i2},
				{"int4", r.i4 == 2, r.i4},
				{"int8", r.i8 == 3, r.i8},
				{"float4", r.f4 == 1.5, r.f4},
				{"float8", r.f8 == 2.5, r.f8},
				{"numeric", num == "1.25", num},
				{"bool", r.b, r.b},
				{"text", r.txt == "x", r.txt},
				{"varchar", r.vc == "v", r.vc},
				{"date", r.d.Equal(utc("2025-12-01 00:00")), r.d},
				{"timestamp", r.ts.Equal(utc("2025-12-01 10:00")), r.ts},
				{"timestamptz", r.tstz.Equal(utc("2025-12-01 10:00")), r.tstz},
				{"bytea", bytes.Equal(r.by, []byte{0xde, 0xad}), r.by},
				{"interval", r.iv.Valid && r.iv.Months == 0 && r.iv.Days == 1 && r.iv.Microseconds == 2*3600e6, r.iv},
				{"numeric scale", num2 == "1250.00", num2},
				{"empty text is not NULL", r.empty != nil && *r.empty == "", r.empty},
			}
			for _, c := range checks {
				if !c.ok {
					t.Errorf("%s: got %v", c.name, c.got)
				}
			}
		})
	}
}

// Real metric columns in binary: the float8 of a sum, the int8 of a count, and NULLs.
func TestExtendedBinaryMetrics(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connectMode(t, gw, "dev-key-123", "cache_statement")
	var (
		city  string
		rev   float64
		n     int64
		day   time.Time
		empty *float64
	)
	err := conn.QueryRow(context.Background(),
		"SELECT city, total_revenue, orders_count, min(order_date), NULL::float8 FROM orders WHERE city = $1 GROUP BY city", "Indore").
		Scan(&city, &rev, &n, &day, &empty)
	if err != nil {
		t.Fatal(err)
	}
	if city != "Indore" || rev != 1250 || n != 2 || day.Format("2006-01-02") != "2025-12-01" || empty != nil {
		t.Errorf("got %s %v %d %v %v", city, rev, n, day, empty)
	}
}

// rawConn logs in with pgproto3's Frontend, for what pgx does not expose: Execute with a row
// limit, hand-made pipelines.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

func dialRaw(t *testing.T, gw *Gateway, key string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", gw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	c := &rawConn{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "demo", "database": "setupranali"}})
	if _, ok := c.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatal("expected a password request")
	}
	c.send(&pgproto3.PasswordMessage{Password: key})
	c.until("ReadyForQuery")
	return c
}

func (c *rawConn) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) receive() pgproto3.BackendMessage {
	c.t.Helper()
	msg, err := c.fe.Receive()
	if err != nil {
		c.t.Fatal(err)
	}
	return msg
}

// received is one message, summarised: its type, and for some the part a test checks. The
// Frontend reuses its messages, so nothing of them is kept.
type received struct {
	kind   string
	detail string
	values [][]byte
}

// until receives up to and including a message of the given type.
func (c *rawConn) until(kind string) []received {
	c.t.Helper()
	var out []received
	for {
		msg := c.receive()
		r := received{kind: strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")}
		switch m := msg.(type) {
		case *pgproto3.ErrorResponse:
			r.detail = m.Code
		case *pgproto3.CommandComplete:
			r.detail = string(m.CommandTag)
		case *pgproto3.ReadyForQuery:
			r.detail = string(m.TxStatus)
		case *pgproto3.DataRow:
			for _, v := range m.Values {
				r.values = append(r.values, bytes.Clone(v))
			}
		}
		out = append(out, r)
		if r.kind == kind {
			return out
		}
	}
}

func kinds(msgs []received) string {
	var parts []string
	for _, m := range msgs {
		s := m.kind
		if m.detail != "" {
			s += "(" + m.detail + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// Execute with a row limit pages through one execution: PortalSuspended between pages, the
// query not run again.
func TestExtendedMaxRowsPaging(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := dialRaw(t, gw, "dev-key-123")
	c.send(
		&pgproto3.Parse{Name: "by_city", Query: "SELECT city, total_revenue FROM orders GROUP BY city ORDER BY city"},
		&pgproto3.Bind{PreparedStatement: "by_city", ResultFormatCodes: []int16{1}},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Flush{},
	)
	got := c.until("PortalSuspended")
	if kinds(got) != "ParseComplete BindComplete DataRow DataRow PortalSuspended" {
		t.Fatalf("first page: %s", kinds(got))
	}
	all := got
	c.send(&pgproto3.Execute{MaxRows: 2}, &pgproto3.Flush{})
	got = c.until("PortalSuspended")
	if kinds(got) != "DataRow DataRow PortalSuspended" {
		t.Fatalf("second page: %s", kinds(got))
	}
	all = append(all, got...)
	c.send(&pgproto3.Execute{MaxRows: 2}, &pgproto3.Sync{})
	got = c.until("ReadyForQuery")
	if kinds(got) != "DataRow CommandComplete(SELECT 1) ReadyForQuery(I)" {
		t.Fatalf("last page: %s", kinds(got))
	}
	all = append(all, got...)
	var rows []string
	for _, m := range all {
		if m.kind == "DataRow" {
			rev := math.Float64frombits(binary.BigEndian.Uint64(m.values[1]))
			rows = append(rows, fmt.Sprintf("%s|%v", m.values[0], rev))
		}
	}
	want := []string{"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|1250", "Mumbai|800"}
	if !slices.Equal(rows, want) {
		t.Errorf("rows %q, want %q", rows, want)
	}
}

// After an error in a pipelined batch, every message up to Sync is discarded; then the
// connection works.
func TestExtendedPipelineParseError(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := dialRaw(t, gw, "tenantA-key")
	c.send(
		&pgproto3.Parse{Query: "SELECT city FROM orders"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Parse{Name: "bad", Query: "SELECT cty FROM orders"},
		&pgproto3.Bind{PreparedStatement: "bad"},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "SELECT 1"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	got := c.until("ReadyForQuery")
	want := "ParseComplete BindComplete DataRow DataRow CommandComplete(SELECT 2) ErrorResponse(42703) ReadyForQuery(I)"
	if kinds(got) != want {
		t.Fatalf("got  %s\nwant %s", kinds(got), want)
	}
	c.send(&pgproto3.Parse{Query: "SELECT total_revenue FROM orders WHERE city = $1"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("Indore")}},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	got = c.until("ReadyForQuery")
	if kinds(got) != "ParseComplete BindComplete DataRow CommandComplete(SELECT 1) ReadyForQuery(I)" || string(got[2].values[0]) != "1000" {
		t.Fatalf("after the failed batch: %s", kinds(got))
	}
	// The failed named statement does not exist.
	c.send(&pgproto3.Bind{PreparedStatement: "bad"}, &pgproto3.Sync{})
	if got := c.until("ReadyForQuery"); kinds(got) != "ErrorResponse(26000) ReadyForQuery(I)" {
		t.Errorf("failed statement: %s", kinds(got))
	}
}

func TestExtendedFailedTransaction(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range extendedModes {
		t.Run(mode, func(t *testing.T) {
			conn := connectMode(t, gw, "tenantA-key", mode)
			ctx := context.Background()
			run := func(sql string) error {
				rows, err := conn.Query(ctx, sql)
				if err != nil {
					return err
				}
				rows.Close()
				return rows.Err()
			}
			if err := run("BEGIN"); err != nil || conn.PgConn().TxStatus() != 'T' {
				t.Fatalf("BEGIN: %v, status %c", err, conn.PgConn().TxStatus())
			}
			var pe *pgconn.PgError
			if err := run("SELECT cty FROM orders"); !errors.As(err, &pe) || pe.Code != "42703" {
				t.Fatalf("bad column: %v", err)
			}
			if s := conn.PgConn().TxStatus(); s != 'E' {
				t.Errorf("status %c after the error, want E", s)
			}
			for _, sql := range []string{"SELECT 1", "SELECT city FROM orders", "SHOW TimeZone", "SET application_name = 'x'"} {
				if err := run(sql); !errors.As(err, &pe) || pe.Code != "25P02" ||
					pe.Message != "current transaction is aborted, commands ignored until end of transaction block" {
					t.Errorf("%s in a failed transaction: %v", sql, err)
				}
			}
			if err := run("ROLLBACK"); err != nil || conn.PgConn().TxStatus() != 'I' {
				t.Fatalf("ROLLBACK: %v, status %c", err, conn.PgConn().TxStatus())
			}
			if got := queryRows(t, conn, "SELECT 1"); !equal(got, []string{"1"}) {
				t.Errorf("after ROLLBACK: %v", got)
			}
			// COMMIT of a failed block answers ROLLBACK.
			run("BEGIN")
			run("SELECT cty FROM orders")
			tag, err := conn.PgConn().Exec(ctx, "COMMIT").ReadAll()
			if err != nil || tag[0].CommandTag.String() != "ROLLBACK" || conn.PgConn().TxStatus() != 'I' {
				t.Errorf("COMMIT of a failed block: %v %v", tag, err)
			}
		})
	}
}

// Each SET TIME ZONE spelling: SHOW TimeZone and the ParameterStatus pgx keeps agree.
func TestExtendedSetTimeZone(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	cases := []struct{ set, want string }{
		{"SET TIME ZONE 'Europe/Berlin'", "Europe/Berlin"},
		{"SET TIME ZONE 'UTC'", "UTC"},
		{"SET TIMEZONE TO 'Asia/Kolkata'", "Asia/Kolkata"},
		{"SET timezone = 'America/New_York'", "America/New_York"},
		{"SET SESSION TIME ZONE 'Asia/Tokyo'", "Asia/Tokyo"},
		{"SET TIME ZONE INTERVAL '+05:00' HOUR TO MINUTE", "Etc/GMT-5"},
		{"SET TIME ZONE -7", "Etc/GMT+7"},
		{"SET TIME ZONE LOCAL", "UTC"},
		{"SET TimeZone = 'Europe/Paris'", "Europe/Paris"},
		{"SET TIME ZONE DEFAULT", "UTC"},
		{"SET TIME ZONE 'Asia/Kolkata'", "Asia/Kolkata"},
		{"RESET TIME ZONE", "UTC"},
	}
	for _, mode := range append([]string{"simple_protocol"}, extendedModes...) {
		t.Run(mode, func(t *testing.T) {
			conn := connectMode(t, gw, "tenantA-key", mode)
			ctx := context.Background()
			for _, c := range cases {
				rows, err := conn.Query(ctx, c.set)
				if err == nil {
					rows.Close()
					err = rows.Err()
				}
				if err != nil {
					t.Errorf("%s: %v", c.set, err)
					continue
				}
				if got := queryRows(t, conn, "SHOW TimeZone"); !equal(got, []string{c.want}) {
					t.Errorf("%s: SHOW TimeZone = %v, want %s", c.set, got, c.want)
				}
				if got := conn.PgConn().ParameterStatus("TimeZone"); got != c.want {
					t.Errorf("%s: ParameterStatus TimeZone = %q, want %s", c.set, got, c.want)
				}
			}
			// SET LOCAL lasts until the end of the transaction.
			if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
				t.Fatal(err)
			}
			queryRows(t, conn, "SET LOCAL TIME ZONE 'Asia/Tokyo'")
			if got := conn.PgConn().ParameterStatus("TimeZone"); got != "Asia/Tokyo" {
				t.Errorf("SET LOCAL: ParameterStatus %q", got)
			}
			if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			if got := conn.PgConn().ParameterStatus("TimeZone"); got != "UTC" {
				t.Errorf("after COMMIT: ParameterStatus %q, want UTC again", got)
			}
			if got := queryRows(t, conn, "SHOW TimeZone"); !equal(got, []string{"UTC"}) {
				t.Errorf("after COMMIT: SHOW TimeZone %v", got)
			}
		})
	}
}

// The session time zone reaches the plan of a prepared statement: a statement prepared before
// SET TIME ZONE runs in the new zone.
func TestExtendedTimeZoneReachesPreparedPlans(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	initSQL := filepath.Join(dir, "init.sql")
	testkit.WriteFile(t, initSQL, `CREATE TABLE events (tenant_id VARCHAR, happened TIMESTAMPTZ, n INTEGER);
INSERT INTO events VALUES ('tenantA', TIMESTAMPTZ '2025-12-01 20:00:00+00', 1);`)
	cat := filepath.Join(dir, "catalog.yaml")
	testkit.WriteFile(t, cat, `datasets:
  - id: events
    source: {reference: events}
    fields:
      - {name: tenant_id, type: string}
      - {name: happened, type: timestamptz}
      - {name: n, type: int32}
    dimensions: [{name: happened}]
    metrics: [{name: events, expression: {agg: sum, field: n}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat; c.DuckDBInit = initSQL })
	conn := connectMode(t, gw, "tenantA-key", "cache_statement")
	const q = "SELECT CAST(extract(day FROM happened) AS int) FROM events GROUP BY 1"
	queryRows(t, conn, "SET TIME ZONE 'UTC'")
	if got := queryRows(t, conn, q); !equal(got, []string{"1"}) {
		t.Fatalf("UTC: %v", got)
	}
	queryRows(t, conn, "SET TIME ZONE 'Asia/Kolkata'")
	if got := queryRows(t, conn, q); !equal(got, []string{"2"}) {
		t.Errorf("the cached statement after SET TIME ZONE 'Asia/Kolkata': %v, want 2", got)
	}
}

func TestExtendedApplicationNameAndDiscard(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range extendedModes {
		t.Run(mode, func(t *testing.T) {
			conn := connectMode(t, gw, "tenantA-key", mode)
			queryRows(t, conn, "SET application_name = 'PostgreSQL JDBC Driver'")
			if got := conn.PgConn().ParameterStatus("application_name"); got != "PostgreSQL JDBC Driver" {
				t.Errorf("ParameterStatus application_name = %q", got)
			}
			if got := queryRows(t, conn, "SHOW application_name"); !equal(got, []string{"PostgreSQL JDBC Driver"}) {
				t.Errorf("SHOW application_name = %v", got)
			}
			if got := queryRows(t, conn, "SELECT current_setting('application_name')"); !equal(got, []string{"PostgreSQL JDBC Driver"}) {
				t.Errorf("current_setting = %v", got)
			}
			// Npgsql's pool reset.
			tags, err := conn.PgConn().Exec(context.Background(), "DISCARD ALL").ReadAll()
			if err != nil || tags[0].CommandTag.String() != "DISCARD ALL" {
				t.Fatalf("DISCARD ALL: %v %v", tags, err)
			}
			if got := conn.PgConn().ParameterStatus("application_name"); got != "" {
				t.Errorf("after DISCARD ALL: ParameterStatus application_name = %q", got)
			}
			// DISCARD ALL dropped pgx's cached statements; pgx forgets one that fails and
			// prepares it again.
			if mode == "cache_statement" {
				queryRowsAllowingOneError(t, conn, "SHOW application_name")
			}
			if got := queryRows(t, conn, "SHOW application_name"); !equal(got, []string{""}) {
				t.Errorf("after DISCARD ALL: SHOW application_name = %v", got)
			}
		})
	}
}

func queryRowsAllowingOneError(t *testing.T, conn *pgx.Conn, sql string) {
	rows, err := conn.Query(context.Background(), sql)
	if err == nil {
		rows.Close()
		err = rows.Err()
	}
	var pe *pgconn.PgError
	if err != nil && (!errors.As(err, &pe) || pe.Code != "26000") {
		t.Fatalf("%s: %v", sql, err)
	}
}

// A CancelRequest stops a long query run through the extended protocol with 57014; the
// connection goes on.
func TestExtendedCancel(t *testing.T) {
	t.Parallel()
	gw := startBigGateway(t, time.Minute)
	for _, mode := range []string{"cache_statement", "exec"} {
		t.Run(mode, func(t *testing.T) {
			conn := connectMode(t, gw, "tenantA-key", mode)
			done := make(chan error, 1)
			go func() {
				var n int64
				done <- conn.QueryRow(context.Background(), "SELECT count(*) FROM big a, big b WHERE a.id + b.id = $1", -1).Scan(&n)
			}()
			// The query is running once the statement is prepared and the engine has begun;
			// cancel until it stops (a cancel that lands between messages does nothing).
			start := time.Now()
			var err error
		wait:
			for {
				select {
				case err = <-done:
					break wait
				case <-time.After(300 * time.Millisecond):
					if cerr := conn.PgConn().CancelRequest(context.Background()); cerr != nil {
						t.Fatal(cerr)
					}
				}
				if time.Since(start) > 30*time.Second {
					t.Fatal("the query was not cancelled")
				}
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "57014" {
				t.Fatalf("got %v, want 57014", err)
			}
			if got := queryRows(t, conn, "SELECT n FROM big WHERE id < $1", 10); !equal(got, []string{"10"}) {
				t.Errorf("after the cancel: %v", got)
			}
		})
	}
}
