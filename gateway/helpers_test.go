package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// syncBuffer collects output written from several goroutines (the gateway logs from its own).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeCatalog(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// ordersDataset is a catalog dataset over a physical orders table with the demo's columns.
func ordersDataset(id, engine, reference, sourceID string) string {
	src := fmt.Sprintf("engine: %s, type: table, reference: %s", engine, reference)
	if sourceID != "" {
		src += ", sourceId: " + sourceID
	}
	return fmt.Sprintf(`  - id: %s
    source: { %s }
    fields:
      - { name: order_id, type: string }
      - { name: tenant_id, type: string }
      - { name: city, type: string }
      - { name: revenue, type: double }
    dimensions:
      - { name: city, field: city }
    metrics:
      - { name: total_revenue, expression: { type: aggregation, agg: sum, field: revenue } }
      - { name: orders_count, expression: { type: aggregation, agg: count, field: order_id } }
    rls: { enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true }
`, id, src)
}

// startGatewayLogged is startTestGateway with the gateway's log kept in w.
func startGatewayLogged(t *testing.T, w io.Writer, mutate func(*Config)) (*Gateway, error) {
	t.Helper()
	cfg, err := Default(), error(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PGAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Catalog = "../catalog.yaml"
	cfg.LogLevel = "DEBUG"
	mutate(&cfg)
	gw, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return gw, nil
}

func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret (%.4s...):\n%s", what, s, text)
		}
	}
}

// postgresSchema connects to the machine's PostgreSQL (SETU_TEST_POSTGRES_DSN; the test skips
// without it, and CI sets it) as its admin, creates a schema of a fresh name and runs ddl in
// it, with %[1]s standing for the schema; the schema is dropped when the test ends. It returns
// the admin connection, its DSN and the schema's name.
func postgresSchema(t *testing.T, prefix, ddl string) (*pgx.Conn, string, string) {
	t.Helper()
	adminDSN := os.Getenv("SETU_TEST_POSTGRES_DSN")
	if adminDSN == "" {
		t.Skip("SETU_TEST_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	schema := prefix + randomHex(t)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE SCHEMA %[1]s;\n"+ddl, schema)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping %s: %v", schema, err)
		}
	})
	return admin, adminDSN, schema
}

func randomHex(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}
