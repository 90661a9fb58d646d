package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a catalog file.
type Problem struct {
	File string
	// Line is 1-based; 0 when the problem has no position (e.g. an empty file).
	Line    int
	Message string
}

// String renders the problem as "file:line: message", the form editors and CI logs link.
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
}

// ValidationError lists every problem found in a catalog file, sorted by position.
type ValidationError struct {
	Problems []Problem
}

// Error returns one "file:line: message" per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by file and line. The sort is stable so problems on one line keep
// the order they were found in, which follows the file's own structure.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}
