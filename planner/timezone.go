package planner

import (
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
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
	if name == "date_trunc" && len(args) == 2 && args[1].OID == pgtypes.Date.OID {
		b.truncDate(n, fc)
		return pgtypes.Timestamptz, true
	}
	if len(args) != 2 || args[1].OID != pgtypes.Timestamptz.OID {
		return pgtypes.Type{}, false
	}
	tz := b.grainZone()
	switch name {
	case "date_trunc":
		if keepsOffset(fc.Args[0]) {
			b.truncKeepingOffset(n, fc, tz)
			return pgtypes.Timestamptz, true
		}
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

// timezoneType is the type of timezone(zone, x): instants and wall-clock times swap.
func timezoneType(args []pgtypes.Type) pgtypes.Type {
	if len(args) == 2 && args[1].OID == pgtypes.Timestamptz.OID {
		return pgtypes.Timestamp
	}
	return pgtypes.Timestamptz
}

// printZone is the zone timestamptz values are shown in and dates become instants in: the
// session's TimeZone, UTC when the client set none (what SHOW TimeZone answers then).
func (b *binder) printZone() string {
	if b.sess.TimeZone != "" {
		return b.sess.TimeZone
	}
	return "UTC"
}

// truncDate rewrites date_trunc(unit, date). PostgreSQL has no date_trunc over dates: it casts
// the date to timestamptz (its midnight in the session's zone) and truncates that, so the
// answer is an instant. Truncating the midnight as wall-clock time and reading the result in
// the session's zone gives the same instant on every engine.
func (b *binder) truncDate(n *pg_query.Node, fc *pg_query.FuncCall) {
	fc.Args[1] = castAs(fc.Args[1], "timestamp")
	fc.Args[1].GetTypeCast().Location = checkedCastLocation
	inner := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}
	n.Node = atTimeZone(inner, b.printZone()).Node
}

// checkedCastLocation marks a cast the planner writes of a value whose type it has checked
// (a date to timestamp): a dialect that refuses casts of unchecked text, because its engine
// would read malformed text as NULL (mysql), may write it.
const checkedCastLocation = -3

// castAs is CAST(x AS typ). The name is left unqualified: both engines know PostgreSQL's
// spellings of the built-in types (DuckDB's aliases), and DuckDB has no pg_catalog types.
func castAs(x *pg_query.Node, typ string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg:      x,
		TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode(typ)}, Typemod: -1, Location: -1},
		Location: -1,
	}}}
}

// localClock rewrites localtimestamp and localtime: the wall-clock time now in the session's
// zone, as PostgreSQL gives it (engines know only their own zone, which the gateway pins to
// UTC). It returns false for the other SQL value functions.
func (b *binder) localClock(n *pg_query.Node, op pg_query.SQLValueFunctionOp) bool {
	now := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname: []*pg_query.Node{pg_query.MakeStrNode("now")}, Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL, Location: -1,
	}}}
	wall := atTimeZone(now, b.printZone())
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		n.Node = wall.Node
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		n.Node = castAs(wall, "time").Node
	default:
		return false
	}
	return true
}

// printLocation is the location of the session's TimeZone, nil for UTC. The zone was checked
// when it was set; a zone the system no longer knows prints in UTC rather than fail a query.
func printLocation(s Session) *time.Location {
	if s.TimeZone == "" || s.TimeZone == "UTC" {
		return nil
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil
	}
	return loc
}

// keepsOffset reports whether a date_trunc unit is an hour or finer. PostgreSQL truncates
// those keeping the value's own UTC offset, so the two 1 AM hours of a night that turns the
// clocks back stay two hours; coarser units take the offset of the truncated wall-clock time.
func keepsOffset(unit *pg_query.Node) bool {
	switch unit.GetAConst().GetSval().GetSval() {
	case "hour", "minute", "second", "milliseconds", "microseconds":
		return true
	}
	return false
}

// truncKeepingOffset rewrites date_trunc(unit, x) for a unit of an hour or finer as
// x - (w - date_trunc(unit, w)) with w the wall-clock time of x in tz: the part of the local
// hour (minute, ...) already gone is taken off the instant itself.
func (b *binder) truncKeepingOffset(n *pg_query.Node, fc *pg_query.FuncCall, tz string) {
	x := fc.Args[1]
	wall := func() *pg_query.Node { return atTimeZone(x, tz) }
	fc.Args[1] = wall()
	trunc := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}
	gone := pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode("-")}, wall(), trunc, -1)
	n.Node = pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode("-")}, x, gone, -1).Node
}

// zonedCast makes an explicit cast between wall-clock and instant types read in the session's
// zone, as PostgreSQL's casts do; the engines would use their own zone, which the gateway pins
// to UTC. A wall-clock value (timestamp, date, a literal without an offset) cast to
// timestamptz becomes timezone(zone, CAST(x AS timestamp)); an instant cast to timestamp,
// time or date is first read as the grain zone's wall clock. It returns the type the cast in
// the tree now casts to, for the dialect's notes. A form whose value depends on the zone in a
// way no rewrite keeps exact is refused.
func (b *binder) zonedCast(n *pg_query.Node, tc *pg_query.TypeCast, from, to pgtypes.Type) (pgtypes.Type, error) {
	switch {
	case from.OID == pgtypes.Timestamptz.OID:
		return to, b.fromInstant(tc, to)
	case to.OID != pgtypes.Timestamptz.OID || b.printZone() == "UTC":
		return to, nil
	case from.OID == pgtypes.Date.OID || from.OID == pgtypes.Timestamp.OID:
	case from == pgtypes.Unknown && tc.Arg.GetAConst().GetSval() != nil:
		v := tc.Arg.GetAConst().GetSval().Sval
		if hasOffset(v) {
			return to, nil // an instant already
		}
		if !strings.ContainsAny(v, "0123456789") {
			return to, zoneWord(v, tc.Location, b)
		}
	case from == pgtypes.Unknown:
		return to, nil // a parameter: its value is read in the session's zone when bound
	default:
		return to, sqlerr.New(sqlerr.FeatureNotSupported, "a cast of %s to timestamptz is not supported in time zone %s", from.Name, b.printZone()).
			WithHint("its values may or may not carry an offset; cast to timestamp and write AT TIME ZONE, or cast a literal").WithPosition(b.pos(tc.Location))
	}
	tc.TypeName = &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("timestamp")}, Typemod: -1, Location: -1}
	n.Node = &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode("timezone")},
		Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(b.printZone(), -1), {Node: &pg_query.Node_TypeCast{TypeCast: tc}}},
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   -1,
	}}
	return pgtypes.Timestamp, nil
}

// fromInstant reads an instant cast to a wall-clock type (timestamp, time, date) in the grain
// zone, the zone its date_trunc and extract use too. Its text would print in the engine's
// zone, not the session's, so outside UTC that cast is refused.
func (b *binder) fromInstant(tc *pg_query.TypeCast, to pgtypes.Type) error {
	switch to.OID {
	case pgtypes.Timestamp.OID, pgtypes.Time.OID, pgtypes.Date.OID:
		tc.Arg = atTimeZone(tc.Arg, b.grainZone())
	case pgtypes.Text.OID, pgtypes.Varchar.OID:
		if b.printZone() != "UTC" {
			return sqlerr.New(sqlerr.FeatureNotSupported, "a cast of timestamptz to text is not supported in time zone %s", b.printZone()).
				WithHint("select the timestamptz itself, or cast it to timestamp (the session zone's wall clock) first").WithPosition(b.pos(tc.Location))
		}
	}
	return nil
}

// zoneWord checks a special value cast to timestamptz: now, epoch and the infinities are
// instants, but today, tomorrow, yesterday and allballs are the session zone's wall clock,
// which the engines would read in UTC.
func zoneWord(v string, loc int32, b *binder) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "today", "tomorrow", "yesterday", "allballs":
		return sqlerr.New(sqlerr.FeatureNotSupported, "timestamptz '%s' is not supported in time zone %s", v, b.printZone()).
			WithHint("write current_date, or the date itself").WithPosition(b.pos(loc))
	}
	return nil
}

// instant reads a wall-clock value (timestamp, date) as an instant in the session's zone, as
// PostgreSQL's implicit cast to timestamptz does. A plain call: inside BETWEEN, AT TIME ZONE
// would not read back.
func (b *binder) instant(n *pg_query.Node) {
	n.Node = &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode("timezone")},
		Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(b.printZone(), -1), castAs(&pg_query.Node{Node: n.Node}, "timestamp")},
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   -1,
	}}
}

// zonedBranches reads the wall-clock branches of a CASE, COALESCE, GREATEST or LEAST whose
// result is a timestamptz in the session's zone, where the engines would use UTC.
func (b *binder) zonedBranches(nodes []*pg_query.Node, types []pgtypes.Type, t pgtypes.Type) {
	if t.OID != pgtypes.Timestamptz.OID || b.printZone() == "UTC" {
		return
	}
	for i, n := range nodes {
		if n == nil {
			continue
		}
		switch types[i].OID {
		case pgtypes.Date.OID, pgtypes.Timestamp.OID:
			b.instant(n)
		default:
			b.zonedLiteral(n, t)
		}
	}
}

// zonedInterval makes timestamptz ± interval follow the session's zone. PostgreSQL adds
// months and days to the wall clock there (a day across a DST change is 23 or 25 hours) and
// hours and finer to the instant; the engines, pinned to UTC, would add 24 hours. An interval
// literal of months (or years) only, or of days (or weeks) only, becomes
// timezone(zone, timezone(zone, x) ± i); one of hours and finer only is exact as it is. A
// mixed or computed interval is refused outside UTC: no rewrite keeps PostgreSQL's order of
// steps for it.
func (b *binder) zonedInterval(n *pg_query.Node, e *pg_query.A_Expr, op string, lt, rt pgtypes.Type) error {
	lt, rt = untypedInterval(e, op, lt, rt)
	x, i := &e.Lexpr, e.Rexpr
	switch {
	case (op == "+" || op == "-") && lt.OID == pgtypes.Timestamptz.OID && rt.OID == pgtypes.Interval.OID:
	case op == "+" && lt.OID == pgtypes.Interval.OID && rt.OID == pgtypes.Timestamptz.OID:
		x, i = &e.Rexpr, e.Lexpr
	default:
		return nil
	}
	zone := b.printZone()
	// Even a fixed offset (-5) counts: a month's last day is the zone's, not UTC's.
	if zone == "UTC" {
		return nil
	}
	switch intervalParts(i) {
	case "clock":
		return nil
	case "calendar":
		// The wall clock ± i is a timestamp; read back in the zone it is the instant.
		*x = atTimeZone(*x, zone)
		b.instant(n)
		return nil
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "timestamptz %s interval is only supported with an interval literal of one kind of unit in time zone %s", op, zone).
		WithHint("write months, days and hours as separate literals, e.g. ts + interval '1 day' + interval '2 hours'").WithPosition(b.pos(e.Location))
}

// intervalParts classifies an interval literal: "calendar" for months or years only, or days
// or weeks only; "clock" for hours and finer only; "" for anything else (mixed, computed,
// with a field qualifier).
func intervalParts(n *pg_query.Node) string {
	tc := n.GetTypeCast()
	if tc == nil || len(tc.TypeName.GetTypmods()) > 0 || tc.Arg.GetAConst().GetSval() == nil {
		return ""
	}
	fields := strings.Fields(strings.ToLower(tc.Arg.GetAConst().GetSval().Sval))
	if len(fields)%2 != 0 || len(fields) == 0 {
		return ""
	}
	kinds := map[string]bool{}
	for k := 0; k < len(fields); k += 2 {
		if strings.Trim(fields[k], "+-0123456789.") != "" {
			return ""
		}
		switch strings.TrimSuffix(fields[k+1], "s") {
		case "year", "mon", "month", "decade", "century", "centurie", "millennium", "millennia":
			kinds["months"] = true
		case "day", "week":
			kinds["days"] = true
		case "hour", "minute", "min", "second", "sec", "millisecond", "m", "microsecond", "u":
			kinds["clock"] = true
		default:
			return ""
		}
	}
	switch {
	case len(kinds) != 1:
		return ""
	case kinds["clock"]:
		return "clock"
	}
	return "calendar"
}

// zonedStep makes x + step (DATEADD of an instant, n) add a step of months or days to the
// session zone's wall clock, as timestamptz + interval does (zonedInterval); a step of hours
// or finer is added to the instant as it is.
func (b *binder) zonedStep(n *pg_query.Node, unit string) {
	e := n.GetAExpr()
	if b.printZone() == "UTC" || e == nil || intervalParts(castAs(pg_query.MakeAConstStrNode(unit, -1), "interval")) != "calendar" {
		return
	}
	e.Lexpr = atTimeZone(e.Lexpr, b.printZone())
	b.instant(n)
}

// untypedInterval types a string literal added to a timestamptz as the interval PostgreSQL
// reads it as (timestamptz + interval is the only candidate), and one subtracted from it as a
// timestamptz, writing the cast for the engines, which would otherwise guess. It returns the
// operand types after.
func untypedInterval(e *pg_query.A_Expr, op string, lt, rt pgtypes.Type) (pgtypes.Type, pgtypes.Type) {
	if op == "-" && lt.OID == pgtypes.Timestamptz.OID && rt == pgtypes.Unknown && e.Rexpr.GetAConst().GetSval() != nil {
		// timestamptz - 'text' subtracts an instant (an offset written, or a word): the
		// engines must not read it as an interval, as PostgreSQL does not.
		e.Rexpr = castAs(e.Rexpr, "timestamptz")
		return lt, lt
	}
	if op != "+" {
		return lt, rt
	}
	switch {
	case lt.OID == pgtypes.Timestamptz.OID && rt == pgtypes.Unknown && e.Rexpr.GetAConst().GetSval() != nil:
		e.Rexpr = castAs(e.Rexpr, "interval")
		return lt, pgtypes.Interval
	case rt.OID == pgtypes.Timestamptz.OID && lt == pgtypes.Unknown && e.Lexpr.GetAConst().GetSval() != nil:
		e.Lexpr = castAs(e.Lexpr, "interval")
		return pgtypes.Interval, rt
	}
	return lt, rt
}

// instantText refuses a timestamptz concatenated as text outside UTC: PostgreSQL writes it in
// the session's zone, the engines in UTC (as for a cast to text, fromInstant).
func (b *binder) instantText(e *pg_query.A_Expr, lt, rt pgtypes.Type) error {
	if b.printZone() == "UTC" || (lt.OID != pgtypes.Timestamptz.OID && rt.OID != pgtypes.Timestamptz.OID) {
		return nil
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "timestamptz || text is not supported in time zone %s", b.printZone()).
		WithHint("select the timestamptz as its own column, or cast it to timestamp (the session zone's wall clock) first").WithPosition(b.pos(e.Location))
}
