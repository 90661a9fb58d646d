package planner

import (
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
)

// catalogExprs holds the parsed SQL snippets (dimension SQL, metric filters and formulas) of
// one catalog snapshot, so a plan copies a parse tree instead of parsing the snippet again
// through cgo. It is tied to the snapshot: a new catalog starts an empty one, so it holds no
// more than one catalog's snippets and never serves a stale tree.
type catalogExprs struct {
	cat   *catalog.Catalog
	mu    sync.RWMutex
	trees map[string]parsedExpr
}

// parsedExpr is what sqlast.ParseExpr answered for a snippet. Its node is never handed out:
// plans rewrite their trees in place, so each gets its own copy.
type parsedExpr struct {
	node *pg_query.Node
	err  error
}

// catalogExprs returns the parsed snippets of cat.
func (p *Planner) catalogExprs(cat *catalog.Catalog) *catalogExprs {
	if c := p.exprs.Load(); c != nil && c.cat == cat {
		return c
	}
	c := &catalogExprs{cat: cat, trees: map[string]parsedExpr{}}
	p.exprs.Store(c)
	return c
}

// parse is sqlast.ParseExpr on a catalog snippet: the same tree or the same error, the tree the
// caller's own.
func (c *catalogExprs) parse(sql string) (*pg_query.Node, error) {
	c.mu.RLock()
	e, ok := c.trees[sql]
	c.mu.RUnlock()
	if !ok {
		e.node, e.err = sqlast.ParseExpr(sql)
		c.mu.Lock()
		c.trees[sql] = e
		c.mu.Unlock()
	}
	if e.err != nil {
		return nil, e.err
	}
	return cloneNode(e.node), nil
}
