package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// column is one output column of a relation or a query block.
type column struct {
	name string
	typ  pgtypes.Type
	// metric is set when the column carries a metric's raw per-row values (see the package doc):
	// the block that aggregates it applies the metric's aggregation. For a derived metric the
	// column itself holds nothing; parts say where the metrics it combines are carried.
	metric *catalog.Metric
	parts  []part
	// hidden columns carry the parts of a derived metric through sub-selects; clients cannot
	// name them and * does not show them.
	hidden bool
	// origin is the dataset column this column reads as it is (origin.go).
	origin origin
}

// part is one metric a derived metric combines, and the column of the same relation that
// carries it.
type part struct {
	metric *catalog.Metric
	col    string
}

// relation is an item of a FROM clause as the block sees it.
type relation struct {
	// alias is the name the block refers to it by ("" for an unnamed sub-select).
	alias string
	cols  []column
	// dataset is set when the relation is a dataset itself, so its dimensions can be counted.
	dataset string
	// ref is the derived table that stands for the dataset (see prune.go).
	ref *tenantRef
	// unique are the sets of column positions (into cols) on which the relation has at most
	// one row per value; an empty set means at most one row at all (join.go).
	unique [][]int
	// metrics are the metrics whose carriers the block reads from this relation, for the join
	// pass to keep each at its own grain (join.go).
	metrics []*catalog.Metric
	// keys are the columns of a dataset relation that hold its primary key, in primaryKey order
	// (none when the dataset declares none): a dimension over the key field, or a column the
	// tenant pass projects for the join pass alone (joingrain.go).
	keys []relKey
	// through is set for a plain sub-select over one dataset relation: the join pass can
	// identify its rows by that dataset's key (keyRefs, joingrain.go).
	through *keyedBlock
}

// keyedBlock is a plain block over one dataset relation with a primary key.
type keyedBlock struct {
	sel *pg_query.SelectStmt
	rel *relation
	// passed are the key columns the join pass has made the block pass up.
	passed map[string]bool
}

// relKey is one primary key field of a dataset relation and the column that holds it.
type relKey struct {
	field, col string
	// projected: no dimension reads the field as it is, so the tenant pass projects it under
	// col.
	projected bool
	// tenant: the field is the dataset's row-level security column, which completes the key
	// of a principal that reads several tenants' rows.
	tenant bool
}

// cte is a WITH query visible to a block.
type cte struct {
	name string
	cols []column
	// unique is as relation.unique, for every reference to the CTE.
	unique [][]int
	// through is as relation.through, for every reference to the CTE: a plain CTE over a
	// keyed dataset (or over such a sub-select or CTE) passes the key up like a sub-select.
	through *keyedBlock
}

// scope holds what names resolve to inside one query block.
type scope struct {
	parent *scope
	rels   []*relation
	ctes   map[string]*cte
	// eqs are the column equalities between the block's relations that its join conditions
	// and WHERE require (join.go).
	eqs []joinEq
	// merged are the columns JOIN ... USING (and NATURAL) merge: an unqualified name of one
	// resolves to the merged column rather than being ambiguous (joinnatural.go).
	merged []mergedColumn
}

func (s *scope) lookupCTE(name string) *cte {
	for sc := s; sc != nil; sc = sc.parent {
		if c, ok := sc.ctes[name]; ok {
			return c
		}
	}
	return nil
}

// resolved is the result of binding a column reference.
type resolved struct {
	col column
	// rel is the alias of the relation the column belongs to ("" for an unnamed sub-select).
	rel string
	// dataset is the id of the dataset the column is a column of, if it is one directly.
	dataset string
	// outer is true when the column belongs to an enclosing block (a correlated reference).
	outer bool
	// ref is the derived table of the dataset the column is a column of, if it is one directly.
	ref *tenantRef
	// from is the relation the column belongs to.
	from *relation
}

// resolveColumn binds a column reference of one or two name parts (relation, column).
// Lookup is exact first; an unquoted name that only differs in case from a catalog name matches
// when that is unambiguous, because tools fold names the catalog keeps mixed case.
func (s *scope) resolveColumn(rel, name string, pos int) (resolved, error) {
	outer := false
	for sc := s; sc != nil; sc = sc.parent {
		col, r, found, err := sc.resolveLocal(rel, name, pos)
		if err != nil {
			return resolved{}, err
		}
		if found {
			return resolved{col: col, rel: r.alias, dataset: r.dataset, outer: outer, ref: r.ref, from: r}, nil
		}
		outer = true
	}
	if rel != "" {
		if !s.hasRelation(rel) {
			return resolved{}, sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", rel).WithPosition(pos)
		}
		return resolved{}, sqlerr.New(sqlerr.UndefinedColumn, "column %s.%s does not exist", rel, name).WithPosition(pos)
	}
	return resolved{}, sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", name).WithPosition(pos)
}

func (s *scope) hasRelation(rel string) bool {
	for sc := s; sc != nil; sc = sc.parent {
		for _, r := range sc.rels {
			if r.alias == rel {
				return true
			}
		}
	}
	return false
}

func (s *scope) resolveLocal(rel, name string, pos int) (column, *relation, bool, error) {
	var matches []column
	var from *relation
	for _, r := range s.rels {
		if rel != "" && r.alias != rel {
			continue
		}
		if c, ok := findColumn(r.cols, name); ok {
			matches = append(matches, c)
			from = r
		}
	}
	switch len(matches) {
	case 0:
		return column{}, nil, false, nil
	case 1:
		return matches[0], from, true, nil
	}
	if rel == "" {
		if c, r, ok := s.resolveMerged(name); ok {
			return c, r, true, nil
		}
	}
	return column{}, nil, false, sqlerr.New(sqlerr.AmbiguousColumn, "column reference %q is ambiguous", name).WithPosition(pos)
}

// findColumn matches exactly, then case-insensitively when exactly one column matches.
func findColumn(cols []column, name string) (column, bool) {
	for _, c := range cols {
		if c.name == name && !c.hidden {
			return c, true
		}
	}
	if name != strings.ToLower(name) {
		// A quoted mixed-case name means exactly what it says, as in PostgreSQL.
		return column{}, false
	}
	var found column
	n := 0
	for _, c := range cols {
		if strings.EqualFold(c.name, name) && !c.hidden {
			found = c
			n++
		}
	}
	return found, n == 1
}
