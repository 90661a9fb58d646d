package gateway

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

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
