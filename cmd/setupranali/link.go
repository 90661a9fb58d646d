package main

// The embedded DuckDB is a static C++ library of some 60,000 symbols. Go links cgo programs with
// -rdynamic, which would export them all from the executable; the dynamic loader then looks at
// that table for every symbol libstdc++ and libc resolve at start-up, paging in about 6 MB of it.
// Nothing loads code that links back against the executable (DuckDB's extension loading is
// switched off, see engine/duckdb), so the archives' symbols stay local.

// #cgo LDFLAGS: -Wl,--no-export-dynamic
import "C"
