// Package fences states the import rules between this module's packages (the fences of
// ARCHITECTURE.md's layout) and checks a package graph against them. Its test runs the check over
// `go list` of the whole module, so crossing a fence fails `go test ./...` and with it CI.
//
// A rule is about dependencies, not only direct imports: a package that reaches a forbidden one
// through an allowed intermediate crosses the fence just the same, and the message names the path.
// Nothing outside tests imports this package.
package fences
