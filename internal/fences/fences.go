package fences

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Package is one package of the module as the check sees it. Paths are relative to the module
// root ("planner", "engine/duckdb"), and only the module's own packages appear in the import lists:
// third-party and standard-library imports are not fenced here.
type Package struct {
	Path string
	// Imports are the direct imports of the package's non-test files.
	Imports []string
	// TestImports are the direct imports of its _test.go files, in-package and external
	// (package x_test) alike, since both are compiled on the package's behalf.
	TestImports []string
}

// Rule forbids some dependencies to a set of packages. A package is governed by the rule when it
// matches From and not Except. It then must not depend on a package matching Deny, and, when
// AllowOnly is non-nil, on no package of the module outside AllowOnly (an empty non-nil AllowOnly
// means: depends on nothing of ours).
//
// Patterns are module-relative paths; "x/..." matches x and every package below it, "..." matches
// all.
type Rule struct {
	Name      string
	From      []string
	Except    []string
	Deny      []string
	AllowOnly []string
	// Tests extends the rule to what the package's tests depend on. Off for rules that only hold
	// for production code: tests of a core package may wire in a concrete backend.
	Tests bool
	// Direct limits the rule to the package's own imports, for a rule about whom a package may
	// talk to rather than what it ends up depending on (a program that reaches everything
	// through the one package it imports).
	Direct bool
}

// Violation is one forbidden dependency: Importer depends on Import along Path (Importer first,
// Import last; two elements for a direct import).
type Violation struct {
	Rule     string
	Importer string
	Import   string
	Path     []string
	Test     bool
}

func (v Violation) String() string {
	kind := "imports"
	if v.Test {
		kind = "test imports"
	}
	via := ""
	if len(v.Path) > 2 {
		via = " (via " + strings.Join(v.Path[1:len(v.Path)-1], " -> ") + ")"
	}
	return fmt.Sprintf("%s %s %s%s: forbidden by rule %q", v.Importer, kind, v.Import, via, v.Rule)
}

// Match reports whether the module-relative path p matches pattern.
func Match(pattern, p string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if Match(pat, p) {
			return true
		}
	}
	return false
}

// Check returns every violation of rules in pkgs, sorted, one per (rule, importer, import, test).
// A dependency on a package that pkgs does not describe is still checked; its own imports are
// then unknown and not followed.
func Check(rules []Rule, pkgs []Package) []Violation {
	graph := make(map[string][]string, len(pkgs))
	for _, p := range pkgs {
		graph[p.Path] = p.Imports
	}
	var out []Violation
	for _, p := range pkgs {
		prod := reach(graph, p.Path, p.Imports)
		var test map[string][]string
		for _, r := range rules {
			if !matchAny(r.From, p.Path) || matchAny(r.Except, p.Path) {
				continue
			}
			if r.Direct {
				out = append(out, violations(r, p.Path, direct(p.Path, p.Imports), false)...)
				if r.Tests {
					// Only what the tests add, as below.
					tdeps := direct(p.Path, p.TestImports)
					for _, d := range p.Imports {
						delete(tdeps, d)
					}
					out = append(out, violations(r, p.Path, tdeps, true)...)
				}
				continue
			}
			out = append(out, violations(r, p.Path, prod, false)...)
			if r.Tests && len(p.TestImports) > 0 {
				if test == nil {
					// Only what the tests add: a production dependency is reported once, above.
					test = reach(graph, p.Path, p.TestImports)
					for dep := range prod {
						delete(test, dep)
					}
				}
				out = append(out, violations(r, p.Path, test, true)...)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Importer != b.Importer {
			return a.Importer < b.Importer
		}
		if a.Import != b.Import {
			return a.Import < b.Import
		}
		if a.Test != b.Test {
			return !a.Test
		}
		return a.Rule < b.Rule
	})
	return out
}

func violations(r Rule, importer string, deps map[string][]string, test bool) []Violation {
	var out []Violation
	for dep, path := range deps {
		denied := matchAny(r.Deny, dep)
		if r.AllowOnly != nil && !matchAny(r.AllowOnly, dep) {
			denied = true
		}
		if denied {
			out = append(out, Violation{Rule: r.Name, Importer: importer, Import: dep, Path: path, Test: test})
		}
	}
	return out
}

// direct returns root's own imports (but root itself, which its external tests import), each
// with its one-step path.
func direct(root string, imports []string) map[string][]string {
	paths := make(map[string][]string, len(imports))
	for _, d := range imports {
		if d != root {
			paths[d] = []string{root, d}
		}
	}
	return paths
}

// reach returns every package reachable from root through direct (the root's own import list)
// and then the production imports of graph, each with the shortest path from root. The root
// itself is left out: an external test importing its own package is not a dependency on itself.
func reach(graph map[string][]string, root string, direct []string) map[string][]string {
	paths := map[string][]string{}
	var queue []string
	for _, d := range direct {
		if d == root {
			// The package under test: what it depends on is what its tests reach too.
			for _, dd := range graph[root] {
				if _, seen := paths[dd]; !seen && dd != root {
					paths[dd] = []string{root, dd}
					queue = append(queue, dd)
				}
			}
			continue
		}
		if _, seen := paths[d]; !seen {
			paths[d] = []string{root, d}
			queue = append(queue, d)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range graph[cur] {
			if next == root {
				continue
			}
			if _, seen := paths[next]; seen {
				continue
			}
			paths[next] = append(slices.Clone(paths[cur]), next)
			queue = append(queue, next)
		}
	}
	return paths
}
