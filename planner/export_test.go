package planner

// AllowedFunction reports whether a client may call the function name (lower case, without a
// schema): the planner's allowlist, for the isolation oracle of the external fuzz test.
var AllowedFunction = func(name string) bool {
	_, ok := functions[name]
	return ok
}

// EndGrace ends a retired snapshot's grace now, as its timer would.
func (s *Snapshot) EndGrace() { s.endGrace() }
