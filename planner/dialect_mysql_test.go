package planner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
)

// TestGoldenMySQL plans the cases of testdata/planner/mysql over the golden catalog with every
// dataset on a mysql source: the engine SQL must be the MySQL dialect, or a 0A000 refusal.
// What these statements return on a real server is checked in gateway/mysql_test.go.
func TestGoldenMySQL(t *testing.T) {
	files, err := filepath.Glob("../testdata/planner/mysql/cases_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	data, err := os.ReadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "engine: duckdb", "engine: mysql")
	cat, err := catalog.Load([]byte(text), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runGoldenFiles(t, planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: "mysql"}), files)
}
