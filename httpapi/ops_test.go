package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/dependency"
)

// Readiness answers 503 only for what the replica needs itself (the catalog, a Ready check,
// draining); a dependency that is down is a degraded component with 200.
func TestReadyDependsOnlyOnTheReplica(t *testing.T) {
	cat, err := catalog.Load([]byte("datasets:\n  - id: t\n    source: {engine: duckdb, type: table, reference: t}\n    fields: [{name: a, type: string}]\n    dimensions: [{name: a, field: a}]\n"), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	deps := []dependency.State{{Name: "redis", Status: dependency.Down, Since: since, Checked: since}, {Name: "source:wh", Status: dependency.Up, Since: since, Checked: since}}
	engineErr := error(nil)
	srv := New(Config{
		Authenticator: staticAuth{},
		Catalog:       func() *catalog.Catalog { return cat },
		Log:           slog.New(slog.DiscardHandler),
		Ready:         []Check{{Name: "duckdb", Check: func(context.Context) error { return engineErr }}},
		Dependencies:  func() []dependency.State { return deps },
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ready := func() (int, map[string]any) {
		resp, body := get(t, ts.URL+"/v1/ready")
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(body)
		}
		return resp.StatusCode, m
	}
	code, m := ready()
	comps := m["components"].(map[string]any)
	if code != http.StatusOK || m["status"] != "degraded" || comps["redis"].(map[string]any)["status"] != "degraded" ||
		comps["source:wh"].(map[string]any)["status"] != "ok" {
		t.Errorf("Redis down: %d %v", code, m)
	}
	deps[0].Status = dependency.Up
	if code, m := ready(); code != http.StatusOK || m["status"] != "ready" {
		t.Errorf("all up: %d %v", code, m)
	}
	engineErr = errors.New("engine closed")
	if code, m := ready(); code != http.StatusServiceUnavailable || m["status"] != "not_ready" {
		t.Errorf("embedded engine down: %d %v", code, m)
	}
	engineErr = nil
	srv.SetDraining()
	if code, m := ready(); code != http.StatusServiceUnavailable || m["status"] != "draining" {
		t.Errorf("draining: %d %v", code, m)
	}
}
