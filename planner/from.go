package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/sqlerr"
)

// fromItem binds one FROM item, rewriting dataset references in place, and returns the
// relations it brings into scope.
func (b *binder) fromItem(n *pg_query.Node, sc *scope) ([]*relation, error) {
	switch {
	case n.GetRangeVar() != nil:
		return b.rangeVar(n, n.GetRangeVar(), sc)
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		if rs.Lateral {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "LATERAL sub-selects are not supported")
		}
		sub := rs.Subquery.GetSelectStmt()
		if sub == nil {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported sub-select in FROM")
		}
		// A FROM sub-select does not see its siblings, only the CTEs and enclosing blocks.
		cols, err := b.selectStmt(sub, &scope{parent: sc.parent, ctes: sc.ctes}, blockOpts{passthrough: true})
		if err != nil {
			return nil, err
		}
		alias := ""
		if rs.Alias != nil {
			alias = rs.Alias.Aliasname
			if cols, err = renameColumns(cols, rs.Alias.Colnames, alias); err != nil {
				return nil, err
			}
		}
		return []*relation{{alias: alias, cols: cols, unique: b.uniqueOutputs(sub), through: b.keyed[sub]}}, nil
	case n.GetJoinExpr() != nil:
		return b.join(n.GetJoinExpr(), sc)
	case n.GetRangeFunction() != nil:
		name := "function"
		for _, f := range n.GetRangeFunction().Functions {
			for _, item := range f.GetList().GetItems() {
				if fc := item.GetFuncCall(); fc != nil {
					_, name = funcName(fc)
				}
			}
		}
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "table function %s() in FROM is not supported; query the catalog's datasets", name)
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported FROM item %s", nodeKind(n))
}

func (b *binder) rangeVar(n *pg_query.Node, rv *pg_query.RangeVar, sc *scope) ([]*relation, error) {
	pos := b.pos(rv.Location)
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	if rv.Schemaname == "" && rv.Catalogname == "" {
		if c := sc.lookupCTE(rv.Relname); c != nil {
			var colnames []*pg_query.Node
			if rv.Alias != nil {
				colnames = rv.Alias.Colnames
			}
			cols, err := renameColumns(c.cols, colnames, alias)
			if err != nil {
				return nil, err
			}
			return []*relation{{alias: alias, cols: cols, unique: c.unique, through: c.through}}, nil
		}
	}
	ds, err := b.lookupDataset(rv, pos)
	if err != nil {
		return nil, err
	}
	if err := b.useDataset(ds, pos); err != nil {
		return nil, err
	}
	if !b.sess.Principal.ReadsRows() {
		// Checked where every dataset reference becomes rows, so no door or query shape
		// (subquery, CTE, join, cursor, COPY) reads around it.
		return nil, sqlerr.New(sqlerr.InsufficientPrivilege, "role %s may not read rows of dataset %q; it is for operations endpoints", b.sess.Principal.Role, ds.ID)
	}
	// The tenant pass puts the filtered derived table in n's place; resolve only names it.
	ref := &tenantRef{alias: alias}
	b.refs = append(b.refs, ref)
	b.datasetRefs = append(b.datasetRefs, &datasetRef{node: n, ds: ds, alias: rv.Alias, name: alias, ref: ref})
	cols := datasetColumns(ds)
	setOrigins(cols, b.cat, ds)
	if rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
		// The alias list renames the derived table's columns by position.
		ref.full = true
		var err error
		if cols, err = renameColumns(cols, rv.Alias.Colnames, alias); err != nil {
			return nil, err
		}
	}
	keys := datasetKeys(ds, cols)
	unique := keyPositions(keys, cols)
	if !b.oneTenantKeys(ds) {
		unique = withTenantColumn(unique, ds)
	}
	return []*relation{{alias: alias, cols: cols, dataset: ds.ID, ref: ref, keys: keys, unique: unique}}, nil
}

// lookupDataset resolves a table name to a dataset the principal may see. A dataset outside
// the principal's scope does not exist for it.
func (b *binder) lookupDataset(rv *pg_query.RangeVar, pos int) (*catalog.Dataset, error) {
	full := rv.Relname
	if rv.Schemaname != "" {
		full = rv.Schemaname + "." + full
	}
	if rv.Catalogname != "" && rv.Catalogname != b.sess.Database {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cross-database references are not implemented: %s.%s", rv.Catalogname, full).WithPosition(pos)
	}
	switch rv.Schemaname {
	case "", "public":
	case "pg_catalog", "information_schema":
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "system catalog %s is not supported yet", full).WithPosition(pos)
	default:
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", full).WithPosition(pos)
	}
	ds, _ := b.cat.LookupDataset(rv.Relname)
	if ds != nil && ds.ID != rv.Relname && rv.Relname != strings.ToLower(rv.Relname) {
		// A quoted name matches exactly or not at all.
		ds = nil
	}
	if ds == nil || !b.sess.Principal.InScope(ds.ID) {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", full).WithPosition(pos)
	}
	return ds, nil
}

// datasetColumns are a dataset's columns as a relation: dimensions, then metrics as carriers.
// A derived metric points at the carriers of the metrics it combines.
func datasetColumns(ds *catalog.Dataset) []column {
	cols := make([]column, 0, len(ds.Dimensions)+len(ds.Metrics))
	for _, d := range ds.Dimensions {
		cols = append(cols, column{name: d.Name, typ: catalogType(d.Type)})
	}
	for _, m := range ds.Metrics {
		c := column{name: m.Name, typ: catalogType(m.ReturnType), metric: m}
		for _, use := range m.Expression.Uses {
			for _, base := range ds.Metrics {
				if base.Name == use {
					c.parts = append(c.parts, part{metric: base, col: base.Name})
				}
			}
		}
		cols = append(cols, c)
	}
	return cols
}

func (b *binder) join(j *pg_query.JoinExpr, sc *scope) ([]*relation, error) {
	if j.Alias != nil || j.JoinUsingAlias != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "aliases on JOIN clauses are not supported")
	}
	left, err := b.fromItem(j.Larg, sc)
	if err != nil {
		return nil, err
	}
	right, err := b.fromItem(j.Rarg, sc)
	if err != nil {
		return nil, err
	}
	rels := append(append([]*relation(nil), left...), right...)
	// The condition sees the columns its sides' own USING joins merged.
	js := &scope{parent: sc.parent, ctes: sc.ctes, rels: rels, merged: sc.merged}
	if j.IsNatural {
		if err := sc.naturalToUsing(j, left, right); err != nil {
			return nil, err
		}
	}
	if len(j.UsingClause) > 0 {
		// USING merges columns of both sides by name, beyond the references the binder sees.
		keepAll(rels)
		if err := sc.usingJoin(j, left, right); err != nil {
			return nil, err
		}
	}
	if j.Quals != nil {
		if err := b.checkFilterDepth(j.Quals, "JOIN"); err != nil {
			return nil, err
		}
		if _, err := b.expr(j.Quals, js, exprCtx{clause: "JOIN conditions"}); err != nil {
			return nil, err
		}
		sc.eqs = append(sc.eqs, b.equalities(j.Quals, js)...)
	}
	return rels, nil
}
