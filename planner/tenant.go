package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
)

// The tenant pass substitutes each dataset reference resolve found by a derived table over the
// physical source that already carries the tenant predicate (fail closed):
//
//	(SELECT <field> AS <dimension>, ..., <field> AS <metric>, ...
//	   FROM <schema>.<physical table> WHERE <rls column> = '<tenant>') AS <alias>
//
// Every column the client can name is projected here, so nothing outside this block can reach
// the physical table or its other columns; the prune pass (prune.go) later drops the ones the
// statement does not read. The tenant value is a literal node; the deparser quotes it. Whether
// the principal may read rows at all is checked by resolve, where the reference is found.

// datasetRef is a dataset reference resolve found: the FROM item node the derived table
// replaces, and what the derived table is built from.
type datasetRef struct {
	node *pg_query.Node
	ds   *catalog.Dataset
	// alias is the client's alias clause (nil when it gave none); name the name the reference
	// goes by.
	alias *pg_query.Alias
	name  string
	ref   *tenantRef
}

// substituteTenants is the tenant pass.
func substituteTenants(s *planState) error {
	for _, r := range s.datasetRefs {
		sub, err := s.tenantScoped(r.ds, r.alias, r.name)
		if err != nil {
			return err
		}
		body := sub.Subquery.GetSelectStmt()
		for _, f := range r.ref.keys {
			body.TargetList = append(body.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(keyColumn(f), columnRef(f), -1))
		}
		r.node.Node = &pg_query.Node_RangeSubselect{RangeSubselect: sub}
		r.ref.body = sub.Subquery.GetSelectStmt()
	}
	return nil
}

// tenantScoped builds the derived table that replaces a reference to ds.
func (s *planState) tenantScoped(ds *catalog.Dataset, userAlias *pg_query.Alias, alias string) (*pg_query.RangeSubselect, error) {
	targets := make([]*pg_query.Node, 0, len(ds.Dimensions)+len(ds.Metrics))
	for _, d := range ds.Dimensions {
		val := columnRef(d.Field)
		if d.SQL != "" {
			var err error
			if val, err = s.catalogExpr(ds, d.Name, d.SQL); err != nil {
				return nil, err
			}
		}
		// localTimestamp reads only the session; it is a binder method of timezone.go.
		val = (&binder{planState: s}).localTimestamp(ds, d, val)
		targets = append(targets, pg_query.MakeResTargetNodeWithNameAndVal(d.Name, val, -1))
	}
	for _, m := range ds.Metrics {
		if m.Derived() {
			// Computed after aggregation from the metrics it combines; nothing to carry.
			continue
		}
		val := pg_query.MakeAConstIntNode(1, -1) // a count of rows: every row carries a value
		if m.Expression.Field != "" {
			val = columnRef(m.Expression.Field)
		}
		if m.Expression.Filter != "" {
			// A filtered metric carries NULL on rows outside its filter; every aggregation
			// skips NULLs, so the metric aggregates exactly the rows the filter keeps.
			cond, err := s.catalogExpr(ds, m.Name, m.Expression.Filter)
			if err != nil {
				return nil, err
			}
			val = caseWhen(cond, val)
		}
		targets = append(targets, pg_query.MakeResTargetNodeWithNameAndVal(m.Name, val, -1))
	}
	sel := &pg_query.SelectStmt{
		TargetList:  targets,
		FromClause:  []*pg_query.Node{s.physicalTable(ds)},
		WhereClause: s.tenantPredicate(ds),
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	a := userAlias
	if a == nil {
		a = &pg_query.Alias{Aliasname: alias}
	}
	return &pg_query.RangeSubselect{
		Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}},
		Alias:    a,
	}, nil
}

// physicalTable names the source table, always schema-qualified so that no CTE of the client's
// can stand in for it.
func (s *planState) physicalTable(ds *catalog.Dataset) *pg_query.Node {
	ref := ds.Source.Reference
	schema, table := "", ref
	if i := strings.LastIndexByte(ref, '.'); i >= 0 {
		schema, table = ref[:i], ref[i+1:]
	}
	if schema == "" {
		schema = s.cfg.DefaultSchemas[ds.Source.Engine]
	}
	rv := &pg_query.RangeVar{Schemaname: schema, Relname: table, Inh: true, Relpersistence: "p", Location: -1}
	s.physical[rv] = true
	return &pg_query.Node{Node: &pg_query.Node_RangeVar{RangeVar: rv}}
}

// tenantPredicate is the row filter of a dataset for the session's principal; nil means every
// row. It fails closed: a principal without a usable tenant value matches no row.
func (s *planState) tenantPredicate(ds *catalog.Dataset) *pg_query.Node {
	rls := ds.RLS
	if !rls.Enabled {
		return nil
	}
	p := s.sess.Principal
	if p.IsAdmin() && rls.AllowAdminBypass {
		s.notes = append(s.notes, "rls bypassed for admin on "+ds.ID)
		return nil
	}
	tenants := p.Tenants
	col := columnRef(rls.Column)
	switch {
	case rls.Mode == "in_list" && len(tenants) > 0:
		items := make([]*pg_query.Node, len(tenants))
		for i, t := range tenants {
			items[i] = pg_query.MakeAConstStrNode(t, -1)
		}
		return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_IN, []*pg_query.Node{pg_query.MakeStrNode("=")},
			col, pg_query.MakeListNode(items), -1)
	case rls.Mode != "in_list" && len(tenants) == 1:
		return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode("=")},
			col, pg_query.MakeAConstStrNode(tenants[0], -1), -1)
	}
	s.notes = append(s.notes, "no tenant value: "+ds.ID+" yields no rows")
	return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
		Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: false}}, Location: -1}}}
}

func columnRef(names ...string) *pg_query.Node {
	fields := make([]*pg_query.Node, len(names))
	for i, n := range names {
		fields[i] = pg_query.MakeStrNode(n)
	}
	return pg_query.MakeColumnRefNode(fields, -1)
}
