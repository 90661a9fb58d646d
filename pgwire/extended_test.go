package pgwire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/sqlerr"
)

// batch sends msgs and returns everything up to and including ReadyForQuery.
func (c *rawClient) batch(msgs ...pgproto3.FrontendMessage) []pgproto3.BackendMessage {
	c.t.Helper()
	c.send(msgs...)
	return until[*pgproto3.ReadyForQuery](c)
}

// query runs a simple Query and returns its answer up to ReadyForQuery.
func (c *rawClient) query(sql string) []pgproto3.BackendMessage {
	c.t.Helper()
	return c.batch(&pgproto3.Query{String: sql})
}

func lastStatus(msgs []pgproto3.BackendMessage) byte {
	return msgs[len(msgs)-1].(*pgproto3.ReadyForQuery).TxStatus
}

func find[T pgproto3.BackendMessage](msgs []pgproto3.BackendMessage) []T {
	var out []T
	for _, m := range msgs {
		if v, ok := m.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func codes(msgs []pgproto3.BackendMessage) []string {
	var out []string
	for _, e := range find[*pgproto3.ErrorResponse](msgs) {
		out = append(out, e.Code)
	}
	for _, n := range find[*pgproto3.NoticeResponse](msgs) {
		out = append(out, n.Severity+":"+n.Code)
	}
	return out
}

func tags(msgs []pgproto3.BackendMessage) []string {
	var out []string
	for _, cc := range find[*pgproto3.CommandComplete](msgs) {
		out = append(out, string(cc.CommandTag))
	}
	return out
}

func TestExtendedPipeline(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()

	got := c.batch(
		&pgproto3.Parse{Name: "s1", Query: "select rows 3"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
		&pgproto3.Bind{PreparedStatement: "s1", ResultFormatCodes: []int16{1, 0}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Parse{Query: "select 2"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Close{ObjectType: 'S', Name: "nosuch"},
		&pgproto3.Sync{},
	)
	want := "ParseComplete ParameterDescription RowDescription BindComplete RowDescription DataRow DataRow DataRow CommandComplete " +
		"ParseComplete BindComplete DataRow CommandComplete CloseComplete CloseComplete ReadyForQuery"
	if types(got) != want {
		t.Fatalf("got  %s\nwant %s", types(got), want)
	}
	rds := find[*pgproto3.RowDescription](got)
	if rds[0].Fields[0].Format != 0 || rds[1].Fields[0].Format != 1 || rds[1].Fields[1].Format != 0 {
		t.Errorf("statement describes text, portal the bound formats: %+v / %+v", rds[0].Fields, rds[1].Fields)
	}
	rows := find[*pgproto3.DataRow](got)
	if id := rows[2].Values[0]; !bytes.Equal(id, []byte{0, 0, 0, 0, 0, 0, 0, 2}) || string(rows[2].Values[1]) != "row-2" {
		t.Errorf("binary id, text label: %q", rows[2].Values)
	}
	if !slices.Equal(tags(got), []string{"SELECT 3", "SELECT 1"}) {
		t.Errorf("tags %q", tags(got))
	}
	// Describe ran nothing.
	if n := ts.exec.runsOf("rows:3"); n != 1 {
		t.Errorf("the query ran %d times", n)
	}

	// The named statement outlives the batch; the unnamed portal does not.
	got = c.batch(&pgproto3.Bind{PreparedStatement: "s1", DestinationPortal: "p"}, &pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	if !slices.Equal(tags(got), []string{"SELECT 3"}) {
		t.Errorf("re-bound statement: %s", types(got))
	}
	got = c.batch(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	if !slices.Equal(codes(got), []string{sqlerr.InvalidCursorName}) {
		t.Errorf("portal after Sync: %s %v", types(got), codes(got))
	}
}

func TestExtendedErrors(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.batch(&pgproto3.Parse{Name: "s", Query: "select 1"}, &pgproto3.Sync{})

	for _, tc := range []struct {
		name string
		msgs []pgproto3.FrontendMessage
		code string
	}{
		{"duplicate statement", []pgproto3.FrontendMessage{&pgproto3.Parse{Name: "s", Query: "select 2"}}, sqlerr.DuplicatePreparedStatement},
		{"two statements", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select 1; select 2"}}, sqlerr.SyntaxError},
		{"syntax", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select syntax!"}}, sqlerr.SyntaxError},
		{"no such statement", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "x"}}, sqlerr.InvalidSQLStatementName},
		{"describe no such statement", []pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'S', Name: "x"}}, sqlerr.InvalidSQLStatementName},
		{"no such portal", []pgproto3.FrontendMessage{&pgproto3.Execute{Portal: "x"}}, sqlerr.InvalidCursorName},
		{"too many parameters", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("1")}}}, sqlerr.ProtocolViolation},
		{"result formats", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "s", ResultFormatCodes: []int16{0, 1}}}, sqlerr.ProtocolViolation},
		{"unknown format", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "s", ResultFormatCodes: []int16{2}}}, sqlerr.InvalidParameterValue},
		{"duplicate portal", []pgproto3.FrontendMessage{
			&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"}, &pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"}}, sqlerr.DuplicateCursor},
	} {
		msgs := append(tc.msgs, &pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
		got := c.batch(msgs...)
		if !slices.Equal(codes(got), []string{tc.code}) || len(find[*pgproto3.DataRow](got)) != 0 {
			t.Errorf("%s: got %s %v, want one %s and nothing run after it", tc.name, types(got), codes(got), tc.code)
		}
	}
	// The failed Parse of the unnamed statement removed it; the named one is intact.
	got := c.batch(&pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if types(got) != "BindComplete DataRow CommandComplete ReadyForQuery" {
		t.Errorf("after the errors: %s", types(got))
	}
	// Describe of a statement the client does not know the kind of: NoData for SET.
	got = c.batch(&pgproto3.Parse{Query: "set application_name = 'x'"}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
	if types(got) != "ParseComplete ParameterDescription NoData ReadyForQuery" {
		t.Errorf("describe SET: %s", types(got))
	}
}

// Execute with a row limit suspends the portal; the next Execute carries on with the same
// execution.
func TestExecuteMaxRows(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Parse{Query: "select rows 7"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Flush{})
	got := until[*pgproto3.PortalSuspended](c)
	if types(got) != "ParseComplete BindComplete DataRow DataRow DataRow PortalSuspended" {
		t.Fatalf("first page: %s", types(got))
	}
	var ids []int64
	collect := func(msgs []pgproto3.BackendMessage) {
		for _, r := range find[*pgproto3.DataRow](msgs) {
			ids = append(ids, int64(binary.BigEndian.Uint64(r.Values[0])))
		}
	}
	collect(got)
	c.send(&pgproto3.Execute{MaxRows: 3}, &pgproto3.Flush{})
	got = until[*pgproto3.PortalSuspended](c)
	collect(got)
	got = c.batch(&pgproto3.Execute{MaxRows: 3}, &pgproto3.Execute{}, &pgproto3.Sync{})
	collect(got)
	if types(got) != "DataRow CommandComplete CommandComplete ReadyForQuery" || !slices.Equal(tags(got), []string{"SELECT 1", "SELECT 0"}) {
		t.Errorf("last page: %s %q", types(got), tags(got))
	}
	if !slices.Equal(ids, []int64{0, 1, 2, 3, 4, 5, 6}) {
		t.Errorf("rows %v", ids)
	}
	if n := ts.exec.runsOf("rows:7"); n != 1 {
		t.Errorf("the query ran %d times, want once", n)
	}

	// A page that ends exactly at the last row still suspends, as in PostgreSQL.
	got = c.batch(&pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 7}, &pgproto3.Execute{MaxRows: 7}, &pgproto3.Sync{})
	if types(got) != "BindComplete DataRow DataRow DataRow DataRow DataRow DataRow DataRow PortalSuspended CommandComplete ReadyForQuery" {
		t.Errorf("exact page: %s", types(got))
	}

	// Closing a suspended portal, and ending its transaction, stop its execution.
	c.batch(&pgproto3.Bind{DestinationPortal: "a"}, &pgproto3.Execute{Portal: "a", MaxRows: 1},
		&pgproto3.Close{ObjectType: 'P', Name: "a"}, &pgproto3.Bind{DestinationPortal: "b"}, &pgproto3.Execute{Portal: "b", MaxRows: 1}, &pgproto3.Sync{})
	assertUsableRaw(t, c)
}

// A local result (SHOW) pages too, and comes in binary when asked.
func TestExecuteMaxRowsLocal(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	got := c.batch(&pgproto3.Parse{Query: "show DateStyle"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{})
	if types(got) != "ParseComplete BindComplete RowDescription DataRow PortalSuspended CommandComplete ReadyForQuery" {
		t.Fatalf("got %s", types(got))
	}
	if v := find[*pgproto3.DataRow](got)[0].Values[0]; string(v) != "ISO, MDY" {
		t.Errorf("value %q", v)
	}
	if !slices.Equal(tags(got), []string{"SHOW"}) {
		t.Errorf("tags %q", tags(got))
	}
}

func assertUsableRaw(t *testing.T, c *rawClient) {
	t.Helper()
	got := c.query("select 2")
	if types(got) != "RowDescription DataRow CommandComplete ReadyForQuery" || lastStatus(got) != 'I' {
		t.Fatalf("connection not usable: %s", types(got))
	}
}

// Parameters are decoded by the statement's parameter types, from text or binary, and the
// results come back in the formats asked for.
func TestBindParameters(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	oids := []uint32{20, 23, 701, 1700, 16, 25, 1082, 1114, 1184, 17, 1186, 0}
	m := pgtype.NewMap()
	day := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)
	goVals := []any{int64(-42), int32(7), 2.5, pgtype.Numeric{}, true, "Delhi", day, at, at, []byte{0xde, 0xad}, pgtype.Interval{Days: 1, Microseconds: 3600e6, Valid: true}, "free"}
	var num pgtype.Numeric
	if err := num.Scan("1.25"); err != nil {
		t.Fatal(err)
	}
	goVals[3] = num
	want := []any{int64(-42), int64(7), 2.5, "1.25", true, "Delhi", day, at, at, []byte{0xde, 0xad}, "0 months 1 days 3600000000 microseconds", "free"}
	c.batch(&pgproto3.Parse{Name: "echo", Query: "select echo", ParameterOIDs: oids}, &pgproto3.Sync{})
	for _, format := range []int16{0, 1} {
		var params [][]byte
		for i, v := range goVals {
			oid := oids[i]
			if oid == 0 {
				oid = 25
			}
			b, err := m.Encode(oid, format, v, nil)
			if err != nil {
				t.Fatalf("encode %v: %v", v, err)
			}
			params = append(params, b)
		}
		got := c.batch(&pgproto3.Bind{PreparedStatement: "echo", ParameterFormatCodes: []int16{format}, Parameters: params, ResultFormatCodes: []int16{format}},
			&pgproto3.Execute{}, &pgproto3.Sync{})
		if types(got) != "BindComplete DataRow CommandComplete ReadyForQuery" {
			t.Fatalf("format %d: %s %v", format, types(got), got)
		}
		args := ts.exec.args()
		for i := range want {
			if tm, ok := want[i].(time.Time); ok {
				if g, ok := args[i].(time.Time); !ok || !g.Equal(tm) {
					t.Errorf("format %d: $%d = %#v, want %v", format, i+1, args[i], tm)
				}
				continue
			}
			if b, ok := want[i].([]byte); ok {
				if g, ok := args[i].([]byte); !ok || !bytes.Equal(g, b) {
					t.Errorf("format %d: $%d = %#v, want %v", format, i+1, args[i], b)
				}
				continue
			}
			if args[i] != want[i] {
				t.Errorf("format %d: $%d = %#v, want %#v", format, i+1, args[i], want[i])
			}
		}
		// The echoed row decodes, in the format asked for, to what was sent.
		row := find[*pgproto3.DataRow](got)[0]
		for i, v := range row.Values {
			oid := oids[i]
			if oid == 0 {
				oid = 25
			}
			typ, _ := m.TypeForOID(oid)
			if _, err := typ.Codec.DecodeValue(m, oid, format, v); err != nil {
				t.Errorf("format %d: column %d (%q) does not decode: %v", format, i+1, v, err)
			}
		}
	}

	// Per-parameter format codes, NULLs, and bad values.
	c.batch(&pgproto3.Parse{Name: "two", Query: "select echo", ParameterOIDs: []uint32{23, 1082}}, &pgproto3.Sync{})
	got := c.batch(&pgproto3.Bind{PreparedStatement: "two", ParameterFormatCodes: []int16{1, 0},
		Parameters: [][]byte{{0, 0, 0, 9}, nil}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if args := ts.exec.args(); len(codes(got)) != 0 || args[0] != int64(9) || args[1] != nil {
		t.Errorf("mixed formats: %v %#v", codes(got), args)
	}
	for _, tc := range []struct {
		formats []int16
		params  [][]byte
		code    string
	}{
		{nil, [][]byte{[]byte("nine"), nil}, sqlerr.InvalidTextRepresentation},
		{[]int16{1}, [][]byte{{0, 9}, nil}, sqlerr.InvalidBinaryRepresentation},
		{[]int16{0, 0, 0}, [][]byte{[]byte("9"), nil}, sqlerr.ProtocolViolation},
		{[]int16{3}, [][]byte{[]byte("9"), nil}, sqlerr.InvalidParameterValue},
		{nil, [][]byte{[]byte("9"), []byte("infinity")}, sqlerr.FeatureNotSupported},
		{nil, [][]byte{[]byte("9")}, sqlerr.ProtocolViolation},
	} {
		got := c.batch(&pgproto3.Bind{PreparedStatement: "two", ParameterFormatCodes: tc.formats, Parameters: tc.params}, &pgproto3.Execute{}, &pgproto3.Sync{})
		if !slices.Equal(codes(got), []string{tc.code}) {
			t.Errorf("%v %q: got %v, want %s", tc.formats, tc.params, codes(got), tc.code)
		}
	}
	c.batch(&pgproto3.Parse{Name: "txt", Query: "select echo", ParameterOIDs: []uint32{25}}, &pgproto3.Sync{})
	got = c.batch(&pgproto3.Bind{PreparedStatement: "txt", Parameters: [][]byte{{0xff, 0xfe}}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if !slices.Equal(codes(got), []string{sqlerr.CharacterNotInRepertoire}) {
		t.Errorf("invalid UTF-8: %v", codes(got))
	}
}

// Binary results of every type the gateway sends, through pgx's default (extended, binary)
// mode, scanned into typed values.
func TestBinaryResultsWithPgx(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := pgx.Connect(testCtx(t), strings.TrimSuffix(ts.connString(goodKey), "&default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(testCtx(t))
	var (
		i2     int16
		i4     int32
		i8     int64
		f4     float32
		f8     float64
		num    pgtype.Numeric
		b      bool
		txt, v string
		d, ts_ time.Time
		tstz   time.Time
		by     []byte
		iv     pgtype.Interval
	)
	rows, err := conn.Query(testCtx(t), "select many")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range rows.FieldDescriptions() {
		// pgx reads text types in text, everything else in binary.
		if want := int16(1); fd.Format != want && fd.DataTypeOID != 25 && fd.DataTypeOID != 1043 {
			t.Errorf("column %s in format %d, want binary", fd.Name, fd.Format)
		}
	}
	rows.Close()
	err = conn.QueryRow(testCtx(t), "select many").Scan(&i2, &i4, &i8, &f4, &f8, &num, &b, &txt, &v, &d, &ts_, &tstz, &by, &iv)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := num.Value()
	if i2 != 1 || i4 != 2 || i8 != 3 || f4 != 1.5 || f8 != 2.5 || n != "1.25" || !b || txt != "x" || v != "v" ||
		!d.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) || !ts_.Equal(time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)) ||
		!tstz.Equal(time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)) || !bytes.Equal(by, []byte{0xde, 0xad}) ||
		iv.Days != 1 || iv.Microseconds != 3600e6 {
		t.Errorf("got %v %v %v %v %v %v %v %q %q %v %v %v %x %+v", i2, i4, i8, f4, f8, n, b, txt, v, d, ts_, tstz, by, iv)
	}
}

func TestTransactionStates(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()

	steps := []struct {
		sql    string
		status byte
		tags   []string
		codes  []string
	}{
		{"begin", 'T', []string{"BEGIN"}, nil},
		{"begin", 'T', []string{"BEGIN"}, []string{"WARNING:" + sqlerr.ActiveSQLTransaction}},
		{"select 1", 'T', []string{"SELECT 1"}, nil},
		{"missing", 'E', nil, []string{sqlerr.UndefinedTable}},
		{"select 1", 'E', nil, []string{sqlerr.InFailedSQLTransaction}},
		{"show DateStyle", 'E', nil, []string{sqlerr.InFailedSQLTransaction}},
		{"select syntax!", 'E', nil, []string{sqlerr.SyntaxError}},
		{"commit", 'I', []string{"ROLLBACK"}, nil},
		{"commit", 'I', []string{"COMMIT"}, []string{"WARNING:" + sqlerr.NoActiveSQLTransaction}},
		{"rollback", 'I', []string{"ROLLBACK"}, []string{"WARNING:" + sqlerr.NoActiveSQLTransaction}},
		{"savepoint a", 'I', nil, []string{sqlerr.NoActiveSQLTransaction}},
		{"begin; savepoint a; missing", 'E', []string{"BEGIN", "SAVEPOINT"}, []string{sqlerr.UndefinedTable}},
		{"release a", 'E', nil, []string{sqlerr.InFailedSQLTransaction}},
		{"rollback to b", 'E', nil, []string{sqlerr.InvalidSavepointSpecification}},
		{"rollback to a", 'T', []string{"ROLLBACK"}, nil},
		{"savepoint b; select 1; release b; rollback to b", 'E', []string{"SAVEPOINT", "SELECT 1", "RELEASE"}, []string{sqlerr.InvalidSavepointSpecification}},
		{"rollback to a; rollback to a", 'T', []string{"ROLLBACK", "ROLLBACK"}, nil},
		{"rollback", 'I', []string{"ROLLBACK"}, nil},
		// An implicit transaction of several statements ends at an error; nothing stays open.
		{"select 1; missing; select 2", 'I', []string{"SELECT 1"}, []string{sqlerr.UndefinedTable}},
		// BEGIN inside it makes it explicit.
		{"select 1; begin; select 2", 'T', []string{"SELECT 1", "BEGIN", "SELECT 1"}, nil},
		{"commit; select 1", 'I', []string{"COMMIT", "SELECT 1"}, nil},
	}
	for _, s := range steps {
		got := c.query(s.sql)
		if lastStatus(got) != s.status || !slices.Equal(tags(got), s.tags) || !slices.Equal(codes(got), s.codes) {
			t.Errorf("%s: status %c tags %q codes %v, want %c %q %v", s.sql, lastStatus(got), tags(got), codes(got), s.status, s.tags, s.codes)
		}
	}
}

// Failed transactions in the extended protocol: every message but the end is refused, Sync
// says E, and ROLLBACK through the extended protocol ends it.
func TestTransactionStatesExtended(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	run := func(sql string) []pgproto3.BackendMessage {
		return c.batch(&pgproto3.Parse{Query: sql}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	}
	if got := run("begin"); lastStatus(got) != 'T' {
		t.Fatalf("BEGIN: %s", types(got))
	}
	c.batch(&pgproto3.Parse{Name: "one", Query: "select 1"}, &pgproto3.Bind{PreparedStatement: "one", DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Sync{})
	if got := run("missing"); lastStatus(got) != 'E' || !slices.Equal(codes(got), []string{sqlerr.UndefinedTable}) {
		t.Fatalf("error in the block: %s %v", types(got), codes(got))
	}
	for _, msgs := range [][]pgproto3.FrontendMessage{
		{&pgproto3.Parse{Query: "select 1"}},
		{&pgproto3.Bind{PreparedStatement: "one"}},
		{&pgproto3.Describe{ObjectType: 'S', Name: "one"}},
	} {
		got := c.batch(append(msgs, &pgproto3.Sync{})...)
		if lastStatus(got) != 'E' || !slices.Equal(codes(got), []string{sqlerr.InFailedSQLTransaction}) {
			t.Errorf("%T in a failed block: %s %v", msgs[0], types(got), codes(got))
		}
	}
	if got := run("rollback"); lastStatus(got) != 'I' || !slices.Equal(tags(got), []string{"ROLLBACK"}) {
		t.Fatalf("ROLLBACK: %s %q", types(got), tags(got))
	}
	// The portal of the failed block is gone; the statement is not.
	got := c.batch(&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	if !slices.Equal(codes(got), []string{sqlerr.InvalidCursorName}) {
		t.Errorf("portal after the block: %v", codes(got))
	}
	got = c.batch(&pgproto3.Bind{PreparedStatement: "one"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if !slices.Equal(tags(got), []string{"SELECT 1"}) {
		t.Errorf("statement after the block: %s", types(got))
	}
	// A portal in an explicit block outlives Sync.
	run("begin")
	c.batch(&pgproto3.Bind{PreparedStatement: "one", DestinationPortal: "q"}, &pgproto3.Sync{})
	if got := c.batch(&pgproto3.Execute{Portal: "q"}, &pgproto3.Sync{}); !slices.Equal(tags(got), []string{"SELECT 1"}) || lastStatus(got) != 'T' {
		t.Errorf("portal across Sync in a block: %s", types(got))
	}
	run("commit")
}

func parameterStatus(msgs []pgproto3.BackendMessage) map[string]string {
	out := map[string]string{}
	for _, ps := range find[*pgproto3.ParameterStatus](msgs) {
		out[ps.Name] = ps.Value
	}
	return out
}

// ParameterStatus follows SET like PostgreSQL 14+: sent before ReadyForQuery for each reported
// parameter whose value changed, and only then.
func TestParameterStatusAfterSet(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	steps := []struct {
		sql  string
		want map[string]string
	}{
		{"set application_name = 'dash'", map[string]string{"application_name": "dash"}},
		{"set application_name = 'dash'", map[string]string{}},
		{"set application_name = 'a'; set application_name = 'b'", map[string]string{"application_name": "b"}},
		{"set time zone 'Europe/Berlin'", map[string]string{"TimeZone": "Europe/Berlin"}},
		{"show TimeZone", map[string]string{}},
		{"set extra_float_digits = 3", map[string]string{}},
		{"begin; set application_name = 'tx'; rollback", map[string]string{}},
		{"begin", map[string]string{}},
		{"set application_name = 'tx'", map[string]string{"application_name": "tx"}},
		{"rollback", map[string]string{"application_name": "b"}},
		{"begin; set local TimeZone = 'UTC'", map[string]string{"TimeZone": "UTC"}},
		{"commit", map[string]string{"TimeZone": "Europe/Berlin"}},
		{"set application_name = 'x'; missing", map[string]string{}},
		{"reset all", map[string]string{"application_name": "", "TimeZone": "UTC"}},
		{"set session_authorization = 'alice'", map[string]string{}},
	}
	for _, s := range steps {
		got := c.query(s.sql)
		if ps := parameterStatus(got); len(ps) != len(s.want) || !mapsEqual(ps, s.want) {
			t.Errorf("%s: ParameterStatus %v, want %v (%s)", s.sql, ps, s.want, types(got))
		}
		if pss := find[*pgproto3.ParameterStatus](got); len(pss) > 0 {
			if _, ok := got[len(got)-2].(*pgproto3.ParameterStatus); !ok {
				t.Errorf("%s: ParameterStatus is not right before ReadyForQuery: %s", s.sql, types(got))
			}
		}
	}
	got := c.query("set session_authorization = 'mallory'")
	if !slices.Equal(codes(got), []string{sqlerr.InsufficientPrivilege}) {
		t.Errorf("becoming another user: %v", codes(got))
	}
	got = c.query("set local application_name = 'y'")
	if !slices.Equal(codes(got), []string{"WARNING:" + sqlerr.NoActiveSQLTransaction}) || len(parameterStatus(got)) != 0 {
		t.Errorf("SET LOCAL outside a block: %v %v", codes(got), parameterStatus(got))
	}
}

func mapsEqual(a, b map[string]string) bool {
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return len(a) == len(b)
}

// SET through the extended protocol, as pgjdbc sends everything, reports at Sync; a batch that
// fails rolls its SETs back.
func TestSetExtended(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	got := c.batch(&pgproto3.Parse{Query: "set application_name = 'jdbc'"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{}, &pgproto3.Sync{})
	if types(got) != "ParseComplete BindComplete NoData CommandComplete ParameterStatus ReadyForQuery" ||
		parameterStatus(got)["application_name"] != "jdbc" {
		t.Errorf("SET: %s %v %v", types(got), codes(got), parameterStatus(got))
	}
	// Its portal runs once, as in PostgreSQL; the error rolls the batch back.
	got = c.batch(&pgproto3.Parse{Query: "set application_name = 'twice'"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if !slices.Equal(codes(got), []string{sqlerr.ObjectNotInPrerequisiteState}) || len(parameterStatus(got)) != 0 {
		t.Errorf("SET portal run twice: %s %v %v", types(got), codes(got), parameterStatus(got))
	}
	got = c.batch(&pgproto3.Parse{Query: "set application_name = 'lost'"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "missing"}, &pgproto3.Sync{})
	if len(parameterStatus(got)) != 0 {
		t.Errorf("a failed batch reported %v", parameterStatus(got))
	}
	got = c.batch(&pgproto3.Parse{Query: "show application_name"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if rows := find[*pgproto3.DataRow](got); len(rows) != 1 || string(rows[0].Values[0]) != "jdbc" {
		t.Errorf("SHOW after the failed batch: %s", types(got))
	}
}

func TestSavepointsRestoreSettings(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.query("begin; set application_name = 'one'; savepoint s; set application_name = 'two'")
	got := c.query("rollback to s")
	if parameterStatus(got)["application_name"] != "one" {
		t.Errorf("ROLLBACK TO: %v", parameterStatus(got))
	}
	got = c.query("commit")
	if len(parameterStatus(got)) != 0 {
		t.Errorf("COMMIT: %v", parameterStatus(got))
	}
	show := func() string {
		rows := find[*pgproto3.DataRow](c.query("show application_name"))
		return string(rows[0].Values[0])
	}
	if v := show(); v != "one" {
		t.Errorf("after COMMIT: %q", v)
	}
}

func TestDiscardAndDeallocate(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.batch(&pgproto3.Parse{Name: "a", Query: "select 1"}, &pgproto3.Parse{Name: "b", Query: "select 2"}, &pgproto3.Sync{})
	if got := c.query("deallocate a"); !slices.Equal(tags(got), []string{"DEALLOCATE"}) {
		t.Errorf("DEALLOCATE: %s %v", types(got), codes(got))
	}
	if got := c.query("deallocate a"); !slices.Equal(codes(got), []string{sqlerr.InvalidSQLStatementName}) {
		t.Errorf("DEALLOCATE twice: %v", codes(got))
	}
	c.query("set application_name = 'pooled'")
	if got := c.query("begin; discard all"); !slices.Equal(codes(got), []string{sqlerr.ActiveSQLTransaction}) {
		t.Errorf("DISCARD ALL in a block: %v", codes(got))
	}
	c.query("rollback")
	got := c.query("discard all")
	if !slices.Equal(tags(got), []string{"DISCARD ALL"}) || parameterStatus(got)["application_name"] != "" {
		t.Errorf("DISCARD ALL: %q %v", tags(got), parameterStatus(got))
	}
	got = c.batch(&pgproto3.Bind{PreparedStatement: "b"}, &pgproto3.Sync{})
	if !slices.Equal(codes(got), []string{sqlerr.InvalidSQLStatementName}) {
		t.Errorf("statement after DISCARD ALL: %v", codes(got))
	}
}

// Startup parameters are the session's values and what RESET returns to.
func TestStartupSettingsAreResetValues(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "application_name": "bi", "TimeZone": "Asia/Kolkata", "extra_float_digits": "9"}})
	c.receive()
	c.send(&pgproto3.PasswordMessage{Password: goodKey})
	got := until[*pgproto3.ReadyForQuery](c)
	if ps := parameterStatus(got); ps["application_name"] != "bi" || ps["TimeZone"] != "Asia/Kolkata" || ps["session_authorization"] != "alice" {
		t.Errorf("startup reports %v", ps)
	}
	show := func(name string) string {
		rows := find[*pgproto3.DataRow](c.query("show " + name))
		if len(rows) != 1 {
			t.Fatalf("show %s", name)
		}
		return string(rows[0].Values[0])
	}
	if v := show("application_name"); v != "bi" {
		t.Errorf("application_name %q", v)
	}
	if v := show("extra_float_digits"); v != "1" {
		t.Errorf("an invalid startup value was kept: extra_float_digits %q", v)
	}
	c.query("set application_name = 'x'; set time zone 'UTC'")
	got = c.query("reset application_name; reset TimeZone")
	if ps := parameterStatus(got); ps["application_name"] != "bi" || ps["TimeZone"] != "Asia/Kolkata" {
		t.Errorf("RESET reports %v", ps)
	}
}

// A CancelRequest stops an extended-protocol Execute, with or without a row limit.
func TestCancelExtendedExecute(t *testing.T) {
	ts := startServer(t, nil)
	for _, maxRows := range []uint32{0, 1} {
		c := ts.dial(t)
		c.login()
		c.send(&pgproto3.Parse{Query: "slow"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: maxRows}, &pgproto3.Sync{})
		<-ts.exec.started
		canceller := ts.dial(t)
		canceller.send(&pgproto3.CancelRequest{ProcessID: c.key.ProcessID, SecretKey: c.key.SecretKey})
		canceller.expectClosed()
		got := until[*pgproto3.ReadyForQuery](c)
		if !slices.Equal(codes(got), []string{sqlerr.QueryCanceled}) {
			t.Errorf("max rows %d: %s %v", maxRows, types(got), codes(got))
		}
		if err := <-ts.exec.stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("max rows %d: the executor saw %v", maxRows, err)
		}
		assertUsableRaw(t, c)
	}
}

// A connection that goes away with a suspended portal stops its execution.
func TestSuspendedPortalEndsWithConnection(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "begin"})
	until[*pgproto3.ReadyForQuery](c)
	c.send(&pgproto3.Parse{Query: "select rows 100000"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{})
	until[*pgproto3.ReadyForQuery](c)
	c.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ts.srv.mu.Lock()
		n := len(ts.srv.conns)
		ts.srv.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the connection did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A large result streams through the extended protocol with binary columns, and pages through a
// cursor without losing or repeating rows.
func TestLargeResultExtended(t *testing.T) {
	ts := startServer(t, nil)
	conn, err := pgx.Connect(testCtx(t), strings.TrimSuffix(ts.connString(goodKey), "&default_query_exec_mode=simple_protocol"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(testCtx(t))
	const n = 50_000
	rows, err := conn.Query(testCtx(t), "select rows 50000")
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
		if id != i || (label == nil) != (i%7 == 0) {
			t.Fatalf("row %d: id %d label %v", i, id, label)
		}
		i++
	}
	if err := rows.Err(); err != nil || i != n {
		t.Fatalf("read %d rows: %v", i, err)
	}

	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Parse{Query: "select rows 50000"}, &pgproto3.Bind{ResultFormatCodes: []int16{1, 0}})
	var ids []int64
	for {
		c.send(&pgproto3.Execute{MaxRows: 999}, &pgproto3.Flush{})
		done := false
		for !done {
			switch m := c.receive().(type) {
			case *pgproto3.DataRow:
				ids = append(ids, int64(binary.BigEndian.Uint64(m.Values[0])))
			case *pgproto3.PortalSuspended:
				done = true
			case *pgproto3.CommandComplete:
				if string(m.CommandTag) != "SELECT 50" {
					t.Errorf("last page tag %q", m.CommandTag)
				}
				c.batch(&pgproto3.Sync{})
				if len(ids) != n {
					t.Fatalf("paged %d rows", len(ids))
				}
				for k, id := range ids {
					if id != int64(k) {
						t.Fatalf("row %d has id %d", k, id)
					}
				}
				return
			case *pgproto3.BindComplete, *pgproto3.ParseComplete:
			default:
				t.Fatalf("unexpected %T", m)
			}
		}
	}
}
