package planner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/sqlerr"
)

// passSuites are the end-to-end case files whose statements the per-pass golden files follow
// pass by pass, and the engine their datasets live on.
var passSuites = []struct {
	name, cases, engine string
	// catalog is the case file's catalog ("": the golden catalog).
	catalog string
}{
	{"semantic", "../testdata/planner/cases_semantic.yaml", "duckdb", ""},
	{"tenant", "../testdata/planner/cases_tenant.yaml", "duckdb", ""},
	{"prune", "../testdata/planner/cases_prune.yaml", "duckdb", ""},
	{"postgres_dialect", "../testdata/planner/postgres/cases_dialect.yaml", "postgres", ""},
	{"join", "../testdata/planner/cases_join.yaml", "duckdb", ""},
	{"join_star", "testdata/join/cases_star.yaml", "duckdb", "testdata/join/star.yaml"},
	{"shapes", "../testdata/planner/cases_shapes.yaml", "duckdb", ""},
}

// TestPassGolden runs the pass list over each query case and compares the tree after every pass,
// deparsed, with testdata/passes/<pass>/<suite>.golden (-update rewrites them). A pass that left
// a case's tree as it was shows "(unchanged)"; a case a pass refuses shows the SQLSTATE there. The end-to-end golden tests check the result;
// these show which pass made each part of it.
func TestPassGolden(t *testing.T) {
	for _, suite := range passSuites {
		t.Run(suite.name, func(t *testing.T) {
			p := New(passCatalog(t, suite.catalog, suite.engine), Config{MaxRows: 1000, DefaultEngine: suite.engine})
			cases, err := goldencases.Load(suite.cases)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*strings.Builder{}
			for _, ps := range passes {
				got[ps.name] = &strings.Builder{}
			}
			for _, c := range cases {
				trace, ok := tracePasses(t, p, c)
				if !ok {
					continue
				}
				prev := ""
				for _, ps := range passes {
					out := trace[ps.name]
					if out == prev {
						// Each file shows what its pass did: nothing, for this case.
						out = "(unchanged)"
					} else {
						prev = out
					}
					fmt.Fprintf(got[ps.name], "-- %s\n%s\n\n", c.Name, out)
				}
			}
			for _, ps := range passes {
				file := filepath.Join("testdata", "passes", ps.name, suite.name+".golden")
				checkGolden(t, file, got[ps.name].String())
			}
		})
	}
}

// passCatalog is the catalog at path (default: the golden catalog) with every dataset on engine.
func passCatalog(t *testing.T, path, engine string) *catalog.Catalog {
	t.Helper()
	if path == "" {
		path = "../testdata/planner/catalog.yaml"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load([]byte(strings.ReplaceAll(string(data), "engine: duckdb", "engine: "+engine)), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// tracePasses plans one case through the passes and returns, by pass, the deparsed tree after
// it (or the refusal). Cases that are not a SELECT over datasets (session statements, system
// catalog queries, cursors) do not go through the passes and are skipped.
func tracePasses(t *testing.T, p *Planner, c goldencases.Case) (map[string]string, bool) {
	principal, ok := goldencases.Principals[c.Principal]
	if !ok {
		t.Fatalf("%s: unknown principal %q", c.Name, c.Principal)
	}
	stmts, err := p.Parse(c.SQL)
	if err != nil || len(stmts) != 1 {
		return nil, false
	}
	st := stmts[0]
	snap := p.Snapshot()
	node := cloneNode(st.node)
	sel := node.GetSelectStmt()
	if sel == nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 || isCatalogQuery(snap.System, node) {
		return nil, false
	}
	s := newPlanState(p, snap.Catalog, Session{Principal: principal, Database: "setupranali"}, st, nil)
	trace := map[string]string{}
	err = runPasses(s, node, func(pass string) {
		if pass == "deparse" {
			trace[pass] = s.sql
			return
		}
		trace[pass] = deparseTree(s.root, st.version)
	})
	if err != nil {
		code := "error"
		var se *sqlerr.Error
		if errors.As(err, &se) {
			code = "error " + se.Code
		}
		for _, ps := range passes {
			if _, done := trace[ps.name]; !done {
				trace[ps.name] = code
			}
		}
		if got, want := strings.TrimPrefix(code, "error "), c.Error; got != want {
			t.Errorf("%s: passes refuse with %q, the end-to-end case says %q", c.Name, got, want)
		}
	} else if s.sql != c.EngineSQL {
		t.Errorf("%s: passes give\n%s\nthe end-to-end case says\n%s", c.Name, s.sql, c.EngineSQL)
	}
	return trace, true
}

// deparseTree is the SQL of an intermediate tree, for reading (not proven to parse back).
func deparseTree(root *pg_query.Node, version int32) string {
	sql, err := pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: cloneNode(root)}}})
	if err != nil {
		return "deparse error: " + err.Error()
	}
	return sql
}

// checkGolden compares got with file, or with -update writes it.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./planner -run TestPassGolden -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the passes' output:\n%s", file, firstDifference(string(want), got))
	}
}

// firstDifference shows the first line where want and got part.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\nwant: %s\n got: %s", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
