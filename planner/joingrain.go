package planner

import (
	"fmt"
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
)

// Aggregating a metric at its own grain through a join that may repeat its rows (the join
// pass, join.go). When the metric's dataset declares a primaryKey, the block that aggregates
//
//	SELECT <items> FROM <joins> WHERE <w> GROUP BY <g> HAVING <h> ORDER BY <o>
//
// becomes
//
//	SELECT <items over r.__gN> FROM
//	  (SELECT DISTINCT <g> AS __g1, ..., r.<key> AS __k1, ..., r.<carrier>, ...
//	     FROM <joins> WHERE <w>) r
//	GROUP BY r.__g1, ... HAVING <h> ORDER BY <o>
//
// under the alias r of the metric's relation. The joins and WHERE still decide which rows of r
// count and which groups each falls in; DISTINCT keeps each row of r once per group (its key
// identifies it, and its carriers are values of that row), so sum, count, avg, stddev and
// variance read each row once, exactly, on every engine. The metric references of the block
// keep their spelling (r.<carrier>), and the expand pass aggregates them as always.
//
// The select list, HAVING and ORDER BY may then read only the groups and the metrics of r;
// anything else (another relation's column outside a grouped expression, a client's own
// aggregate over the joined rows, a window, a sub-select) has no meaning over the de-duplicated
// rows and is refused.

// aggregateAtGrain rewrites block jb so the metrics of f.rel are aggregated once per row.
func (s *planState) aggregateAtGrain(jb *joinBlock, f *fanOut) error {
	sel, r := jb.sel, f.rel
	refuse := func(format string, args ...any) error {
		return s.fanOutRefusal(f).WithDetail("the gateway de-duplicates the rows of %s by its primary key, but "+format, append([]any{relationName(r)}, args...)...)
	}
	if len(sel.WindowClause) > 0 || len(sel.DistinctClause) > 0 && sel.DistinctClause[0] != nil && sel.DistinctClause[0].Node != nil {
		return refuse("the block has a window or DISTINCT ON")
	}
	for _, t := range sel.TargetList {
		// Items keep the names they had (enclosing blocks and clients read them), whatever
		// they read from now.
		if rt := t.GetResTarget(); rt.Name == "" {
			rt.Name = figureName(rt)
		}
	}
	own := map[*pg_query.Node]bool{}
	var carriers []string
	seen := map[string]bool{}
	addCarrier := func(name string) {
		if !seen[name] {
			seen[name] = true
			carriers = append(carriers, name)
		}
	}
	for _, e := range s.expansions {
		if e.r.from != r {
			continue
		}
		own[e.node] = true
		if e.r.col.metric.Derived() {
			for _, p := range e.r.col.parts {
				addCarrier(p.col)
			}
		} else {
			addCarrier(e.r.col.name)
		}
	}

	// The grouped expressions move into the de-duplicating block; the block reads them back
	// as r.__gN.
	inner := &pg_query.SelectStmt{
		DistinctClause: []*pg_query.Node{{}},
		FromClause:     sel.FromClause,
		WhereClause:    sel.WhereClause,
		Op:             pg_query.SetOperation_SETOP_NONE,
		LimitOption:    pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	g := s.liftGroups(sel, r.alias)
	groupKeys, groupKinds, groupRefs := g.keys, g.kinds, g.refs
	inner.TargetList = append(inner.TargetList, g.targets...)
	for j, ref := range s.keyRefs(r) {
		inner.TargetList = append(inner.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(fmt.Sprintf("__k%d", j+1), ref, -1))
	}
	for _, c := range carriers {
		inner.TargetList = append(inner.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(c, s.createdRef(r.alias, c), -1))
	}

	// What the block still reads must be a group or a metric of r.
	if err := s.groupedReads(sel, own, groupKeys, groupKinds, groupRefs, r.alias, refuse); err != nil {
		return err
	}
	sel.FromClause = []*pg_query.Node{{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
		Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: inner}},
		Alias:    &pg_query.Alias{Aliasname: r.alias},
	}}}}
	sel.WhereClause = nil
	s.notes = append(s.notes, "join: metrics of "+r.alias+" aggregated once per row of its primary key")
	return nil
}

// groupedReads checks that the select list, HAVING and ORDER BY of a rewritten block read
// only groups and the metrics being kept at their grain (own expansion nodes): an expression
// equal to a grouped one becomes rel.__gN, and anything else refuses.
func (s *planState) groupedReads(sel *pg_query.SelectStmt, own map[*pg_query.Node]bool, groupKeys, groupKinds []string, groupRefs []*pg_query.Node, rel string, refuse func(string, ...any) error) error {
	created := map[*pg_query.ColumnRef]bool{}
	for _, ref := range groupRefs {
		created[ref.GetColumnRef()] = true
	}
	// Only a node of the same kind as a grouped expression can equal it; the others are not
	// encoded (exprKey is the costly part of the walk).
	kinds := map[string]bool{}
	for _, k := range groupKinds {
		kinds[k] = true
	}
	var bad error
	check := func(root *pg_query.Node) {
		if root == nil || bad != nil {
			return
		}
		sqlast.Walk(root, func(n *pg_query.Node) bool {
			if bad != nil || own[n] {
				return false
			}
			key := ""
			if cr := n.GetColumnRef(); n.Node != nil && kinds[nodeKind(n)] && (cr == nil || !created[cr]) {
				key = exprKey(n)
			}
			for j, k := range groupKeys {
				if key == k {
					ref := s.createdRef(rel, fmt.Sprintf("__g%d", j+1))
					created[ref.GetColumnRef()] = true
					n.Node = ref.Node
					return false
				}
			}
			switch v := n.Node.(type) {
			case *pg_query.Node_ColumnRef:
				if !created[v.ColumnRef] {
					bad = refuse("the query reads %s outside the grouped expressions", deparseExpr(n))
				}
			case *pg_query.Node_SubLink:
				bad = refuse("the block has a sub-select in its select list, HAVING or ORDER BY")
			case *pg_query.Node_FuncCall:
				_, name := funcName(v.FuncCall)
				if spec, ok := functions[name]; ok && (spec.aggregate || spec.window) {
					bad = refuse("the block also computes %s over the joined rows", name)
				}
			}
			return bad == nil
		})
	}
	for _, t := range sel.TargetList {
		check(t.GetResTarget().Val)
	}
	check(sel.HavingClause)
	for _, o := range sel.SortClause {
		if _, ok := ordinal(o.GetSortBy().Node); !ok {
			check(o.GetSortBy().Node)
		}
	}
	return bad
}

// keyRefs are references, in the block of r, to the columns that identify a row of r: its
// dataset's key columns (projected by the tenant pass where no dimension holds them), or for a
// plain sub-select over a dataset (r.through) that dataset's key columns, which the sub-select
// then passes up as extra columns named keyColumn(field). A plain sub-select over such a
// sub-select (r.through.rel.through) has them passed up through every level.
func (s *planState) keyRefs(r *relation) []*pg_query.Node {
	t := r.through
	if t == nil {
		refs := make([]*pg_query.Node, 0, len(r.keys))
		for _, k := range r.keys {
			if k.projected && !slices.Contains(r.ref.keys, k.field) {
				r.ref.keys = append(r.ref.keys, k.field)
			}
			r.ref.use(k.col)
			refs = append(refs, s.createdRef(r.alias, k.col))
		}
		return refs
	}
	inner := s.keyRefs(t.rel)
	fields := keyFields(t.rel)
	refs := make([]*pg_query.Node, 0, len(inner))
	for i, ref := range inner {
		name := keyColumn(fields[i])
		if !t.passed[name] {
			if t.passed == nil {
				t.passed = map[string]bool{}
			}
			t.passed[name] = true
			t.sel.TargetList = append(t.sel.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, ref, -1))
		}
		refs = append(refs, s.createdRef(r.alias, name))
	}
	return refs
}

// keyFields are the key fields keyRefs(r) identifies r's rows by, in the same order: those of
// the dataset r is, or that the plain sub-selects r stands for read.
func keyFields(r *relation) []string {
	for r.through != nil {
		r = r.through.rel
	}
	out := make([]string, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.field
	}
	return out
}

// createdRef is a column reference the planner writes, bound for the prune pass.
func (s *planState) createdRef(rel, col string) *pg_query.Node {
	ref := columnRef(rel, col)
	s.bindCreated(ref)
	return ref
}

// datasetKeys are the columns of a dataset relation holding its primary key fields: a
// dimension that reads the field as it is, or else a column the tenant pass will project.
func datasetKeys(ds *catalog.Dataset, cols []column) []relKey {
	keys := make([]relKey, 0, len(ds.PrimaryKey))
	for _, f := range ds.PrimaryKey {
		k := relKey{field: f, col: keyColumn(f), projected: true}
		for i, d := range ds.Dimensions {
			if d.Field == f && d.SQL == "" {
				k = relKey{field: f, col: cols[i].name}
				break
			}
		}
		keys = append(keys, k)
	}
	if rls := ds.RLS; len(keys) > 0 && rls.Enabled && !slices.Contains(ds.PrimaryKey, rls.Column) {
		// A principal of several tenants reads rows of each; a key need only be unique within
		// a tenant, so the tenant column is part of a row's identity.
		keys = append(keys, relKey{field: rls.Column, col: keyColumn(rls.Column), projected: true, tenant: true})
	}
	return keys
}

// oneTenantKeys reports whether the rows of ds the principal reads are unique on its
// primaryKey alone: a key need only be unique within a tenant, so where the principal reads
// several tenants' rows (an admin bypassing row-level security, an in_list principal of several
// tenants) two rows may share it, and a join on it is not taken to match at most one row.
func (b *binder) oneTenantKeys(ds *catalog.Dataset) bool {
	rls := ds.RLS
	if !rls.Enabled || slices.Contains(ds.PrimaryKey, rls.Column) {
		return true
	}
	p := b.sess.Principal
	if p.IsAdmin() && rls.AllowAdminBypass {
		return false
	}
	return rls.Mode != "in_list" || len(p.Tenants) <= 1
}

// keyPositions is the unique set of a dataset relation: the positions of the dimensions that
// hold its whole primary key (none when a key field has no dimension: no join can name it).
func keyPositions(keys []relKey, cols []column) [][]int {
	if len(keys) == 0 {
		return nil
	}
	var set []int
	for _, k := range keys {
		if k.tenant {
			continue
		}
		if k.projected {
			return nil
		}
		set = append(set, columnIndex(&relation{cols: cols}, k.col))
	}
	return [][]int{set}
}

// withTenantColumn is the unique set of a dataset relation whose rows may be of several
// tenants (oneTenantKeys false): its primary key is unique only within a tenant, so the set is
// the key's positions and the position (dimensions come first) of a dimension holding the
// row-level security column as it is. A join that equates the key and the tenant column
// matches at most one row; without such a dimension no join can name the tenant, and the
// relation is unique on nothing.
func withTenantColumn(unique [][]int, ds *catalog.Dataset) [][]int {
	if len(unique) == 0 {
		return nil
	}
	for i, d := range ds.Dimensions {
		if d.Field == ds.RLS.Column && d.SQL == "" {
			return [][]int{append(slices.Clone(unique[0]), i)}
		}
	}
	return nil
}

// keyColumn is the name under which the tenant pass projects a primary key field no dimension
// holds.
func keyColumn(field string) string { return "__key_" + field }

// exprKey identifies an expression by its content, without parser locations.
func exprKey(n *pg_query.Node) string {
	c := cloneNode(n)
	clearLocations(c.ProtoReflect())
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	return string(b)
}

// deparseExpr is an expression's SQL, for messages.
func deparseExpr(n *pg_query.Node) string {
	sel := &pg_query.SelectStmt{TargetList: []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(cloneNode(n), -1)},
		Op: pg_query.SetOperation_SETOP_NONE, LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT}
	sql, err := pg_query.Deparse(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil || len(sql) < 7 {
		return "a column"
	}
	return sql[7:]
}

// aggregateEach rewrites block jb whose metrics come from several relations (rels, in FROM
// order; repeated are those the joins may repeat, each with a primary key). The joined rows are
// computed once, as a CTE of the block; each relation's metrics are aggregated apart from them,
// de-duplicated per (groups, key) where the relation is repeated; the per-relation aggregates
// are joined on the groups with IS NOT DISTINCT FROM (a NULL group is a group):
//
//	WITH __join_rowsN AS (SELECT <g> AS __g1, ..., r.<key> AS __k1_1, r.<carrier> AS __c1_<carrier>, ...
//	                        FROM <joins> WHERE <w>)
//	SELECT <items over __j1.__gN and __jI.__vK> FROM
//	  (SELECT r.__g1, ..., <r's metric> AS __v1 FROM
//	     (SELECT DISTINCT __g1, ..., __k1_1, __c1_<carrier> AS <carrier> FROM __join_rowsN) r
//	   GROUP BY ...) __j1, ...
//	WHERE __j1.__g1 IS NOT DISTINCT FROM __j2.__g1 ... AND <having>
//
// Every per-relation aggregate groups the same joined rows by the same expressions, so each has
// the same groups and the join pairs them one to one. A derived metric of one relation combines
// its parts inside that relation's aggregate; a formula over several relations' metrics in the
// select list combines them after each was aggregated at its own grain.
func (s *planState) aggregateEach(jb *joinBlock, rels []*relation, repeated map[*relation]bool, f *fanOut) error {
	sel := jb.sel
	refuse := func(format string, args ...any) error {
		return s.fanOutRefusal(f).WithDetail("the gateway aggregates each relation's metrics at its own grain, but "+format, args...)
	}
	if len(sel.WindowClause) > 0 || len(sel.DistinctClause) > 0 && sel.DistinctClause[0] != nil && sel.DistinctClause[0].Node != nil {
		return refuse("the block has a window or DISTINCT ON")
	}
	for _, t := range sel.TargetList {
		if rt := t.GetResTarget(); rt.Name == "" {
			rt.Name = figureName(rt)
		}
	}
	s.joinSeq++
	rowsName := fmt.Sprintf("__join_rows%d", s.joinSeq)
	rows := &pg_query.SelectStmt{
		FromClause:  sel.FromClause,
		WhereClause: sel.WhereClause,
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	g := s.liftGroups(sel, "__j1")
	groupKeys, groupKinds, groupNames, groupRefs := g.keys, g.kinds, g.names, g.refs
	rows.TargetList = append(rows.TargetList, g.targets...)

	own := map[*pg_query.Node]bool{}
	var from []*pg_query.Node
	for i, r := range rels {
		agg := fmt.Sprintf("__j%d", i+1)
		rowsOf := &pg_query.SelectStmt{FromClause: []*pg_query.Node{rangeVarNode(rowsName)},
			Op: pg_query.SetOperation_SETOP_NONE, LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT}
		aggSel := &pg_query.SelectStmt{Op: pg_query.SetOperation_SETOP_NONE, LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT}
		for _, g := range groupNames {
			rowsOf.TargetList = append(rowsOf.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(g, s.createdRef(rowsName, g), -1))
			aggSel.TargetList = append(aggSel.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(g, s.createdRef(r.alias, g), -1))
			aggSel.GroupClause = append(aggSel.GroupClause, s.createdRef(r.alias, g))
		}
		if repeated[r] {
			rowsOf.DistinctClause = []*pg_query.Node{{}}
			for j, ref := range s.keyRefs(r) {
				name := fmt.Sprintf("__k%d_%d", i+1, j+1)
				rows.TargetList = append(rows.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, ref, -1))
				rowsOf.TargetList = append(rowsOf.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, s.createdRef(rowsName, name), -1))
			}
		}
		seen := map[string]bool{}
		carry := func(c string) {
			if seen[c] {
				return
			}
			seen[c] = true
			name := fmt.Sprintf("__c%d_%s", i+1, c)
			rows.TargetList = append(rows.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, s.createdRef(r.alias, c), -1))
			rowsOf.TargetList = append(rowsOf.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(c, s.createdRef(rowsName, name), -1))
		}
		v := 0
		for _, e := range s.expansions {
			if e.r.from != r {
				continue
			}
			if e.r.col.metric.Derived() {
				for _, p := range e.r.col.parts {
					carry(p.col)
				}
			} else {
				carry(e.r.col.name)
			}
			// The metric is aggregated in the relation's own aggregate; where it stood, the
			// block reads that aggregate's column.
			v++
			name := fmt.Sprintf("__v%d", v)
			moved := &pg_query.Node{Node: e.node.Node}
			e.node.Node = s.createdRef(agg, name).Node
			s.bindCreated(e.node)
			own[e.node] = true
			e.node = moved
			aggSel.TargetList = append(aggSel.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(name, moved, -1))
		}
		aggSel.FromClause = []*pg_query.Node{{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
			Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: rowsOf}},
			Alias:    &pg_query.Alias{Aliasname: r.alias},
		}}}}
		from = append(from, &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
			Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: aggSel}},
			Alias:    &pg_query.Alias{Aliasname: agg},
		}}})
	}
	if err := s.groupedReads(sel, own, groupKeys, groupKinds, groupRefs, "__j1", refuse); err != nil {
		return err
	}
	var conds []*pg_query.Node
	for i := 1; i < len(rels); i++ {
		for _, g := range groupNames {
			conds = append(conds, pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT, []*pg_query.Node{pg_query.MakeStrNode("=")},
				s.createdRef("__j1", g), s.createdRef(fmt.Sprintf("__j%d", i+1), g), -1))
		}
	}
	if sel.HavingClause != nil {
		// The block no longer aggregates: HAVING filters the joined aggregates.
		conds = append(conds, sel.HavingClause)
	}
	sel.FromClause, sel.WhereClause, sel.GroupClause, sel.HavingClause = from, nil, nil, nil
	switch len(conds) {
	case 0:
	case 1:
		sel.WhereClause = conds[0]
	default:
		sel.WhereClause = pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, conds, -1)
	}
	cte := &pg_query.Node{Node: &pg_query.Node_CommonTableExpr{CommonTableExpr: &pg_query.CommonTableExpr{
		Ctename: rowsName, Ctematerialized: pg_query.CTEMaterialize_CTEMaterializeDefault,
		Ctequery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: rows}}, Location: -1}}}
	if sel.WithClause == nil {
		sel.WithClause = &pg_query.WithClause{Location: -1}
	}
	sel.WithClause.Ctes = append(sel.WithClause.Ctes, cte)
	s.notes = append(s.notes, "join: each relation's metrics aggregated at its own grain, joined on the groups")
	return nil
}

// rangeVarNode names a CTE of the statement.
func rangeVarNode(name string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: &pg_query.RangeVar{Relname: name, Inh: true, Relpersistence: "p", Location: -1}}}
}

// liftedGroups are a block's grouped expressions after liftGroups moved them into the block
// below: each is selected there as __gN (targets), and the block reads it back as rel.__gN
// (refs); keys and kinds let later checks recognise an expression equal to a grouped one.
type liftedGroups struct {
	keys, kinds, names []string
	refs, targets      []*pg_query.Node
}

// liftGroups rewrites sel's GROUP BY (by expression or by ordinal) to read rel.__gN, and
// returns the expressions to select under those names in the relation rel stands for.
func (s *planState) liftGroups(sel *pg_query.SelectStmt, rel string) liftedGroups {
	var g liftedGroups
	for j, item := range sel.GroupClause {
		name := fmt.Sprintf("__g%d", j+1)
		ref := s.createdRef(rel, name)
		expr := item
		if i, ok := ordinal(item); ok {
			rt := sel.TargetList[i-1].GetResTarget()
			expr, rt.Val = rt.Val, ref
		} else {
			sel.GroupClause[j] = ref
		}
		g.keys = append(g.keys, exprKey(expr))
		g.kinds = append(g.kinds, nodeKind(expr))
		g.names = append(g.names, name)
		g.refs = append(g.refs, ref)
		g.targets = append(g.targets, pg_query.MakeResTargetNodeWithNameAndVal(name, expr, -1))
	}
	return g
}
