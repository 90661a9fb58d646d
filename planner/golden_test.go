package planner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

var update = planner.Update

// goldenCase is one entry of a testdata/planner/*.yaml case file, decoded strictly.
type goldenCase = goldencases.Case

// principals are the callers the golden case files name.
var principals = goldencases.Principals

func loadTestCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.LoadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// planOne plans the single statement of a case.
func planOne(p *planner.Planner, principal auth.Principal, sql string) (*planner.Plan, error) {
	stmts, err := p.Parse(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, errors.New("case must hold exactly one statement")
	}
	return p.Plan(context.Background(), planner.Session{Principal: principal, Database: "setupranali"}, stmts[0])
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/planner/cases_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	runGoldenFiles(t, planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000}), files)
}

// runGoldenFiles checks (or with -update rewrites) the case files against planner p.
func runGoldenFiles(t *testing.T, p *planner.Planner, files []string) {
	for _, file := range files {
		cases, err := goldencases.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cases {
			c := &cases[i]
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				principal, ok := principals[c.Principal]
				if !ok {
					t.Fatalf("unknown principal %q", c.Principal)
				}
				got := goldenCase{Name: c.Name, Principal: c.Principal, SQL: c.SQL}
				plan, err := planOne(p, principal, c.SQL)
				if err != nil {
					var se *sqlerr.Error
					if !errors.As(err, &se) {
						t.Fatalf("error without SQLSTATE: %v", err)
					}
					if sqlerr.Class(se.Code) == "XX" {
						t.Fatalf("internal error for a client's statement: %v", err)
					}
					got.Error = se.Code
				} else {
					got.EngineSQL = plan.SQL
					for _, col := range plan.Columns {
						got.Columns = append(got.Columns, col.Name+" "+col.Type.Name)
					}
					for _, p := range plan.Params {
						got.Params = append(got.Params, p.Name)
					}
					if plan.Kind != planner.KindQuery {
						got.Tag = plan.Tag
					}
					for _, row := range plan.Rows {
						var vals []string
						for _, v := range row {
							if v == nil {
								vals = append(vals, "NULL")
							} else {
								vals = append(vals, *v)
							}
						}
						got.Rows = append(got.Rows, strings.Join(vals, "|"))
					}
					if st := plan.Set; st != nil {
						got.Set = fmt.Sprintf("name=%s all=%v local=%v report=%v", st.Name, st.All, st.Local, st.Report)
						if st.Value != nil {
							got.Set += " value=" + *st.Value
						}
					}
				}
				if *update {
					*c = got
					return
				}
				if got.Error != c.Error {
					t.Fatalf("error = %q, want %q (err: %v)", got.Error, c.Error, err)
				}
				if got.EngineSQL != c.EngineSQL {
					t.Errorf("engine SQL:\n got: %s\nwant: %s", got.EngineSQL, c.EngineSQL)
				}
				if strings.Join(got.Columns, ", ") != strings.Join(c.Columns, ", ") {
					t.Errorf("columns = %v, want %v", got.Columns, c.Columns)
				}
				if strings.Join(got.Params, ", ") != strings.Join(c.Params, ", ") {
					t.Errorf("params = %v, want %v", got.Params, c.Params)
				}
				if got.Tag != c.Tag || got.Set != c.Set || strings.Join(got.Rows, "\n") != strings.Join(c.Rows, "\n") {
					t.Errorf("session plan: tag %q set %q rows %v, want tag %q set %q rows %v", got.Tag, got.Set, got.Rows, c.Tag, c.Set, c.Rows)
				}
			})
		}
		if *update {
			out, err := yaml.Marshal(cases)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, out, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustLoadCatalog(t testing.TB, yamlText string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load([]byte(yamlText), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
