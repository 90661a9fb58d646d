package goldencases

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int    // cases decoded, when wantErr is empty
		wantErr    string // part of the error
	}{
		{name: "every key", want: 2, text: `
- name: one
  principal: tenantA
  sql: SELECT 1
  engine_sql: SELECT 1
  columns: [a int4]
  params: [$1]
  tag: SET
  rows: ["1"]
  set: name=x
- name: two
  principal: admin
  sql: SELECT x
  error: 42703
`},
		{name: "empty file", text: "", want: 0},
		{name: "misspelt key", wantErr: "line 5: field eror not found", text: `
- name: two
  principal: admin
  sql: SELECT x
  eror: 42703
`},
		{name: "second document", wantErr: "more than one YAML document", text: "- name: a\n---\n- name: b\n"},
		{name: "not a list", wantErr: "cannot unmarshal", text: "name: a\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cases, err := Decode([]byte(tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) != tc.want {
				t.Fatalf("decoded %d cases, want %d", len(cases), tc.want)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cases_bad.yaml")
	if err := os.WriteFile(path, []byte("- name: a\n  sqll: SELECT 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "field sqll not found") {
		t.Fatalf("err = %v, want the file name and the unknown key", err)
	}
}

// TestCaseFilesDecode reads every planner case file of the repository strictly, so a misspelt
// key fails here even in a file no golden test globbed.
func TestCaseFilesDecode(t *testing.T) {
	files, err := filepath.Glob("../../testdata/planner/*/cases_*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	top, err := filepath.Glob("../../testdata/planner/cases_*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(top, files...)
	if len(files) < 6 {
		t.Fatalf("found only %d case files: %v", len(files), files)
	}
	for _, f := range files {
		cases, err := Load(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(cases) == 0 {
			t.Errorf("%s: no cases", f)
		}
	}
}
