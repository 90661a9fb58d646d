package gateway

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/internal/testkit"
)

// One event at 2025-12-01 20:00 UTC, which is 2025-12-02 01:30 in Kolkata (the dataset's zone).
// The instant is a timestamptz field; the same moment is also stored as Kolkata wall-clock time
// in a timestamp field.
func TestTimeGrainsFollowTimeZones(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	initSQL := filepath.Join(dir, "init.sql")
	testkit.WriteFile(t, initSQL, `CREATE TABLE events (tenant_id VARCHAR, happened TIMESTAMPTZ, local_at TIMESTAMP, n INTEGER);
INSERT INTO events VALUES ('tenantA', TIMESTAMPTZ '2025-12-01 20:00:00+00', TIMESTAMP '2025-12-02 01:30:00', 1);`)
	cat := filepath.Join(dir, "catalog.yaml")
	testkit.WriteFile(t, cat, `datasets:
  - id: events
    defaultTimezone: Asia/Kolkata
    source: {reference: events}
    fields:
      - {name: tenant_id, type: string}
      - {name: happened, type: timestamptz}
      - {name: local_at, type: timestamp}
      - {name: n, type: int32}
    dimensions: [{name: happened}, {name: local_at}]
    metrics: [{name: events, expression: {agg: sum, field: n}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat; c.DuckDBInit = initSQL })

	connectIn := func(zone string) *pgx.Conn {
		cfg, err := pgx.ParseConfig(connString(gw, "tenantA-key"))
		if err != nil {
			t.Fatal(err)
		}
		if zone != "" {
			cfg.RuntimeParams["TimeZone"] = zone
		}
		conn, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	instant := func(conn *pgx.Conn, sql string) time.Time {
		var v time.Time
		if err := conn.QueryRow(context.Background(), sql).Scan(&v); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return v.UTC()
	}
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	kolkata := connectIn("") // no TimeZone from the client: the dataset's zone applies
	utcConn := connectIn("UTC")
	cases := []struct {
		conn *pgx.Conn
		sql  string
		want []string
	}{
		{kolkata, "SELECT CAST(extract(day FROM happened) AS int) FROM events GROUP BY 1", []string{"2"}},
		{utcConn, "SELECT CAST(extract(day FROM happened) AS int) FROM events GROUP BY 1", []string{"1"}},
		{kolkata, "SELECT CAST(happened AS date) FROM events GROUP BY 1", []string{"2025-12-02 00:00:00"}},
		{utcConn, "SELECT CAST(happened AS date) FROM events GROUP BY 1", []string{"2025-12-01 00:00:00"}},
		{kolkata, "SELECT local_at, events FROM events", []string{"2025-12-02 01:30:00|1"}},
		{utcConn, "SELECT local_at, events FROM events", []string{"2025-12-01 20:00:00|1"}},
		{utcConn, "SELECT date_trunc('day', local_at), events FROM events GROUP BY 1", []string{"2025-12-01 00:00:00|1"}},
	}
	for _, c := range cases {
		if got := testkit.RowsText(t, c.conn, c.sql); !equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.sql, got, c.want)
		}
	}
	// A day of instants starts at the zone's midnight.
	if got := instant(kolkata, "SELECT date_trunc('day', happened) FROM events GROUP BY 1"); !got.Equal(utc("2025-12-01 18:30")) {
		t.Errorf("Kolkata day starts at %v, want 2025-12-01 18:30 UTC", got)
	}
	if got := instant(utcConn, "SELECT date_trunc('day', happened) FROM events GROUP BY 1"); !got.Equal(utc("2025-12-01 00:00")) {
		t.Errorf("UTC day starts at %v, want 2025-12-01 00:00 UTC", got)
	}
}
