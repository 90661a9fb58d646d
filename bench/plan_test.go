package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
)

// BenchmarkStarPlan is J3 under `go test`, for a profile of planning the star join as a new
// statement:
//
//	go test ./bench -run '^$' -bench StarPlan -cpuprofile /tmp/cpu.out && go tool pprof -top /tmp/cpu.out
func BenchmarkStarPlan(b *testing.B) {
	path := filepath.Join(b.TempDir(), "catalog.yaml")
	if err := writeCatalog(path, "unused"); err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.LoadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	p := planner.New(cat, planner.Config{PlanCacheSize: -1})
	sess := planner.Session{Principal: auth.Principal{KeyID: "bench", Tenants: []string{starTenant}, Role: auth.RoleViewer}, Database: "setupranali"}
	query := starGatewaySQL("")
	b.ReportAllocs()
	for b.Loop() {
		stmts, err := p.Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Plan(context.Background(), sess, stmts[0]); err != nil {
			b.Fatal(err)
		}
	}
}
