package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
)

// Functions, casts and date parts as PostgreSQL 15 answers them: each statement runs through
// the gateway's planner on the embedded DuckDB and on a PostgreSQL source, and the rows must be
// what the machine's PostgreSQL itself returns for the same statement over the same rows (the
// dataset's columns are the table's, so the client's SQL runs there unchanged).

// fnSQL is the data: NULLs, empty strings, mixed case and punctuation, fractional and whole
// doubles, month ends and a leap day.
const fnSQL = `CREATE TABLE fn (tenant_id VARCHAR, id INTEGER, s VARCHAR, d DATE, ts TIMESTAMP, x DOUBLE, n INTEGER, g VARCHAR);
INSERT INTO fn VALUES
 ('tenantA', 1, 'hello wORLD', DATE '2019-01-31', TIMESTAMP '2019-12-31 23:59:00', 1.5, 3, 'a'),
 ('tenantA', 2, '  padded  ', DATE '2020-02-29', TIMESTAMP '2020-01-01 00:01:00', 500, 7, 'a'),
 ('tenantA', 3, '', DATE '2020-12-31', TIMESTAMP '2021-03-15 10:30:45', -2.25, 7, 'b'),
 ('tenantA', 4, NULL, NULL, NULL, NULL, NULL, 'b'),
 ('tenantA', 5, 'x-ray_42 o''neil', DATE '2021-06-15', TIMESTAMP '2021-06-14 12:00:00', 0.1, 10, 'b'),
 ('tenantB', 6, 'Other Tenant', DATE '2022-01-01', TIMESTAMP '2022-01-01 00:00:00', 99, 99, 'c');`

const fnCatalog = `datasets:
  - id: fn
    source: {engine: duckdb, reference: fn}
    fields:
      - {name: tenant_id, type: string}
      - {name: id, type: int32}
      - {name: s, type: string}
      - {name: d, type: date}
      - {name: ts, type: timestamp}
      - {name: x, type: double}
      - {name: n, type: int32}
      - {name: g, type: string}
    dimensions: [{name: id}, {name: s}, {name: d}, {name: ts}, {name: x}, {name: n}, {name: g}]
    metrics: [{name: rows_count, expression: {agg: count}}, {name: total_x, expression: {agg: sum, field: x}}]
    rls: {enabled: true, column: tenant_id, allowAdminBypass: true}
`

// pgTruth runs sql on the machine's PostgreSQL over the raw table, in the simple protocol, so
// each value is PostgreSQL's own text.
func pgTruth(t *testing.T, schema, sql string) [][]string {
	t.Helper()
	conn := testkit.PostgresConn(t)
	ctx := context.Background()
	results, err := conn.PgConn().Exec(ctx, "SET search_path TO "+schema+"; "+sql).ReadAll()
	if err != nil {
		t.Fatalf("PostgreSQL itself: %s: %v", sql, err)
	}
	var rows [][]string
	for _, r := range results[len(results)-1].Rows {
		row := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// fnSchema finds the PostgreSQL schema setupEngines loaded: the planner's plan names it.
func fnSchema(t *testing.T, e *engines, sess planner.Session) string {
	t.Helper()
	out := e.run(t, "postgres", sess, "SELECT id FROM fn")
	if out.plan == nil {
		t.Fatalf("plan: %s %s", out.code, out.message)
	}
	i := strings.Index(out.plan.SQL, "setu_test_")
	if i < 0 {
		t.Fatalf("no test schema in %s", out.plan.SQL)
	}
	end := i
	for end < len(out.plan.SQL) && (out.plan.SQL[end] == '_' || out.plan.SQL[end] >= 'a' && out.plan.SQL[end] <= 'z' || out.plan.SQL[end] >= '0' && out.plan.SQL[end] <= '9') {
		end++
	}
	return out.plan.SQL[i:end]
}

// fnCases are compared with PostgreSQL running the same statement. Each orders its rows.
// The admin sees every tenant's rows, as the raw table holds them.
var fnCases = []string{
	// Casts PostgreSQL reads in more forms than the ISO one.
	"SELECT CAST('20190101' AS date), CAST('20190101' AS timestamp), CAST(' 2019-01-02 ' AS date)",
	"SELECT id, CAST(CAST(((extract(year FROM d) * 100 + 1) * 100) + 1 AS varchar) AS date) FROM fn ORDER BY 1",
	"SELECT id, CAST(CAST(((extract(year FROM d) * 100 + 1) * 100) + 1 AS varchar) AS timestamp) FROM fn ORDER BY 1",
	// date_trunc and extract with the unit spellings PostgreSQL accepts.
	"SELECT id, date_trunc('qtr', ts), date_trunc('mon', ts), date_trunc('y', ts), date_trunc('mins', ts) FROM fn ORDER BY 1",
	"SELECT id, extract(qtr FROM d), date_part('mon', ts), date_part('hr', ts), date_part('hour', d), extract(dow FROM d) FROM fn ORDER BY 1",
	// Fractions of a second: extract's numeric scale, date_part's double; the epoch.
	"SELECT id, extract(second FROM ts + INTERVAL '0.5 second'), extract(millisecond FROM ts + INTERVAL '0.25 second'), extract(epoch FROM ts + INTERVAL '0.5 second'), extract(epoch FROM d), date_part('second', ts + INTERVAL '1.5 second'), date_part('ms', ts), date_part('epoch', ts) FROM fn ORDER BY 1",
	"SELECT id, date_trunc('century', ts), date_trunc('millennium', ts), date_trunc('c', TIMESTAMP '2000-12-31 23:00'), date_trunc('decade', ts), extract(century FROM d) FROM fn ORDER BY 1",
	// to_char: day and month names padded to nine unless FM, in the pattern's case; FM drops
	// leading zeros; Q, D, ISO fields; quoted text.
	"SELECT id, to_char(ts, 'Day|DAY|day|FMDay|Month|MONTH|month|FMMonth|Mon|MON|mon|Dy|DY|dy') FROM fn ORDER BY 1",
	"SELECT to_date('2019-05-03', 'YYYY-MM-DD'), to_timestamp('03 May 2019 09:04:05', 'DD Mon YYYY HH24:MI:SS'), to_date('20190503', 'YYYYMMDD')",
	"SELECT id, to_char(ts, 'YYYY-\"Q\"Q D id ddd iw iyyy FMIW FMDD/FMMM FMHH24 FMHH12 HH12 am PM MI:SS.MS.US YY'), to_char(d, 'FMDay, FMDD FMMonth YYYY'), to_char(d, '') FROM fn ORDER BY 1",
	// Numbers as text: a whole float prints without a fraction (FLOOR(x) is 1, not 1.0).
	"SELECT id, x || '', CAST(x AS text), floor(x) || '-', CAST(floor(x) AS varchar), ceil(x * 2) || '' FROM fn ORDER BY 1",
	"SELECT id, CAST(extract(year FROM d) || '-' || ((floor(((extract(month FROM d) - 1) / NULLIF(3, 0))) * 3) + 1) || '-01' AS date) FROM fn ORDER BY 1",
	"SELECT id, CAST(1.50 AS numeric) || '', round(x) || '|' || trunc(x) FROM fn ORDER BY 1",
	"SELECT id, (x * 1e15) || '', CAST(x * 1e15 + 0.125 AS text), CAST(-x * 2e15 AS varchar), (x * 1e16) || '', (x / 1e5) || '' FROM fn ORDER BY 1",
	// Text functions DuckDB lacks or spells otherwise.
	"SELECT id, initcap(s), btrim(s), btrim(s, ' pd'), initcap('ÉCOLE élan 3rd x') FROM fn ORDER BY 1",
	"SELECT id, s ~ 'o', s ~* 'WOR', s !~ '^h', s !~* 'X-', s ~ '' FROM fn ORDER BY 1",
	"SELECT id, s SIMILAR TO '%o%', s SIMILAR TO 'h_llo%', s NOT SIMILAR TO '(x|h)%', s SIMILAR TO 'x!-ray!_%' ESCAPE '!', s SIMILAR TO '%.%' FROM fn ORDER BY 1",
	"SELECT id, regexp_replace(s, 'o', '0'), regexp_replace(s, 'O', '0', 'gi'), regexp_replace(s, '([a-z]+) ([a-z]+)', '\\2 \\1') FROM fn ORDER BY 1",
	// regexp_match: the capture groups of the first match as text[], the whole match without
	// groups, NULL without a match; elements quoted as PostgreSQL quotes them.
	"SELECT id, regexp_match(s, 'o'), regexp_match(s, '([a-z]+) ([a-z]+)'), regexp_match(s, 'W(O)R', 'i'), regexp_match(s, 'x-(ray)_([0-9]+) (o.)'), regexp_match(s, '^$') FROM fn ORDER BY 1",
	"SELECT id, regexp_match(s, ' .*'), regexp_match(s, '(a*)(l+)(o?)'), regexp_match(s, 'P(A.)', 'ic'), regexp_match(s || '\n|', 'D.(.)'), regexp_match(s, '(?:[a-z]{2})([^ ]*)\\.?') FROM fn ORDER BY 1",
	// format with %s and %%: NULL is empty text, whole floats without a fraction.
	"SELECT id, format('%s|%s|%s%%|%s', s, x, n, d), format('[%s]', ts), format('none'), format('%s', s, g) FROM fn ORDER BY 1",
	// justify_days: 30-day runs become months, signs settled as PostgreSQL settles them.
	"SELECT id, justify_days(ts - CAST(d AS timestamp)), justify_days(CAST(n || ' days' AS interval)) FROM fn ORDER BY 1",
	"SELECT justify_days(INTERVAL '35 days'), justify_days(INTERVAL '-35 days'), justify_days(INTERVAL '1 month -35 days'), justify_days(INTERVAL '-1 month 35 days 10:00'), justify_days(INTERVAL '1 year -1 day'), justify_days(INTERVAL '29 days 30:00')",
	// Histogram buckets: doubles and integers, ascending and descending, edges, NULLs.
	"SELECT id, width_bucket(x, 0, 10, 5), width_bucket(x, -3.0, 600.0, 7), width_bucket(n, 0, 10, 5), width_bucket(n, 10, 0, 4), width_bucket(id, 1, 6, 5), width_bucket(0.6, 0, 1, 5), width_bucket(x, 1e300, -1e300, 3) FROM fn ORDER BY 1",
	// Ordered-set aggregates (MEDIAN), string_agg in an order, over groups with ties and NULLs.
	"SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY n), mode() WITHIN GROUP (ORDER BY n), percentile_cont(0.25) WITHIN GROUP (ORDER BY n DESC) FROM fn GROUP BY g ORDER BY 1",
	"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.9) WITHIN GROUP (ORDER BY d), mode() WITHIN GROUP (ORDER BY g) FROM fn",
	"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM fn WHERE id > 100",
	"SELECT g, string_agg(s, ',' ORDER BY s DESC), string_agg(s, '' ORDER BY id) FROM fn GROUP BY g ORDER BY 1",
	"SELECT statement_timestamp() = now()",
}

func TestFunctionsMatchPostgres(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL}, fnCatalog)
	sess := planner.Session{Principal: adminPrincipal, Database: "setupranali"}
	schema := fnSchema(t, e, sess)
	for _, sql := range fnCases {
		want := pgTruth(t, schema, sql)
		for _, name := range e.names {
			got := e.run(t, name, sess, sql)
			if got.code != "" {
				t.Errorf("%s on %s: %s %s", sql, name, got.code, got.message)
				continue
			}
			if !sameOrderedRows(got.rows, want) {
				t.Errorf("%s on %s:\n  got:        %v\n  PostgreSQL: %v\n  engine SQL: %s", sql, name, got.rows, want, got.plan.SQL)
			}
		}
	}
}

// fnPairs are statements over the dataset whose PostgreSQL truth is a statement over the
// table: a metric's value cast inside its aggregate, as Power BI writes every measure.
var fnPairs = []struct{ sql, truth string }{
	{`SELECT g, sum(cast(total_x AS decimal)), sum(cast(rows_count AS decimal)), sum(cast(total_x AS numeric) ) FROM fn GROUP BY g ORDER BY 1`,
		`SELECT g, CAST(sum(x) AS decimal), CAST(count(*) AS decimal), CAST(sum(x) AS numeric) FROM fn GROUP BY g ORDER BY 1`},
	{`SELECT sum(cast(total_x AS decimal)) FROM fn WHERE id IN (1, 3, 5)`,
		`SELECT CAST(sum(x) AS decimal) FROM fn WHERE id IN (1, 3, 5)`},
	// The percentile of a metric's values at a grain the query names (the refusal's hint).
	{`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t), percentile_disc(0.5) WITHIN GROUP (ORDER BY c) FROM (SELECT g, total_x AS t, rows_count AS c FROM fn GROUP BY g) s`,
		`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t), percentile_disc(0.5) WITHIN GROUP (ORDER BY c) FROM (SELECT g, sum(x) AS t, count(*) AS c FROM fn GROUP BY g) s`},
}

func TestMetricCastsMatchPostgres(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL + " INSERT INTO fn VALUES ('tenantA', 7, 'z', NULL, NULL, 0.0001, 1, 'c'), ('tenantA', 8, 'z', NULL, NULL, 12.34567, 1, 'c'), ('tenantA', 9, 'z', NULL, NULL, 0.2, 1, 'a');"}, fnCatalog)
	sess := planner.Session{Principal: adminPrincipal, Database: "setupranali"}
	schema := fnSchema(t, e, sess)
	for _, c := range fnPairs {
		want := pgTruth(t, schema, c.truth)
		for _, name := range e.names {
			got := e.run(t, name, sess, c.sql)
			if got.code != "" {
				t.Errorf("%s on %s: %s %s", c.sql, name, got.code, got.message)
				continue
			}
			if !slices.EqualFunc(got.rows, want, slices.Equal[[]string]) {
				t.Errorf("%s on %s:\n  got:        %v\n  PostgreSQL: %v\n  engine SQL: %s", c.sql, name, got.rows, want, got.plan.SQL)
			}
		}
	}
}

// sameOrderedRows compares rows in order, as text: PostgreSQL's own text is the truth, to the
// last digit and the scale.
func sameOrderedRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

// TestDateAddDateDiff checks DATEADD and DATEDIFF on both engines against values worked out by
// hand from the rows (PostgreSQL has neither function): DATEDIFF counts the unit boundaries
// crossed, DATEADD clamps month ends.
func TestDateAddDateDiff(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL}, fnCatalog)
	sess := planner.Session{Principal: tenantAPrincipal, Database: "setupranali"}
	for _, c := range []struct {
		sql  string
		want [][]string
	}{
		{"SELECT id, DATEADD(month, 1, d), DATEADD('qtr', CAST(-1 AS int), d), DATEADD(day, n, d) FROM fn ORDER BY 1", [][]string{
			{"1", "2019-02-28 00:00:00", "2018-10-31 00:00:00", "2019-02-03 00:00:00"},
			{"2", "2020-03-29 00:00:00", "2019-11-29 00:00:00", "2020-03-07 00:00:00"},
			{"3", "2021-01-31 00:00:00", "2020-09-30 00:00:00", "2021-01-07 00:00:00"},
			{"4", "NULL", "NULL", "NULL"},
			{"5", "2021-07-15 00:00:00", "2021-03-15 00:00:00", "2021-06-25 00:00:00"},
		}},
		{"SELECT id, DATEADD(year, 1, d), DATEADD(week, 2, ts), DATEADD(hour, -25, ts), DATEADD(minute, 2, ts), DATEADD(second, 2000, ts) FROM fn WHERE id < 4 ORDER BY 1", [][]string{
			{"1", "2020-01-31 00:00:00", "2020-01-14 23:59:00", "2019-12-30 22:59:00", "2020-01-01 00:01:00", "2020-01-01 00:32:20"},
			{"2", "2021-02-28 00:00:00", "2020-01-15 00:01:00", "2019-12-30 23:01:00", "2020-01-01 00:03:00", "2020-01-01 00:34:20"},
			{"3", "2021-12-31 00:00:00", "2021-03-29 10:30:45", "2021-03-14 09:30:45", "2021-03-15 10:32:45", "2021-03-15 11:04:05"},
		}},
		// d → ts: 2019-01-31 → 2019-12-31 23:59; 2020-02-29 → 2020-01-01 00:01;
		// 2020-12-31 → 2021-03-15 10:30:45; 2021-06-15 → 2021-06-14 12:00.
		{"SELECT id, DATEDIFF(year, d, ts), DATEDIFF(quarter, d, ts), DATEDIFF(month, d, ts), DATEDIFF(week, d, ts), DATEDIFF(day, d, ts) FROM fn ORDER BY 1", [][]string{
			{"1", "0", "3", "11", "48", "334"},
			{"2", "0", "0", "-1", "-8", "-59"},
			{"3", "1", "1", "3", "11", "74"},
			{"4", "NULL", "NULL", "NULL", "NULL", "NULL"},
			{"5", "0", "0", "0", "0", "-1"},
		}},
		{"SELECT DATEDIFF(year, TIMESTAMP '2019-12-31 23:59:59', TIMESTAMP '2020-01-01 00:00:00'), DATEDIFF(hour, TIMESTAMP '2020-01-01 10:59', TIMESTAMP '2020-01-01 11:00'), DATEDIFF(minute, TIMESTAMP '2020-01-01 10:59:59', TIMESTAMP '2020-01-01 11:00:01'), DATEDIFF(second, TIMESTAMP '2020-01-01 10:59:59', TIMESTAMP '2020-01-01 11:00:01'), DATEDIFF(day, DATE '1970-01-01', DATE '2020-01-01')", [][]string{
			{"1", "1", "1", "2", "18262"},
		}},
	} {
		for _, name := range e.names {
			got := e.run(t, name, sess, c.sql)
			if got.code != "" {
				t.Errorf("%s on %s: %s %s", c.sql, name, got.code, got.message)
				continue
			}
			if !sameOrderedRows(got.rows, c.want) {
				t.Errorf("%s on %s:\n  got:  %v\n  want: %v\n  engine SQL: %s", c.sql, name, got.rows, c.want, got.plan.SQL)
			}
		}
	}
}

// TestFunctionRefusals: what the gateway cannot answer as PostgreSQL (or, for DATEADD, as
// defined) is refused with a clear SQLSTATE on both engines, never printed wrong: a percentile
// of a metric's values needs a grain the query does not name (42803), a to_char pattern not
// translated, a SIMILAR TO pattern that is not a constant, a DATEADD unit or count out of its
// definition.
func TestFunctionRefusals(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL}, fnCatalog)
	sess := planner.Session{Principal: tenantAPrincipal, Database: "setupranali"}
	for _, c := range []struct{ sql, code string }{
		{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY total_x) FROM fn", "42803"},
		{"SELECT g, mode() WITHIN GROUP (ORDER BY rows_count) FROM fn GROUP BY g", "42803"},
		{"SELECT percentile_cont(0.5) FROM fn", "42883"}, // as PostgreSQL: no plain function
		{"SELECT to_char(d, 'YYYY-WW') FROM fn", "0A000"},
		{"SELECT to_char(d, 'DDTH') FROM fn", "0A000"},
		{"SELECT to_date('2019 2', 'YYYY Q')", "0A000"},
		{"SELECT extract(hour FROM d) FROM fn", "0A000"}, // as PostgreSQL: no time of day in a date
		{"SELECT to_timestamp('2019 20', 'YYYY WW')", "0A000"},
		{"SELECT s SIMILAR TO g FROM fn", "0A000"},
		{"SELECT regexp_match(s, g) FROM fn", "0A000"},
		{"SELECT regexp_match(s, 'a|ab') FROM fn", "0A000"},
		{"SELECT regexp_match(s, '(a)?b') FROM fn", "0A000"},
		{"SELECT regexp_match(s, '(a)*b') FROM fn", "0A000"},
		{"SELECT regexp_match(s, 'a+?') FROM fn", "0A000"},
		{`SELECT regexp_match(s, '\d+') FROM fn`, "0A000"},
		{`SELECT regexp_match(s, '\bo') FROM fn`, "0A000"},
		{"SELECT regexp_match(s, '[[:alpha:]]') FROM fn", "0A000"},
		{"SELECT regexp_match(s, '(?i)o') FROM fn", "0A000"},
		{"SELECT regexp_match(s, 'o', 'x') FROM fn", "0A000"},
		{"SELECT regexp_match(s, 'o', 'g') FROM fn", "22023"}, // as PostgreSQL
		{"SELECT DATEADD(fortnight, 1, d) FROM fn", "22023"},
		{"SELECT width_bucket(x, 0, 10, 0) FROM fn", "2201G"},
		{"SELECT format('%s %s', s) FROM fn", "22023"},
		{"SELECT format('%I', s) FROM fn", "0A000"},
		{"SELECT format('%s', s = g) FROM fn", "0A000"},
		{"SELECT width_bucket(x, 1, 1, 3) FROM fn", "2201G"},
		{"SELECT width_bucket(x, 0, n, 3) FROM fn", "0A000"},
		{"SELECT DATEADD(day, 1.5, d) FROM fn", "42883"},
		{"SELECT DATEDIFF(day, s, 1) FROM fn", "42883"},
	} {
		for _, name := range e.names {
			if got := e.run(t, name, sess, c.sql); got.code != c.code {
				t.Errorf("%s on %s: got %q %s, want %s", c.sql, name, got.code, got.message, c.code)
			}
		}
	}
}

// TestDateDiffOfInstants: DATEDIFF reads an instant's boundaries in the grain zone (the
// session's TimeZone, else the dataset's). The event is 2025-12-01 20:00 UTC, 2025-12-02 01:30
// in Kolkata (the dataset's zone): a day and an hour later there than in UTC.
func TestDateDiffOfInstants(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{eventsSQL}, eventsCatalog)
	// The epoch of an instant is the same in every zone: 2025-12-01 20:00 UTC is 1764619200.
	sql := "SELECT DATEDIFF(day, DATE '2025-12-01', happened), DATEDIFF(hour, TIMESTAMP '2025-12-02 00:00:00', happened), DATEDIFF(day, happened, DATEADD(day, 1, happened)), DATEDIFF(minute, happened, DATEADD(second, 90, happened)), extract(epoch FROM happened), date_part('epoch', happened) FROM events"
	for _, c := range []struct {
		zone string
		want []string
	}{
		{"", []string{"1", "1", "1", "1", "1764619200.000000", "1764619200"}},
		{"UTC", []string{"0", "-4", "1", "1", "1764619200.000000", "1764619200"}},
	} {
		sess := planner.Session{Principal: tenantAPrincipal, Database: "setupranali", TimeZone: c.zone}
		for _, name := range e.names {
			got := e.run(t, name, sess, sql)
			if got.code != "" || len(got.rows) != 1 || !slices.Equal(got.rows[0], c.want) {
				t.Errorf("zone %q on %s: got %v %s %s, want %v", c.zone, name, got.rows, got.code, got.message, c.want)
			}
		}
	}
}

// TestToTimestampReadsTheSessionZone: to_timestamp(text, format) is an instant, the text read
// as wall-clock time in the session's zone (UTC when it set none), as PostgreSQL reads it.
func TestToTimestampReadsTheSessionZone(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL}, fnCatalog)
	sql := "SELECT to_timestamp('2019-05-03 09:04', 'YYYY-MM-DD HH24:MI') = TIMESTAMPTZ '2019-05-03 03:34:00+00', to_timestamp('2019-05-03 09:04', 'YYYY-MM-DD HH24:MI') = TIMESTAMPTZ '2019-05-03 09:04:00+00'"
	for zone, want := range map[string][]string{"Asia/Kolkata": {"t", "f"}, "UTC": {"f", "t"}, "": {"f", "t"}} {
		sess := planner.Session{Principal: tenantAPrincipal, Database: "setupranali", TimeZone: zone}
		for _, name := range e.names {
			got := e.run(t, name, sess, sql)
			if got.code != "" || len(got.rows) != 1 || !slices.Equal(got.rows[0], want) {
				t.Errorf("zone %q on %s: got %v %s %s, want %v", zone, name, got.rows, got.code, got.message, want)
			}
		}
	}
}

// TestToCharZonePatternsMatchPostgres: to_char's TZ, tz and OF print the session zone's
// abbreviation and offset for an instant (a date is read as one) and an empty TZ and +00 for
// a timestamp, as the machine's PostgreSQL prints them with the same TimeZone set. Zones whose
// abbreviation depends on the date are refused for instants, not guessed.
func TestToCharZonePatternsMatchPostgres(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{fnSQL}, fnCatalog)
	admin := planner.Session{Principal: adminPrincipal, Database: "setupranali"}
	schema := fnSchema(t, e, admin)
	cases := []string{
		// A timestamp dimension is shown in the session's zone (planner/timezone.go), which
		// the raw table in PostgreSQL is not: only its zone patterns are compared.
		`SELECT id, to_char(ts, 'TZ|tz|OF|FMTZ MI'), to_char(ts, 'TZ'), to_char(d, 'YYYY-MM-DD TZ "TZ" of') FROM fn ORDER BY 1`,
		`SELECT to_char(current_timestamp, 'TZ'), to_char(now(), 'tz OF'), to_char(current_date, 'OF TZ')`,
		`SELECT id, to_char(CAST(d AS timestamptz), 'YYYY-MM-DD TZ OF') FROM fn ORDER BY 1`,
	}
	for _, zone := range []string{"", "UTC", "Etc/UTC", "GMT", "Etc/GMT-5", "Etc/GMT+3"} {
		sess := admin
		sess.TimeZone = zone
		set := ""
		if zone != "" {
			set = "SET TimeZone TO '" + zone + "'; "
		}
		for _, sql := range cases {
			want := pgTruth(t, schema, set+sql)
			for _, name := range e.names {
				got := e.run(t, name, sess, sql)
				if got.code != "" {
					t.Errorf("zone %q: %s on %s: %s %s", zone, sql, name, got.code, got.message)
					continue
				}
				if !sameOrderedRows(got.rows, want) {
					t.Errorf("zone %q: %s on %s:\n  got:  %v\n  want: %v\n  engine SQL: %s", zone, sql, name, got.rows, want, got.plan.SQL)
				}
			}
		}
	}
	for _, zone := range []string{"Asia/Kolkata", "Europe/Berlin"} {
		sess := admin
		sess.TimeZone = zone
		for _, c := range []struct{ sql, code string }{
			{`SELECT to_char(current_timestamp, 'YYYY-MM-DD HH24:MI:SS.MS TZ')`, "0A000"},
			{`SELECT to_char(d, 'OF') FROM fn`, "0A000"},
			{`SELECT to_char(ts, 'YYYY TZ|OF') FROM fn WHERE id = 1`, ""},
		} {
			for _, name := range e.names {
				if got := e.run(t, name, sess, c.sql); got.code != c.code {
					t.Errorf("zone %s: %s on %s: got %q %s, want %q", zone, c.sql, name, got.code, got.message, c.code)
				}
			}
		}
	}
}
