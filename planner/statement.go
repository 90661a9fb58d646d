package planner

import (
	"errors"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/setupranali/setupranali/sqlerr"
)

// Statement is one parsed statement of a query string, ready to plan.
type Statement struct {
	// SQL is the statement's own text.
	SQL string
	// offset is where SQL starts in the whole query string, so error positions can point into
	// the text the client sent.
	offset int
	node   *pg_query.Node
	// version is the parse tree's format version, which the deparser insists on.
	version int32
	// key stands for SQL in the plan cache key when the statement was built as a tree, without
	// text (request.go).
	key string
}

// Parse splits a query string into statements with PostgreSQL's own parser. A syntax error in
// any statement rejects the whole string (as PostgreSQL does), with the error position.
// A string of only whitespace and comments yields no statements.
func (p *Planner) Parse(sql string) ([]*Statement, error) {
	if p.caches != nil {
		if stmts, ok := p.caches.parsed.Get(sql); ok {
			return stmts, nil
		}
	}
	stmts, err := parse(sql)
	if err == nil && p.caches != nil {
		p.caches.parsed.Add(sql, stmts)
	}
	return stmts, err
}

// parse runs PostgreSQL's parser. Statements are immutable once made: planning works on a copy
// of the tree, so one parse can serve every connection that sends the same text.
func parse(sql string) ([]*Statement, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]*Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		start := int(raw.StmtLocation)
		end := len(sql)
		if raw.StmtLen > 0 {
			end = start + int(raw.StmtLen)
		}
		out = append(out, &Statement{SQL: strings.TrimSpace(sql[start:end]), offset: start, node: raw.Stmt, version: tree.Version})
	}
	return out, nil
}

// syntaxError turns a pg_query parse failure into 42601 with the 1-based cursor position.
func syntaxError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		e := sqlerr.New(sqlerr.SyntaxError, "%s", pe.Message)
		if pe.Cursorpos > 0 {
			e.Position = pe.Cursorpos
		}
		return e
	}
	return sqlerr.New(sqlerr.SyntaxError, "%s", err.Error())
}
