package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

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
