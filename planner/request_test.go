package planner_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// builtTree is sql's tree as a front door that builds trees would hand it over: no version, and
// every location -1, as no node points into any text.
func builtTree(t *testing.T, sql string) *pg_query.ParseResult {
	t.Helper()
	tree, err := pg_query.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	var unplace func(m protoreflect.Message)
	unplace = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Kind() == protoreflect.Int32Kind && (fd.Name() == "location" || fd.Name() == "stmt_location" || fd.Name() == "stmt_len"):
				m.Set(fd, protoreflect.ValueOfInt32(-1))
			case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
				for i := 0; i < v.List().Len(); i++ {
					unplace(v.List().Get(i).Message())
				}
			case !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
				unplace(v.Message())
			}
			return true
		})
	}
	unplace(tree.ProtoReflect())
	tree.Version = 0
	return tree
}

func planTree(p *planner.Planner, principal string, tree *pg_query.ParseResult) (*planner.Plan, error) {
	st, err := planner.StatementFromTree(tree)
	if err != nil {
		return nil, err
	}
	return p.Plan(context.Background(), planner.Session{Principal: principals[principal], Database: "setupranali"}, st)
}

// Every golden case that is one SELECT plans from its tree exactly as from its text: same engine
// SQL, columns and parameters, or the same SQLSTATE. The tree takes the same passes.
func TestTreePlansAsItsText(t *testing.T) {
	files, err := filepath.Glob("../testdata/planner/cases_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	// No plan cache: a plan from the tree must not be the text's plan served again.
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, PlanCacheSize: -1})
	selects := 0
	for _, file := range files {
		cases, err := goldencases.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			tree, err := pg_query.Parse(c.SQL)
			if err != nil || len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetSelectStmt() == nil {
				continue
			}
			selects++
			t.Run(filepath.Base(file)+"/"+c.Name, func(t *testing.T) {
				fromText, textErr := planOne(p, principals[c.Principal], c.SQL)
				fromTree, treeErr := planTree(p, c.Principal, builtTree(t, c.SQL))
				if code(textErr) != code(treeErr) {
					t.Fatalf("text: %v; tree: %v", textErr, treeErr)
				}
				if textErr != nil {
					return
				}
				if fromTree.SQL != fromText.SQL {
					t.Errorf("engine SQL\ntree %s\ntext %s", fromTree.SQL, fromText.SQL)
				}
				if g, w := columns(fromTree), columns(fromText); g != w {
					t.Errorf("columns %s, want %s", g, w)
				}
				if len(fromTree.Params) != len(fromText.Params) {
					t.Errorf("params %v, want %v", fromTree.Params, fromText.Params)
				}
				for i := range fromTree.Params {
					if i < len(fromText.Params) && fromTree.Params[i].OID != fromText.Params[i].OID {
						t.Errorf("param $%d is %s, want %s", i+1, fromTree.Params[i].Name, fromText.Params[i].Name)
					}
				}
				if strings.Join(fromTree.Datasets, ",") != strings.Join(fromText.Datasets, ",") {
					t.Errorf("datasets %v, want %v", fromTree.Datasets, fromText.Datasets)
				}
			})
		}
	}
	if selects < 50 {
		t.Fatalf("only %d SELECT cases: the comparison proves little", selects)
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var se *sqlerr.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return "no SQLSTATE: " + err.Error()
}

func columns(p *planner.Plan) string {
	var b strings.Builder
	for _, c := range p.Columns {
		b.WriteString(c.Name + " " + c.Type.Name + ";")
	}
	return b.String()
}

// Equal trees share a cached plan, as equal text does; different trees do not, and a tree never
// meets a text's entry.
func TestTreePlanCache(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	const q = "SELECT city, total_revenue FROM orders WHERE city = $1"
	first, err := planTree(p, "tenantA", builtTree(t, q))
	if err != nil {
		t.Fatal(err)
	}
	again, err := planTree(p, "tenantA", builtTree(t, q))
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Error("an equal tree was planned again instead of served from the plan cache")
	}
	other, err := planTree(p, "tenantA", builtTree(t, "SELECT city FROM orders WHERE city = $1"))
	if err != nil {
		t.Fatal(err)
	}
	if other == first || len(other.Columns) != 1 {
		t.Errorf("a different tree got the plan of another: %d columns", len(other.Columns))
	}
	tenantB, err := planTree(p, "tenantB", builtTree(t, q))
	if err != nil {
		t.Fatal(err)
	}
	if tenantB == first || tenantB.SQL == first.SQL {
		t.Errorf("another tenant shares the plan: %s", tenantB.SQL)
	}
	text, err := planOne(p, principals["tenantA"], q)
	if err != nil {
		t.Fatal(err)
	}
	if text == first {
		t.Error("the text and the tree share a plan cache entry")
	}
	if text.SQL != first.SQL {
		t.Errorf("text and tree plan differently:\n%s\n%s", text.SQL, first.SQL)
	}
}

func TestStatementFromTreeRefuses(t *testing.T) {
	two := builtTree(t, "SELECT city FROM orders; SELECT 1")
	other := builtTree(t, "SELECT city FROM orders")
	other.Version = 90600
	for name, tree := range map[string]*pg_query.ParseResult{
		"nil":            nil,
		"empty":          {},
		"two statements": two,
		"no node":        {Stmts: []*pg_query.RawStmt{{}}},
		"other version":  other,
	} {
		if st, err := planner.StatementFromTree(tree); err == nil {
			t.Errorf("%s: made %+v", name, st)
		}
	}
	// A tree of the parser's own version is taken as it is.
	own, err := pg_query.Parse("SELECT city FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := planner.StatementFromTree(own); err != nil {
		t.Error(err)
	}
}
