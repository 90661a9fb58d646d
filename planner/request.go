package planner

import (
	"fmt"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/sqlerr"
)

// Requests a front door builds as a parse tree (the HTTP doors' semantic queries) plan through
// StatementFromTree and Plan: the same passes, tenant filters, scopes and row caps as SQL text,
// with no text written or parsed on the way in.

// StatementFromTree makes a Statement of a parse tree built rather than parsed: exactly one
// statement, in the parser's own tree format. A tree without a version gets the version of the
// linked parser, which the deparser insists on; one made for another parser version is refused.
//
// The Statement has no SQL text. Its plans are cached under the tree's encoding, which equal
// requests share (literals are parameters, so requests that differ only in values share too).
// The Statement owns the tree from here: the caller must not change it afterwards.
func StatementFromTree(tree *pg_query.ParseResult) (*Statement, error) {
	if tree == nil || len(tree.Stmts) != 1 || tree.Stmts[0].GetStmt().GetNode() == nil {
		return nil, sqlerr.Internal(fmt.Errorf("a request tree must hold exactly one statement"))
	}
	version := tree.Version
	if version == 0 {
		version = parserVersion()
	}
	if version != parserVersion() {
		return nil, sqlerr.Internal(fmt.Errorf("request tree of parser version %d, the planner's is %d", version, parserVersion()))
	}
	node := tree.Stmts[0].Stmt
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(node)
	if err != nil {
		return nil, sqlerr.Internal(fmt.Errorf("encoding a request tree: %w", err))
	}
	// A NUL byte first: statement text never holds one (the parser stops at it), so no text
	// a client sends can share a plan cache entry with a tree.
	return &Statement{node: node, version: version, key: "\x00tree\x00" + string(enc)}, nil
}

// parserVersion is the tree format version of the linked pg_query parser (PostgreSQL's version
// number). It is learnt once from parsing an empty string, as pg_query does not export it.
var parserVersion = sync.OnceValue(func() int32 {
	tree, err := pg_query.Parse("")
	if err != nil {
		panic(fmt.Sprintf("pg_query cannot parse an empty string: %v", err))
	}
	return tree.Version
})

// cacheText is what the plan cache keys a statement by: its text, or a built tree's encoding.
func (st *Statement) cacheText() string {
	if st.key != "" {
		return st.key
	}
	return st.SQL
}
