package planner

import "flag"

// Update is the -update flag of every golden test of the package: the end-to-end case files
// (golden_test.go) and the per-pass files (pass_test.go). It lives here because both test
// packages build into one binary, where a flag may be defined once.
var Update = flag.Bool("update", false, "rewrite the golden files with the planner's current output")

// EndGrace ends a retired snapshot's grace now, as its timer would.
func (s *Snapshot) EndGrace() { s.endGrace() }
