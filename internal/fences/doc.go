// Package fences states the shape ARCHITECTURE.md draws for this module and checks it, so that a
// change out of shape fails `go test ./...` and with it CI:
//
//   - the import rules between the module's packages (Rules, Check): a rule is about
//     dependencies, not only direct imports, since a package that reaches a forbidden one through
//     an allowed intermediate crosses the fence just the same; the message names the path;
//   - where SQLSTATEs live (FindSQLStates): only package sqlerr spells them; every other package
//     names sqlerr's constants;
//   - that no test polls forever (FindSleepLoops): a loop in a _test.go file that calls
//     time.Sleep is bounded by a count or names a deadline, so a wait that never comes true fails
//     the test by name instead of hanging the run.
//
// Its tests run over `go list` of the whole module. Nothing outside tests imports this
// package.
package fences
