package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// snapshotCatalogs writes the demo catalog plus one dataset named extra and returns the file's
// path and a function that rewrites it with another name.
func snapshotCatalogs(t *testing.T) (path string, write func(extra string)) {
	t.Helper()
	orig, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "catalog.yaml")
	write = func(extra string) {
		testkit.WriteFile(t, path, string(orig)+`
  - id: `+extra+`
    source: {reference: orders}
    fields: [{name: city, type: string}, {name: tenant_id, type: string}, {name: revenue, type: double}]
    dimensions: [{name: city}]
    metrics: [{name: revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
`)
	}
	return path, write
}

const publicTablesSQL = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"

// A cursor declared before a reload and fetched after it reads the catalog it was planned on:
// its scope filter (from the semantic catalog) and the engine it runs on (the system catalog)
// are of one snapshot. Before the snapshot, FETCH ran the old plan on the new system catalog,
// whose new dataset the old filter does not list: the answer held neither catalog's tables.
func TestCatalogCursorKeepsItsSnapshot(t *testing.T) {
	path, write := snapshotCatalogs(t)
	write("snap_a")
	gw := startTestGateway(t, func(c *Config) { c.Catalog = path })
	hc := newHTTPClient(t, gw)
	conn := connect(t, gw, "tenantA-key")
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "DECLARE c CURSOR FOR "+publicTablesSQL); err != nil {
		t.Fatal(err)
	}
	write("snap_b")
	if r := hc.do("POST", "/internal/reload", "internal-admin-key", nil); r.status != 200 {
		t.Fatalf("reload: %d %s", r.status, r.body)
	}
	if got := testkit.RowsText(t, conn, "FETCH ALL FROM c"); !slices.Equal(got, []string{"customers", "orders", "snap_a"}) {
		t.Errorf("cursor declared before the reload: %v, want the catalog it was planned on [customers orders snap_a]", got)
	}
	if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if got := testkit.RowsText(t, conn, publicTablesSQL); !slices.Equal(got, []string{"customers", "orders", "snap_b"}) {
		t.Errorf("after the reload: %v, want [customers orders snap_b]", got)
	}
}

// Reloads between two catalogs that differ in one dataset's name, while clients plan and run
// catalog and dataset queries: every answer belongs to exactly one of the two catalogs.
func TestCatalogReloadSnapshotConsistent(t *testing.T) {
	path, write := snapshotCatalogs(t)
	write("snap_a")
	gw := startTestGateway(t, func(c *Config) { c.Catalog = path })
	hc := newHTTPClient(t, gw)
	var (
		stop     atomic.Bool
		answers  atomic.Int64
		firstBad atomic.Value
		bad      atomic.Int64
		wg       sync.WaitGroup
	)
	report := func(format string, args ...any) {
		bad.Add(1)
		firstBad.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	want := map[string]bool{"customers,orders,snap_a": true, "customers,orders,snap_b": true}
	for w := range 3 {
		conn := connect(t, gw, []string{"tenantA-key", "tenantB-key", "dev-key-123"}[w])
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				// Text differing per run, so each is planned afresh rather than served from
				// the plan cache.
				got, err := tryRows(conn, fmt.Sprintf("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'w%d-%d' ORDER BY 1", w, i))
				if err != nil {
					report("catalog query: %v", err)
					continue
				}
				if list := strings.Join(got, ","); !want[list] {
					report("information_schema.tables lists %q: neither catalog's datasets", list)
				}
				answers.Add(1)
				// A dataset of one catalog: an answer, or 42P01 naming it, never anything else.
				for _, ds := range []string{"snap_a", "snap_b"} {
					_, err := tryRows(conn, fmt.Sprintf("SELECT city, revenue FROM %s WHERE city <> 'w%d-%d'", ds, w, i))
					var pe *pgconn.PgError
					if err != nil && (!errors.As(err, &pe) || pe.Code != "42P01") {
						report("dataset %s: %v", ds, err)
					}
					answers.Add(1)
				}
			}
		})
	}
	testkit.Eventually(t, "the queries to start", func() bool { return answers.Load() > 20 || bad.Load() > 0 })
	for i := range 6 {
		write([]string{"snap_b", "snap_a"}[i%2])
		if r := hc.do("POST", "/internal/reload", "internal-admin-key", nil); r.status != 200 {
			stop.Store(true)
			wg.Wait()
			t.Fatalf("reload %d: %d %s", i, r.status, r.body)
		}
	}
	before := answers.Load()
	testkit.Eventually(t, "queries after the reloads", func() bool { return answers.Load() > before+20 || bad.Load() > 0 })
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d of %d answers during 6 reloads saw no single catalog; first: %v", n, answers.Load(), firstBad.Load())
	}
	t.Logf("%d answers during 6 catalog reloads, each of one catalog", answers.Load())
}
