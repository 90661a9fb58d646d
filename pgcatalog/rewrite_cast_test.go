package pgcatalog

import (
	"errors"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// castRewrite rewrites the cast that is the single select-list item of "SELECT <cast>" and
// returns the statement deparsed. rewriteCast reads nothing of the rewriter's state.
func castRewrite(t *testing.T, cast string) (string, error) {
	t.Helper()
	tree, err := pg_query.Parse("SELECT " + cast)
	if err != nil {
		t.Fatal(err)
	}
	n := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val
	tc := n.GetTypeCast()
	if tc == nil {
		t.Fatalf("%s is no cast", cast)
	}
	if err := (&catalogRewriter{}).rewriteCast(n, tc); err != nil {
		return "", err
	}
	out, err := pg_query.Deparse(tree)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(out, "SELECT "), nil
}

// TestRewriteCastSteps pins each step of rewriteCast: one case per cast target kind and per
// reg* family, both for a literal (looked up by name) and an expression (an oid shown by name).
func TestRewriteCastSteps(t *testing.T) {
	for _, tc := range []struct{ cast, want string }{
		// information_schema domains become their base type.
		{"1::information_schema.cardinal_number", "1::int8"},
		{"now()::information_schema.time_stamp", "now()::timestamptz"},
		{"'x'::information_schema.sql_identifier", "'x'::text"},
		{"'x'::information_schema.yes_or_no", "'x'::text"},
		// Arrays: a literal is read into ARRAY[...], typed by its element type.
		{"'{r,p,NULL}'::char[]", "ARRAY['r', 'p', NULL]"},
		{"'{1,2}'::int2[]", "ARRAY['1'::int8, '2'::int8]"},
		{"'{t}'::bool[]", "ARRAY['t'::bool]"},
		{"'{}'::oid[]", "ARRAY[]"},
		// Array expressions: the element type is renamed, or kept.
		{"x::name[]", "x::text[]"},
		{"x::pg_catalog.oid[]", "pgc.oid_vector(x)"},
		{"x::regclass[]", "pgc.oid_vector(x)"},
		{"proargtypes::regtype[]", "pgc.regtype_array(pgc.oid_vector(proargtypes))"},
		{"x::int4[]", "x::int4[]"},
		// A reg* cast of an oid literal is that oid.
		{"'16384'::regclass", "16384"},
		{"' 7 '::pg_catalog.regtype", "7"},
		{"'10'::regrole", "10"},
		// Scalar types the engine spells differently.
		{"x::oid", "x::int8"},
		{"x::xid", "x::int8"},
		{"'postgres'::regrole", "'postgres'::int8"},
		{"x::pg_catalog.name", "x::text"},
		{"x::\"char\"", "x::text"},
		// reg* families: a name is looked up as an oid, an oid is shown by name.
		{"'pg_catalog.int4in(cstring)'::regprocedure", "(SELECT min(_rp.oid) FROM pg_catalog.pg_proc _rp WHERE _rp.proname = 'int4in')"},
		{"x::regproc", "pgc.oid_name((SELECT array_agg(_rl.oid ORDER BY _rl.oid) FROM pg_catalog.pg_proc _rl), (SELECT array_agg(_rl.proname ORDER BY _rl.oid) FROM pg_catalog.pg_proc _rl), x)"},
		{"'public.\"Orders\"'::regclass", "(SELECT _rc.oid FROM pg_catalog.pg_class _rc WHERE _rc.relname = 'Orders')"},
		{"(a || b)::regclass", "pgc.oid_lookup((SELECT array_agg(_rl.relname ORDER BY _rl.oid) FROM pg_catalog.pg_class _rl), (SELECT array_agg(_rl.oid ORDER BY _rl.oid) FROM pg_catalog.pg_class _rl), pgc.relation_name(a || b))"},
		{"x::regclass", "pgc.oid_name((SELECT array_agg(_rl.oid ORDER BY _rl.oid) FROM pg_catalog.pg_class _rl), (SELECT array_agg(_rl.relname ORDER BY _rl.oid) FROM pg_catalog.pg_class _rl), x)"},
		{"'pg_class'::regclass", "1259"},
		{"'pg_catalog.pg_description'::regclass", "2609"},
		{"'double precision'::regtype", "(SELECT _rt.oid FROM pg_catalog.pg_type _rt WHERE _rt.typname = 'float8')"},
		{"'integer'::regtype", "(SELECT _rt.oid FROM pg_catalog.pg_type _rt WHERE _rt.typname = 'int4')"},
		{"x::regtype", "pgc.format_type(x, NULL)"},
		{"'Public'::regnamespace", "(SELECT _rn.oid FROM pg_catalog.pg_namespace _rn WHERE _rn.nspname = 'public')"},
		{"x::regnamespace", "pgc.oid_name((SELECT array_agg(_rl.oid ORDER BY _rl.oid) FROM pg_catalog.pg_namespace _rl), (SELECT array_agg(_rl.nspname ORDER BY _rl.oid) FROM pg_catalog.pg_namespace _rl), x)"},
		// Anything else is left as written.
		{"x::int4", "x::int4"},
		{"x::myschema.mytype", "x::myschema.mytype"},
	} {
		got, err := castRewrite(t, tc.cast)
		if err != nil {
			t.Errorf("%s: %v", tc.cast, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.cast, got, tc.want)
		}
	}
}

func TestRewriteCastRefusesMalformedArrayLiteral(t *testing.T) {
	_, err := castRewrite(t, "'{{1}}'::int2[]")
	var e *sqlerr.Error
	if !errors.As(err, &e) || e.Code != sqlerr.InvalidTextRepresentation {
		t.Fatalf("got %v, want %s", err, sqlerr.InvalidTextRepresentation)
	}
}

// TestUnverifiedFunction pins the allowlist verify applies to every call left after the rewrite.
func TestUnverifiedFunction(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"pgc.format_type(1, NULL)", ""},
		{"pgc.pg_read_file('x')", "function pg_read_file"},
		{"lower('x')", ""},
		{"array_to_string(x, ',')", ""},
		{"generate_series(1, 2)", ""},
		{"pg_catalog.lower('x')", "function lower"},
		{"trim(both ' ' from 'x')", ""},
		{"format_type(1, NULL)", "function format_type"},
		{"pg_read_file('x')", "function pg_read_file"},
		{"other.lower('x')", "function lower"},
	} {
		tree, err := pg_query.Parse("SELECT " + tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		fc := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val.GetFuncCall()
		if got := unverifiedFunction(fc); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.expr, got, tc.want)
		}
	}
}
