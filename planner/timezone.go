package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
)

// Time zones. A timestamptz field holds instants: its grains (date_trunc, extract, a cast to
// date) are computed in the session's TimeZone, as PostgreSQL does, or in the dataset's
// defaultTimezone when the client set none. A timestamp field holds wall-clock times in the
// dataset's defaultTimezone: when the client set a different TimeZone, the dataset shows them
// converted to that zone, so a day bucket is the client's day.

// grainZone is the zone grains of instants are computed in.
func (b *binder) grainZone() string {
	if b.sess.TimeZone != "" {
		return b.sess.TimeZone
	}
	if b.zone != "" {
		return b.zone
	}
	return "UTC"
}

// localTimestamp converts a dataset's wall-clock timestamp dimension into the session's zone.
func (b *binder) localTimestamp(ds *catalog.Dataset, d *catalog.Dimension, val *pg_query.Node) *pg_query.Node {
	tz := b.sess.TimeZone
	if d.Type != catalog.TypeTimestamp || tz == "" || tz == ds.DefaultTimezone {
		return val
	}
	return atTimeZone(atTimeZone(val, ds.DefaultTimezone), tz)
}

// atTimeZone is `x AT TIME ZONE 'tz'`: a timestamptz becomes the wall-clock time in tz, a
// timestamp read as wall-clock time in tz becomes an instant.
func atTimeZone(x *pg_query.Node, tz string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("timezone")},
		Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(tz, -1), x},
		Funcformat: pg_query.CoercionForm_COERCE_SQL_SYNTAX,
		Location:   -1,
	}}}
}

// zonedGrain rewrites a grain over an instant so it is computed in the grain zone. It returns
// the call's type.
func (b *binder) zonedGrain(n *pg_query.Node, fc *pg_query.FuncCall, name string, args []pgtypes.Type) (pgtypes.Type, bool) {
	if len(args) != 2 || args[1].OID != pgtypes.Timestamptz.OID {
		return pgtypes.Type{}, false
	}
	tz := b.grainZone()
	switch name {
	case "date_trunc":
		// Truncate the local wall-clock time, then read it back as an instant of that zone.
		fc.Args[1] = atTimeZone(fc.Args[1], tz)
		inner := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}
		n.Node = atTimeZone(inner, tz).Node
		return pgtypes.Timestamptz, true
	case "extract", "date_part":
		fc.Args[1] = atTimeZone(fc.Args[1], tz)
		return functions[name].ret(args), true
	}
	return pgtypes.Type{}, false
}

// zonedDate rewrites a cast of an instant to date so the date is the grain zone's.
func (b *binder) zonedDate(tc *pg_query.TypeCast, from pgtypes.Type, to pgtypes.Type) {
	if from.OID == pgtypes.Timestamptz.OID && to.OID == pgtypes.Date.OID {
		tc.Arg = atTimeZone(tc.Arg, b.grainZone())
	}
}

// timezoneType is the type of timezone(zone, x): instants and wall-clock times swap.
func timezoneType(args []pgtypes.Type) pgtypes.Type {
	if len(args) == 2 && args[1].OID == pgtypes.Timestamptz.OID {
		return pgtypes.Timestamp
	}
	return pgtypes.Timestamptz
}
