package main

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/planner"
)

// planCase is a planner golden case (testdata/planner/cases_*.yaml), decoded strictly.
type planCase = goldencases.Case

// goldenPrincipals are the callers the golden case files name.
var goldenPrincipals = goldencases.Principals

// planResult is P5: nanoseconds per Parse+Plan of a golden case statement, averaged over the
// cases, with the plan cache warm (repeated) and without a cache (new).
type planResult struct {
	Cases      int     `json:"cases"`
	RepeatedNs float64 `json:"repeated_ns_per_plan"`
	NewNs      float64 `json:"new_ns_per_plan"`
	// CPU time of the bench process per plan (user + system, GC included): on a loaded machine
	// the wall time above includes waiting for a core.
	RepeatedCPUNs float64 `json:"repeated_cpu_ns_per_plan"`
	NewCPUNs      float64 `json:"new_cpu_ns_per_plan"`
	PowerBIRepNs  float64 `json:"powerbi_repeated_ns"`
	PowerBINewNs  float64 `json:"powerbi_new_ns"`
	AllocsRep     int64   `json:"repeated_allocs_per_plan"`
	AllocsNew     int64   `json:"new_allocs_per_plan"`
}

const powerBISQL = `select "rows"."city", sum("rows"."total_revenue") as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city"`

// benchPlanner runs the planner over the golden query cases of the semantic and tenant files
// (the statements that plan; error cases are left out) with testing.Benchmark.
func benchPlanner(repo string) (planResult, error) {
	var res planResult
	cat, err := catalog.LoadFile(filepath.Join(repo, "testdata/planner/catalog.yaml"))
	if err != nil {
		return res, err
	}
	var cases []planCase
	for _, f := range []string{"cases_semantic.yaml", "cases_tenant.yaml"} {
		cs, err := goldencases.Load(filepath.Join(repo, "testdata/planner", f))
		if err != nil {
			return res, err
		}
		for _, c := range cs {
			if c.Error == "" && c.Set == "" {
				cases = append(cases, c)
			}
		}
	}
	// Keep the cases that plan as one statement on their own.
	check := planner.New(cat, planner.Config{MaxRows: 1000})
	var ok []planCase
	for _, c := range cases {
		if planCaseOnce(check, c) == nil {
			ok = append(ok, c)
		}
	}
	if len(ok) == 0 {
		return res, fmt.Errorf("no golden case plans")
	}
	res.Cases = len(ok)
	run := func(cacheSize int, cs []planCase) (float64, float64, int64, error) {
		p := planner.New(cat, planner.Config{MaxRows: 1000, PlanCacheSize: cacheSize})
		var (
			failed error
			cpu    time.Duration
		)
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			start := processCPU()
			for b.Loop() {
				if err := planCaseOnce(p, cs[i%len(cs)]); err != nil {
					failed = err
					b.FailNow()
				}
				i++
			}
			// The last call is the one testing.Benchmark reports.
			cpu = processCPU() - start
		})
		if failed != nil {
			return 0, 0, 0, failed
		}
		n := float64(max(r.N, 1))
		return float64(r.T.Nanoseconds()) / n, float64(cpu.Nanoseconds()) / n, r.AllocsPerOp(), nil
	}
	if res.RepeatedNs, res.RepeatedCPUNs, res.AllocsRep, err = run(0, ok); err != nil {
		return res, err
	}
	if res.NewNs, res.NewCPUNs, res.AllocsNew, err = run(-1, ok); err != nil {
		return res, err
	}
	pbi := []planCase{{Principal: "tenantA", SQL: powerBISQL}}
	if res.PowerBIRepNs, _, _, err = run(0, pbi); err != nil {
		return res, err
	}
	if res.PowerBINewNs, _, _, err = run(-1, pbi); err != nil {
		return res, err
	}
	return res, nil
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func planCaseOnce(p *planner.Planner, c planCase) error {
	stmts, err := p.Parse(c.SQL)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return fmt.Errorf("%d statements", len(stmts))
	}
	_, err = p.Plan(context.Background(), planner.Session{Principal: goldenPrincipals[c.Principal], Database: "setupranali"}, stmts[0])
	return err
}

// starPlanResult is J3: Parse+Plan of the star join (a new statement each time: parse and plan
// caches off), as the tenant the gateway side of J1 runs as.
type starPlanResult struct {
	// Median over runs of testing.Benchmark of the wall and CPU time per plan.
	Ns     float64   `json:"ns_per_plan"`
	CPUNs  float64   `json:"cpu_ns_per_plan"`
	Allocs int64     `json:"allocs_per_plan"`
	Bytes  int64     `json:"bytes_per_plan"`
	RunsNs []float64 `json:"runs_ns_per_plan"`
}

// benchStarPlan plans the star join over the bench's catalog runs times.
func benchStarPlan(catalogPath string, runs int) (starPlanResult, error) {
	var res starPlanResult
	cat, err := catalog.LoadFile(catalogPath)
	if err != nil {
		return res, err
	}
	p := planner.New(cat, planner.Config{PlanCacheSize: -1})
	query := starGatewaySQL("")
	principal := auth.Principal{KeyID: "bench", Tenants: []string{starTenant}, Role: auth.RoleViewer}
	plan := func() error {
		stmts, err := p.Parse(query)
		if err != nil {
			return err
		}
		_, err = p.Plan(context.Background(), planner.Session{Principal: principal, Database: "setupranali"}, stmts[0])
		return err
	}
	if err := plan(); err != nil {
		return res, fmt.Errorf("plan the star join: %w", err)
	}
	var cpus, allocs, bytes []float64
	for range runs {
		var (
			cpu    time.Duration
			failed error
		)
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if err := plan(); err != nil {
					failed = err
					b.FailNow()
				}
			}
			cpu = processCPU() - start
		})
		if failed != nil {
			return res, failed
		}
		n := float64(max(r.N, 1))
		res.RunsNs = append(res.RunsNs, float64(r.T.Nanoseconds())/n)
		cpus = append(cpus, float64(cpu.Nanoseconds())/n)
		allocs = append(allocs, float64(r.AllocsPerOp()))
		bytes = append(bytes, float64(r.AllocedBytesPerOp()))
	}
	res.Ns, res.CPUNs = median(res.RunsNs), median(cpus)
	res.Allocs, res.Bytes = int64(median(allocs)), int64(median(bytes))
	return res, nil
}
