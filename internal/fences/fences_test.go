package fences

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// loadModule lists every package of the module with `go list`, keeping only imports of the
// module's own packages, as module-relative paths.
func loadModule(t *testing.T) []Package {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	modPath, err := goCmd(root, "list", "-m")
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(modPath))
	out, err := goCmd(root, "list", "-json=ImportPath,Imports,TestImports,XTestImports", "./...")
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	rel := func(p string) (string, bool) {
		if p == module {
			return "", false // nothing lives at the module root
		}
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	ours := func(list []string) []string {
		var out []string
		for _, p := range list {
			if r, ok := rel(p); ok {
				out = append(out, r)
			}
		}
		return out
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var lp struct {
			ImportPath                         string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&lp); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		path, ok := rel(lp.ImportPath)
		if !ok {
			t.Fatalf("go list ./... named %q, outside module %q", lp.ImportPath, module)
		}
		pkgs = append(pkgs, Package{
			Path:        path,
			Imports:     ours(lp.Imports),
			TestImports: ours(append(lp.TestImports, lp.XTestImports...)),
		})
	}
	return pkgs
}

func goCmd(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// listedPackage is what the source scans read of a package from go list.
type listedPackage struct {
	Name, Dir                 string
	GoFiles, CgoFiles         []string
	TestGoFiles, XTestGoFiles []string
}

// modulePackages lists every package of the module with its files.
func modulePackages(t *testing.T) []listedPackage {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	out, err := goCmd(filepath.Dir(strings.TrimSpace(string(gomod))), "list", "-json=Name,Dir,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles", "./...")
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var lp listedPackage
		if err := dec.Decode(&lp); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, lp)
	}
}

// TestModuleFences fails the build when a package of the module crosses a fence of Rules.
func TestModuleFences(t *testing.T) {
	pkgs := loadModule(t)
	// Guard against a check that passes because it saw nothing: the packages the rules are
	// about must be there, with the imports they are known to have.
	byPath := map[string]Package{}
	for _, p := range pkgs {
		byPath[p.Path] = p
	}
	for path, imp := range map[string]string{
		"planner":       "catalog",
		"pgwire":        "engine",
		"httpapi":       "engine",
		"engine":        "planner",
		"engine/duckdb": "engine",
		"gateway":       "engine/duckdb",
	} {
		p, ok := byPath[path]
		if !ok {
			t.Fatalf("go list did not list package %s", path)
		}
		if !slices.Contains(p.Imports, imp) {
			t.Fatalf("go list shows %s without its import of %s: the graph is not read right (%v)", path, imp, p.Imports)
		}
	}
	for _, v := range Check(Rules, pkgs) {
		t.Errorf("fence crossed: %s", v)
	}
}

// TestCheck shows the checker catches each kind of crossing, names the importer, the forbidden
// import and the path to it, and stays quiet where the rule allows.
func TestCheck(t *testing.T) {
	graph := []Package{
		{Path: "catalog", Imports: []string{"internal/sqlast"}},
		{Path: "internal/sqlast"},
		{Path: "sqlerr"},
		{Path: "pgtypes", Imports: []string{"sqlerr"}},
		{Path: "planner", Imports: []string{"catalog", "pgtypes", "sqlerr"}},
		{Path: "engine", Imports: []string{"planner"}},
		{Path: "engine/duckdb", Imports: []string{"engine"}},
		{Path: "pgwire", Imports: []string{"engine"}},
		{Path: "httpapi", Imports: []string{"engine"}},
		{Path: "gateway", Imports: []string{"pgwire", "httpapi", "engine/duckdb"}},
		{Path: "cmd/setupranali", Imports: []string{"gateway"}},
	}
	with := func(path string, edit func(p *Package)) []Package {
		out := make([]Package, len(graph))
		for i, p := range graph {
			p.Imports = slices.Clone(p.Imports)
			p.TestImports = slices.Clone(p.TestImports)
			if p.Path == path {
				edit(&p)
			}
			out[i] = p
		}
		return out
	}
	cases := []struct {
		name string
		pkgs []Package
		want []string
	}{
		{name: "today's shape passes", pkgs: graph},
		{
			name: "pgwire imports httpapi directly",
			pkgs: with("pgwire", func(p *Package) { p.Imports = append(p.Imports, "httpapi") }),
			want: []string{`pgwire imports httpapi: forbidden by rule "pgwire never depends on httpapi or a concrete backend"`},
		},
		{
			name: "planner reaches engine through a helper",
			pkgs: append(with("planner", func(p *Package) { p.Imports = append(p.Imports, "internal/helper") }),
				Package{Path: "internal/helper", Imports: []string{"engine"}}),
			want: []string{
				`internal/helper imports engine: forbidden by rule "internal helpers stay below planning, execution and front doors"`,
				`internal/helper imports planner (via engine): forbidden by rule "internal helpers stay below planning, execution and front doors"`,
				`planner imports engine (via internal/helper): forbidden by rule "planner does not depend on execution, admission, state or front doors"`,
			},
		},
		{
			name: "sqlerr imports anything of ours",
			pkgs: with("sqlerr", func(p *Package) { p.Imports = []string{"internal/sqlast"} }),
			want: []string{
				`pgtypes imports internal/sqlast (via sqlerr): forbidden by rule "pgtypes depends only on sqlerr"`,
				`sqlerr imports internal/sqlast: forbidden by rule "leaf packages import nothing of ours"`,
			},
		},
		{
			name: "pgtypes reaches back into the planner",
			pkgs: with("pgtypes", func(p *Package) { p.TestImports = []string{"pgtypes", "planner"} }),
			want: []string{
				`pgtypes test imports catalog (via planner): forbidden by rule "pgtypes depends only on sqlerr"`,
				`pgtypes test imports internal/sqlast (via planner -> catalog): forbidden by rule "pgtypes depends only on sqlerr"`,
				`pgtypes test imports planner: forbidden by rule "pgtypes depends only on sqlerr"`,
			},
		},
		{
			name: "a test of httpapi may wire in a backend",
			pkgs: with("httpapi", func(p *Package) { p.TestImports = []string{"httpapi", "engine/duckdb"} }),
		},
		{
			name: "a test of httpapi reaches pgwire",
			pkgs: with("httpapi", func(p *Package) { p.TestImports = []string{"httpapi", "pgwire"} }),
			want: []string{`httpapi test imports pgwire: forbidden by rule "httpapi never depends on pgwire"`},
		},
		{
			name: "production code imports the test helpers",
			pkgs: append(with("gateway", func(p *Package) { p.Imports = append(p.Imports, "internal/testkit") }),
				Package{Path: "internal/testkit"}),
			want: []string{
				`cmd/setupranali imports internal/testkit (via gateway): forbidden by rule "only tests use the shared test helpers"`,
				`gateway imports internal/testkit: forbidden by rule "only tests use the shared test helpers"`,
			},
		},
		{
			name: "tests may import the test helpers",
			pkgs: append(with("planner", func(p *Package) { p.TestImports = []string{"internal/testkit"} }),
				Package{Path: "internal/testkit"}),
		},
		{
			name: "the test helpers import nothing of ours",
			pkgs: append(slices.Clone(graph), Package{Path: "internal/testkit", Imports: []string{"sqlerr"}}),
			want: []string{`internal/testkit imports sqlerr: forbidden by rule "leaf packages import nothing of ours"`},
		},
		{
			name: "production code imports the engine SQL checker",
			pkgs: append(with("gateway", func(p *Package) { p.Imports = append(p.Imports, "internal/testkit/scopecheck") }),
				Package{Path: "internal/testkit/scopecheck"}),
			want: []string{
				`cmd/setupranali imports internal/testkit/scopecheck (via gateway): forbidden by rule "only tests use the shared test helpers"`,
				`gateway imports internal/testkit/scopecheck: forbidden by rule "only tests use the shared test helpers"`,
			},
		},
		{
			name: "tests may import the engine SQL checker",
			pkgs: append(with("pgcatalog", func(p *Package) { p.TestImports = []string{"internal/testkit/scopecheck"} }),
				Package{Path: "internal/testkit/scopecheck"}),
		},
		{
			name: "the engine SQL checker imports nothing of ours",
			pkgs: append(slices.Clone(graph), Package{Path: "internal/testkit/scopecheck", Imports: []string{"sqlerr"}}),
			want: []string{`internal/testkit/scopecheck imports sqlerr: forbidden by rule "leaf packages import nothing of ours"`},
		},
		{
			name: "a test of engine may wire in a backend",
			pkgs: with("engine", func(p *Package) { p.TestImports = []string{"engine", "engine/duckdb"} }),
		},
		{
			name: "httpapi imports a backend in production code",
			pkgs: with("httpapi", func(p *Package) { p.Imports = append(p.Imports, "engine/duckdb") }),
			want: []string{
				`httpapi imports engine/duckdb: forbidden by rule "concrete backends are wired in only by the composition root"`,
				`httpapi imports engine/duckdb: forbidden by rule "httpapi never depends on a concrete backend"`,
			},
		},
		{
			name: "a test imports a program",
			pkgs: []Package{{Path: "sqlerr", TestImports: []string{"cmd/tool"}}, {Path: "cmd/tool"}},
			want: []string{
				`sqlerr test imports cmd/tool: forbidden by rule "leaf packages import nothing of ours"`,
				`sqlerr test imports cmd/tool: forbidden by rule "nothing depends on a program"`,
			},
		},
		{
			name: "the composition root may wire everything",
			pkgs: with("gateway", func(p *Package) { p.Imports = append(p.Imports, "engine/postgres") }),
		},
		{
			name: "the program reaches past the gateway",
			pkgs: with("cmd/setupranali", func(p *Package) { p.Imports = append(p.Imports, "engine/postgres", "gateway/admin") }),
			want: []string{`cmd/setupranali imports engine/postgres: forbidden by rule "cmd/setupranali imports only the assembled gateway"`},
		},
		{
			name: "the program's tests may set up what they need",
			pkgs: with("cmd/setupranali", func(p *Package) { p.TestImports = []string{"cmd/setupranali", "engine/postgres"} }),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range Check(Rules, tc.pkgs) {
				got = append(got, v.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"...", "anything/at/all", true},
		{"engine", "engine", true},
		{"engine", "engine/duckdb", false},
		{"engine/...", "engine", true},
		{"engine/...", "engine/duckdb", true},
		{"engine/...", "enginex", false},
		{"httpapi/...", "httpapi/odata", true},
	} {
		if got := Match(tc.pattern, tc.path); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
