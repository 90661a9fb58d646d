package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/internal/testkit"
)

// zones the time-zone comparison runs in: whole, half and three-quarter hour offsets, zones
// with DST on either hemisphere (Lord Howe's shift is 30 minutes), and a POSIX offset as
// `SET TIME ZONE -5` writes it.
var zones = []string{"UTC", "Asia/Kolkata", "America/New_York", "Europe/Berlin", "America/St_Johns",
	"Australia/Lord_Howe", "Pacific/Chatham", "-5"}

// A timestamp (wall-clock) dimension is left out: the catalog defines it as wall-clock time in
// the dataset's defaultTimezone, shown converted to the session's (docs/catalog.md), which
// PostgreSQL's own timestamp columns are not; TestTimeGrainsFollowTimeZones covers it.
//
// Timestamps with time zone print in the session's TimeZone, grains and dates of instants are
// the session zone's, date_trunc of a date is an instant, and timestamp parameters read as
// PostgreSQL reads them — each compared with the machine's PostgreSQL in the same zone, byte
// for byte in text and binary, over instants on both sides of DST changes.
func TestTimeZonesMatchPostgres(t *testing.T) {
	t.Parallel()
	w := startItemsWorld(t)
	statements := []string{
		"SELECT happened, total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT date_trunc('day', happened), total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT date_trunc('hour', happened), total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT date_trunc('month', d), total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT date_trunc('week', d) AS w, total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT CAST(happened AS date), total FROM items GROUP BY 1 ORDER BY 1",
		"SELECT array_agg(happened ORDER BY happened) FROM items",
		"SELECT date_trunc('minute', happened), date_trunc('second', happened), total FROM items GROUP BY 1, 2 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened >= TIMESTAMPTZ '2025-03-30 01:00:00+00' GROUP BY 1 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened >= '2025-03-30 02:00:00' AND happened < '2025-11-02 01:30:00' GROUP BY 1 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened BETWEEN '2025-03-09 01:00' AND '2025-12-31 23:59:59+05:30' GROUP BY 1 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened IN ('2025-03-09 01:59:59', '2025-11-02 01:00:00') GROUP BY 1 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened >= DATE '2025-03-30' AND TIMESTAMP '2025-11-02 01:30:00' > happened GROUP BY 1 ORDER BY 1",
		"SELECT happened, total FROM items WHERE happened < d GROUP BY 1 ORDER BY 1",
		`SELECT happened, total FROM items WHERE happened = ANY('{"2025-03-09 01:59:59","2025-03-09 12:29:59","2025-11-02 06:00:00+00"}') GROUP BY 1 ORDER BY 1`,
	}
	statements = append(statements, castStatements...)
	for engine, gw := range w.gateways {
		for i, zone := range zones {
			truth := pgInZone(t, zone)
			var conn *pgx.Conn
			if i%2 == 0 {
				conn = gatewayConn(t, gw, zone)
			} else {
				// The other half set the zone after connecting, as JDBC tools do.
				conn = gatewayConn(t, gw, "")
				if _, err := conn.Exec(context.Background(), "SET TIME ZONE '"+zone+"'"); err != nil {
					t.Fatalf("%s: SET TIME ZONE %s: %v", engine, zone, err)
				}
			}
			label := engine + " in " + zone
			for _, sql := range statements {
				w.compareRaw(t, label, conn, truth, sql, nil)
			}
			// pgjdbc's setTimestamp: a timestamp parameter written with an offset, which
			// PostgreSQL ignores; a timestamptz parameter without one is the session zone's.
			w.compareRaw(t, label+" setTimestamp", conn, truth, "SELECT d, total FROM items WHERE d >= $1 GROUP BY 1 ORDER BY 1", []uint32{1114}, "2025-12-02 10:11:12+00")
			w.compareRaw(t, label+" timestamp param", conn, truth, "SELECT happened, total FROM items WHERE happened >= $1 GROUP BY 1 ORDER BY 1", []uint32{1114}, "2025-03-30 02:00:00+00")
			w.compareRaw(t, label+" timestamptz param", conn, truth, "SELECT happened, total FROM items WHERE happened >= $1 GROUP BY 1 ORDER BY 1", []uint32{1184}, "2025-03-30 02:00:00")
			checkLocalTimestamp(t, label, conn, truth)
			checkDateAdd(t, w, label, conn, truth)
			// A declared timestamp parameter cast to an instant, at both kinds of DST edge.
			for _, v := range []string{"2025-03-09 02:30:00", "2025-11-02 01:30:00", "2025-03-30 02:30:00", "2025-10-26 02:30:00"} {
				w.compareRaw(t, label+" timestamp param cast", conn, truth, "SELECT $1::timestamptz, CAST($1 AS timestamp)::timestamptz::date", []uint32{1114}, v)
			}
		}
	}
}

// pgInZone is a connection to the machine's PostgreSQL whose session TimeZone is zone.
func pgInZone(t *testing.T, zone string) *pgx.Conn {
	t.Helper()
	conn := testkit.PostgresConn(t)
	if _, err := conn.Exec(testkit.Context(t), "SET TIME ZONE '"+zone+"'"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// checkLocalTimestamp compares localtimestamp: the same wall clock as PostgreSQL's in the same
// zone, up to the moments between the two statements.
func checkLocalTimestamp(t *testing.T, label string, gw, pg *pgx.Conn) {
	t.Helper()
	read := func(conn *pgx.Conn) time.Time {
		var v time.Time
		if err := conn.QueryRow(context.Background(), "SELECT localtimestamp").Scan(&v); err != nil {
			t.Fatalf("%s: localtimestamp: %v", label, err)
		}
		return v
	}
	want := read(pg)
	got := read(gw)
	if d := got.Sub(want); d < 0 || d > 10*time.Second {
		t.Errorf("%s: localtimestamp %v, PostgreSQL's %v", label, got, want)
	}
	var gotTime, wantTime pgtype.Time
	for conn, out := range map[*pgx.Conn]*pgtype.Time{gw: &gotTime, pg: &wantTime} {
		if err := conn.QueryRow(context.Background(), "SELECT localtime").Scan(out); err != nil {
			t.Fatalf("%s: localtime: %v", label, err)
		}
	}
	const day = int64(24 * time.Hour / time.Microsecond)
	d := (gotTime.Microseconds - wantTime.Microseconds + day) % day
	if d > day/2 {
		d = day - d
	}
	if d > int64(10*time.Second/time.Microsecond) {
		t.Errorf("%s: localtime %v, PostgreSQL's %v", label, gotTime, wantTime)
	}
}

// castStatements turn wall-clock values into instants and back outside any comparison:
// explicit casts of timestamps, dates and literals, typed literals, and date + time. A wall
// clock is the session zone's, as in PostgreSQL; the literals sit on the DST changes of the
// zones above (a skipped hour and a repeated one on each hemisphere).
var castStatements = []string{
	"SELECT CAST(d AS timestamptz), total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT d::timestamp::timestamptz AS t, total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT (d + time '02:30')::timestamptz AS t, total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT happened::timestamp, happened::time, total FROM items GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT happened - d AS gap, total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT '2024-01-01 10:00'::timestamptz, CAST('2024-01-01' AS timestamptz), timestamptz '2024-06-01 10:00:00+02'",
	"SELECT timestamptz '2025-03-09 02:30', timestamptz '2025-11-02 01:30', '2025-03-30 02:30'::timestamptz, '2025-10-26 02:30'::timestamptz",
	"SELECT timestamptz '2025-04-06 02:30', timestamptz '2025-09-28 02:15', timestamptz '2025-04-06 01:45', timestamptz '2025-10-05 02:10'",
	"SELECT timestamp '2025-03-09 02:30'::timestamptz::timestamp, '2025-10-26 02:30'::timestamptz::date",
	"SELECT COALESCE(happened, d) AS c, GREATEST(happened, d::timestamp) AS g, total FROM items GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT CASE WHEN n4 > 2 THEN happened ELSE d END AS c, total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT happened + interval '1 day' AS a, happened - interval '1 month' AS b, total FROM items GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT happened + interval '3 hours' AS a, total FROM items GROUP BY 1 ORDER BY 1",
	"SELECT happened + '1 day' AS a, happened + '2 hours' AS b, happened - '2025-03-30 02:30' AS c, happened - '2025-03-30 02:30:00+02' AS e, total FROM items GROUP BY 1, 2, 3, 4 ORDER BY 1",
}

// checkDateAdd compares DATEADD of an instant with PostgreSQL's timestamptz + interval, which
// it means: months and days on the session zone's wall clock, hours on the instant.
func checkDateAdd(t *testing.T, w *itemsWorld, label string, gw, pg *pgx.Conn) {
	t.Helper()
	for unit, interval := range map[string]string{"day": "1 day", "month": "1 month", "week": "7 days", "hour": "1 hour"} {
		got, err := rawRows(gw, "SELECT DATEADD("+unit+", -3, happened) AS a FROM items GROUP BY 1 ORDER BY 1", nil, nil, 0)
		if err != nil {
			t.Fatalf("%s: DATEADD(%s): %v", label, unit, err)
		}
		want, err := rawRows(pg, w.truthSQL("SELECT happened + -3 * interval '"+interval+"' AS a FROM items GROUP BY 1 ORDER BY 1"), nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: DATEADD(%s, -3, happened):\ngot  %s\nwant %s", label, unit, got, want)
		}
	}
}
