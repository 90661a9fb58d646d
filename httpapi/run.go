package httpapi

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// rowSink receives a query's result: start once with the plan's columns before any row, then
// each row in PostgreSQL text format (nil is NULL; the slices are reused after the call).
type rowSink interface {
	start(cols []planner.Column) error
	row(vals [][]byte) error
}

// sinkWriter adapts a rowSink to the executor's RowWriter, starting it lazily so an error before
// the first row can still be answered with an error status.
type sinkWriter struct {
	sink    rowSink
	cols    []planner.Column
	started bool
}

func (w *sinkWriter) begin() error {
	if w.started {
		return nil
	}
	w.started = true
	return w.sink.start(w.cols)
}

func (w *sinkWriter) WriteRow(vals [][]byte) error {
	if err := w.begin(); err != nil {
		return err
	}
	return w.sink.row(vals)
}

// runResult is what a run reports besides the rows.
type runResult struct {
	plan    *planner.Plan
	rows    int64
	trunc   bool
	elapsed time.Duration
	// started is true once the sink was started: after that an error cannot change the status.
	started bool
	// cacheHit is true when the rows came from the result cache.
	cacheHit bool
}

// run builds q's parse tree, plans it for the caller through the planner (tenant filters,
// scopes, guards, row cap), binds the request's values to the plan's parameters and streams the
// rows to sink.
func (s *Server) run(ctx context.Context, caller admission.Caller, q *semantic.Query, sink rowSink) (runResult, error) {
	return s.runTree(ctx, caller, semantic.Build, q, sink)
}

// runTree is run with the tree made by build (semantic.Build or semantic.BuildCount).
func (s *Server) runTree(ctx context.Context, caller admission.Caller, build func(*semantic.Query) (*pg_query.Node, []semantic.Value, error), q *semantic.Query, sink rowSink) (runResult, error) {
	var rr runResult
	node, vals, err := build(q)
	if errors.Is(err, semantic.ErrZeroByte) {
		return rr, sqlerr.New(sqlerr.SyntaxError, "%s", err.Error())
	}
	var se *sqlerr.Error
	if errors.As(err, &se) {
		// The query's Joins resolver refused a name, saying why in the client's terms.
		return rr, se
	}
	if err != nil {
		return rr, sqlerr.New(sqlerr.FeatureNotSupported, "%s", err.Error())
	}
	ctx = metrics.WithProtocol(ctx, string(caller.Protocol))
	st, err := planner.StatementFromTree(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}})
	if err != nil {
		return rr, err
	}
	p := caller.Principal
	sess := planner.Session{Principal: p, Database: s.cfg.Database, User: p.KeyID}
	plan, err := s.cfg.Planner.Plan(ctx, sess, st)
	if err != nil {
		return rr, err
	}
	rr.plan = plan
	if plan.Kind != planner.KindQuery {
		return rr, sqlerr.Internal(fmt.Errorf("semantic query planned as kind %d", plan.Kind))
	}
	args, err := bindValues(plan.Params, vals)
	if err != nil {
		return rr, err
	}
	sw := &sinkWriter{sink: sink, cols: plan.Columns}
	start := time.Now()
	res, err := s.cfg.Executor.Execute(ctx, caller, plan, args, sw)
	rr.elapsed = time.Since(start)
	rr.rows, rr.trunc, rr.started = res.Rows, res.Truncated, sw.started
	rr.cacheHit = res.Cache == engine.CacheHit || res.Cache == engine.CacheShared
	if err != nil {
		return rr, err
	}
	if err := sw.begin(); err != nil {
		return rr, err
	}
	rr.started = true
	return rr, nil
}

// bindValues converts the request's literals to the Go values the executor binds, by the types
// the planner gave the parameters (as pg wire decodes a client's Bind values).
func bindValues(types []pgtypes.Type, vals []semantic.Value) ([]any, error) {
	if len(types) != len(vals) {
		return nil, sqlerr.Internal(fmt.Errorf("plan has %d parameters, request %d values", len(types), len(vals)))
	}
	out := make([]any, len(vals))
	for i, v := range vals {
		a, err := bindValue(types[i], v)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func bindValue(t pgtypes.Type, v semantic.Value) (any, error) {
	bad := func() error {
		return sqlerr.New(sqlerr.DatatypeMismatch, "value %s does not fit a %s column", quoteForMessage(v), typeName(t))
	}
	switch t.OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID, pgtypes.Int8.OID:
		if v.Kind != semantic.KindInt && v.Kind != semantic.KindString {
			return nil, bad()
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
		if err != nil {
			return nil, bad()
		}
		return n, nil
	case pgtypes.Float4.OID, pgtypes.Float8.OID:
		if v.Kind != semantic.KindInt && v.Kind != semantic.KindFloat && v.Kind != semantic.KindString {
			return nil, bad()
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v.Text), 64)
		if err != nil {
			return nil, bad()
		}
		return f, nil
	case pgtypes.Numeric.OID:
		if v.Kind != semantic.KindInt && v.Kind != semantic.KindFloat && v.Kind != semantic.KindString {
			return nil, bad()
		}
		if _, ok := new(big.Float).SetString(strings.TrimSpace(v.Text)); !ok {
			return nil, bad()
		}
		return strings.TrimSpace(v.Text), nil
	case pgtypes.Bool.OID:
		switch {
		case v.Kind == semantic.KindBool:
			return v.Bool, nil
		case v.Kind == semantic.KindString && (v.Text == "true" || v.Text == "false"):
			return v.Text == "true", nil
		}
		return nil, bad()
	case pgtypes.Date.OID:
		switch v.Kind {
		case semantic.KindDate, semantic.KindTimestamp:
			t := v.Time.UTC()
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		case semantic.KindString:
			d, err := time.Parse(time.DateOnly, v.Text)
			if err != nil {
				return nil, bad()
			}
			return d, nil
		}
		return nil, bad()
	case pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
		switch v.Kind {
		case semantic.KindDate, semantic.KindTimestamp:
			return v.Time.UTC(), nil
		case semantic.KindString:
			if ts, err := time.Parse(time.RFC3339Nano, v.Text); err == nil {
				return ts.UTC(), nil
			}
			if d, err := time.Parse(time.DateOnly, v.Text); err == nil {
				return d, nil
			}
		}
		return nil, bad()
	}
	// text and everything else the planner reads as text: only a string compares with it.
	switch v.Kind {
	case semantic.KindNull:
		return nil, nil
	case semantic.KindString:
		return v.Text, nil
	}
	return nil, bad()
}

func quoteForMessage(v semantic.Value) string {
	s := v.Text
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

// typeName is the JSON API's name of a result type.
func typeName(t pgtypes.Type) string {
	switch t.OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID, pgtypes.Int8.OID:
		return "integer"
	case pgtypes.Float4.OID, pgtypes.Float8.OID, pgtypes.Numeric.OID:
		return "number"
	case pgtypes.Bool.OID:
		return "boolean"
	case pgtypes.Date.OID:
		return "date"
	case pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
		return "timestamp"
	}
	return "string"
}

// appendJSON appends a result value, given in PostgreSQL text format as the executor writes it
// (fresh or from the result cache, the same bytes either way), as JSON. The text is decoded by
// pgtypes into a typed value and the value written: numbers as JSON numbers (exact: a decimal
// keeps its digits and scale, a float prints as PostgreSQL prints it; NaN and infinities as
// OData's strings "NaN", "INF", "-INF"), booleans, dates as YYYY-MM-DD, timestamps in RFC 3339
// (without time zone: as UTC), everything else (time of day, interval, bytea, text) as a string
// of its PostgreSQL form. Text the decoder does not read as a value of t (a date PostgreSQL
// prints as "infinity", a year past 9999) is written as a string, as it stands.
//
// The common kinds are decoded with pgtypes' concrete decoders, so a row of them costs no
// allocation.
func appendJSON(b []byte, v []byte, t pgtypes.Type) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch t.OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID, pgtypes.Int8.OID:
		if n, ok := pgtypes.DecodeInt(v); ok {
			return strconv.AppendInt(b, n, 10)
		}
	case pgtypes.Float4.OID, pgtypes.Float8.OID:
		if f, ok := pgtypes.DecodeFloat(v, t); ok {
			return appendJSONFloat(b, f, t)
		}
	case pgtypes.Bool.OID:
		if x, ok := pgtypes.DecodeBool(v); ok {
			return strconv.AppendBool(b, x)
		}
	case pgtypes.Date.OID, pgtypes.Time.OID, pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
		if tm, ok := pgtypes.DecodeTime(v, t); ok {
			return appendJSONTime(b, tm, t)
		}
	case pgtypes.Text.OID, pgtypes.Varchar.OID:
		return appendString(b, string(v))
	}
	// numeric, interval, bytea, integers beyond int64 and every type read as text.
	x, err := pgtypes.DecodeText(v, t)
	if err != nil {
		return appendString(b, string(v))
	}
	switch x := x.(type) {
	case *big.Int:
		return x.Append(b, 10)
	case float64: // numeric's NaN and infinities
		return appendJSONFloat(b, x, t)
	case pgtypes.Decimal:
		return appendText(b, x, pgtypes.Numeric)
	case pgtypes.IntervalValue:
		// Digits, unit names, spaces, signs, ':' and '.': nothing a JSON string escapes.
		b = append(b, '"')
		b = appendText(b, x, pgtypes.Interval)
		return append(b, '"')
	case []byte:
		// bytea's hex form, whose backslash JSON escapes.
		b = append(b, `"\\x`...)
		b = hex.AppendEncode(b, x)
		return append(b, '"')
	}
	return appendString(b, string(v))
}

// appendJSONFloat writes a float as a JSON number in PostgreSQL's digits (float4's shortest
// float32 form), and NaN and the infinities as OData's strings.
func appendJSONFloat(b []byte, f float64, t pgtypes.Type) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"INF"`...)
	case math.IsInf(f, -1):
		return append(b, `"-INF"`...)
	}
	bits := 64
	if t.OID == pgtypes.Float4.OID {
		bits = 32
	}
	return pgtypes.AppendFloat(b, f, bits)
}

// appendJSONTime writes a date, time of day or timestamp. Their forms hold digits, '-', ':',
// '.', 'T', 'Z' and '+' only: nothing a JSON string escapes.
func appendJSONTime(b []byte, tm time.Time, t pgtypes.Type) []byte {
	b = append(b, '"')
	switch t.OID {
	case pgtypes.Timestamp.OID:
		b = tm.AppendFormat(b, "2006-01-02T15:04:05.999999Z")
	case pgtypes.Timestamptz.OID:
		b = tm.AppendFormat(b, time.RFC3339Nano)
	case pgtypes.Date.OID:
		b = tm.AppendFormat(b, "2006-01-02") // pgtypes' date text, without boxing tm
	default: // time of day
		b = tm.AppendFormat(b, "15:04:05.999999")
	}
	return append(b, '"')
}

// appendText is pgtypes.AppendText for a value DecodeText made, which always fits its type.
func appendText(b []byte, v any, t pgtypes.Type) []byte {
	out, err := pgtypes.AppendText(b, v, t)
	if err != nil {
		return fmt.Appendf(b, "%v", v)
	}
	return out
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			}
		case c == '<' || c == '>' || c == '&':
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// rlsApplied reports whether the tenant filter applied to any dataset the plan reads.
func rlsApplied(cat *catalog.Catalog, p auth.Principal, plan *planner.Plan) bool {
	if plan == nil {
		return false
	}
	for _, id := range plan.Datasets {
		ds, ok := cat.Dataset(id)
		if ok && ds.RLS.Enabled && !(p.IsAdmin() && ds.RLS.AllowAdminBypass) {
			return true
		}
	}
	return false
}

// abort cuts a response that already started: the client sees an incomplete body rather than
// a complete-looking wrong one.
func abort(r *http.Request, err error) {
	info(r).log.Warn("response cut after it started", "code", sqlerr.Code(err), "error", err)
	panic(http.ErrAbortHandler)
}

var _ engine.RowWriter = (*sinkWriter)(nil)
