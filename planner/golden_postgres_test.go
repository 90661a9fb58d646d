package planner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
)

// TestGoldenPostgres plans the cases of testdata/planner/postgres over the golden catalog with
// every dataset on a postgres source: the engine SQL must be PostgreSQL's dialect.
func TestGoldenPostgres(t *testing.T) {
	files, err := filepath.Glob("../testdata/planner/postgres/cases_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	data, err := os.ReadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "engine: duckdb", "engine: postgres")
	cat, err := catalog.Load([]byte(text), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runGoldenFiles(t, planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: "postgres"}), files)
}
