package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// queryRequest is the original product's JSON query.
type queryRequest struct {
	Dataset         string          `json:"dataset"`
	Dimensions      []fieldRef      `json:"dimensions"`
	Metrics         []fieldRef      `json:"metrics"`
	Filters         json.RawMessage `json:"filters"`
	OrderBy         []orderRef      `json:"orderBy"`
	Limit           *int64          `json:"limit"`
	Offset          *int64          `json:"offset"`
	IncrementalFrom string          `json:"incrementalFrom"`
	IncrementalTo   string          `json:"incrementalTo"`
}

// fieldRef is a column named by a string or by {"name": ...}.
type fieldRef string

func (f *fieldRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = fieldRef(s)
		return nil
	}
	var o struct {
		Name  string `json:"name"`
		Field string `json:"field"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("a field is a name or {\"name\": ...}")
	}
	*f = fieldRef(o.Name + o.Field)
	return nil
}

// orderRef is "name", "-name", or {"field"|"name": ..., "direction"|"order": "asc"|"desc"}.
type orderRef struct {
	Field string
	Desc  bool
}

func (o *orderRef) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		o.Field, o.Desc = strings.TrimPrefix(s, "-"), strings.HasPrefix(s, "-")
		return nil
	}
	var v struct {
		Field     string `json:"field"`
		Name      string `json:"name"`
		Direction string `json:"direction"`
		Order     string `json:"order"`
		Desc      bool   `json:"desc"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("an orderBy item is a name or {\"field\": ..., \"direction\": \"asc\"|\"desc\"}")
	}
	o.Field = v.Field + v.Name
	dir := strings.ToLower(v.Direction + v.Order)
	switch dir {
	case "", "asc":
	case "desc":
		o.Desc = true
	default:
		return fmt.Errorf("direction %q is not asc or desc", dir)
	}
	o.Desc = o.Desc || v.Desc
	return nil
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if !s.admit(w, r) {
		return
	}
	var req queryRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("request body is over %d bytes", mbe.Limit), "")
			return
		}
		s.writeError(w, r, http.StatusBadRequest, "invalid_request", "request body is not a valid query: "+err.Error(), "")
		return
	}
	ri := info(r)
	ri.dataset = req.Dataset
	cat := s.cfg.Catalog()
	q, err := buildQuery(cat, ri.principal.InScope, &req, time.Now())
	if err != nil {
		s.writeAnyError(w, r, err)
		return
	}
	sink := &restSink{jsonObjects{w: w}}
	rr, err := s.run(r.Context(), s.caller(r), q, sink)
	if err != nil {
		if rr.started {
			abort(r, err)
		}
		s.writeQueryError(w, r, err)
		return
	}
	stats := map[string]any{
		"rowCount":   rr.rows,
		"cacheHit":   rr.cacheHit,
		"durationMs": rr.elapsed.Milliseconds(),
		"rlsApplied": rlsApplied(cat, ri.principal, rr.plan),
		"truncated":  rr.trunc,
	}
	sb, _ := json.Marshal(stats)
	sink.buf = append(sink.buf, "],\"stats\":"...)
	sink.buf = append(sink.buf, sb...)
	sink.buf = append(sink.buf, "}\n"...)
	if _, err := w.Write(sink.buf); err != nil {
		return
	}
}

// restSink streams /v1/query's {"columns": [...], "rows": [...] ...} body.
type restSink struct {
	jsonObjects
}

func (s *restSink) start(cols []planner.Column) error {
	s.setColumns(cols)
	h := s.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	s.w.WriteHeader(http.StatusOK)
	s.buf = append(s.buf, `{"columns":[`...)
	for i, c := range cols {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = append(s.buf, `{"name":`...)
		s.buf = appendString(s.buf, c.Name)
		s.buf = append(s.buf, `,"type":`...)
		s.buf = appendString(s.buf, typeName(c.Type))
		s.buf = append(s.buf, '}')
	}
	s.buf = append(s.buf, `],"rows":[`...)
	return nil
}

func (s *restSink) row(vals [][]byte) error { return s.appendObject(vals) }

// buildQuery turns a JSON query into a semantic query over the catalog, checking names so the
// caller hears "unknown metric" rather than a SQL error.
func buildQuery(cat *catalog.Catalog, inScope func(string) bool, req *queryRequest, now time.Time) (*semantic.Query, error) {
	if req.Dataset == "" {
		return nil, badRequest("dataset is required")
	}
	ds, ok := cat.Dataset(req.Dataset)
	if !ok || !inScope(ds.ID) {
		return nil, sqlerr.New(sqlerr.UndefinedTable, "dataset %q does not exist", req.Dataset)
	}
	if len(req.Dimensions) == 0 && len(req.Metrics) == 0 {
		return nil, badRequest("ask for at least one dimension or metric")
	}
	q := &semantic.Query{Dataset: ds.ID}
	var dims []string
	for _, d := range req.Dimensions {
		c, ok := ds.Column(string(d))
		if !ok || c.Kind != catalog.KindDimension {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no dimension %q", ds.ID, string(d))
		}
		q.Items = append(q.Items, semantic.Item{Col: c.Name()})
		dims = append(dims, c.Name())
	}
	for _, m := range req.Metrics {
		c, ok := ds.Column(string(m))
		if !ok || c.Kind != catalog.KindMetric {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no metric %q", ds.ID, string(m))
		}
		q.Items = append(q.Items, semantic.Item{Col: c.Name()})
	}
	if len(req.Metrics) == 0 {
		// Dimensions alone are their distinct combinations, as with metrics beside them.
		q.GroupBy = dims
	}
	var where, having []semantic.Expr
	if len(req.Filters) > 0 && string(req.Filters) != "null" {
		f, err := parseFilter(req.Filters, 0)
		if err != nil {
			return nil, err
		}
		for _, conj := range semantic.Conjuncts(f) {
			kind, err := filterKind(ds, conj)
			if err != nil {
				return nil, err
			}
			if kind == catalog.KindMetric {
				having = append(having, conj)
			} else {
				where = append(where, conj)
			}
		}
	}
	if req.IncrementalFrom != "" || req.IncrementalTo != "" {
		e, err := incrementalWindow(ds, req.IncrementalFrom, req.IncrementalTo, now)
		if err != nil {
			return nil, err
		}
		where = append(where, e)
	}
	q.Where, q.Having = semantic.And(where...), semantic.And(having...)
	for _, o := range req.OrderBy {
		c, ok := ds.Column(o.Field)
		if !ok || !selected(q.Items, c.Name()) {
			return nil, sqlerr.New(sqlerr.UndefinedColumn, "orderBy %q is not a selected dimension or metric", o.Field)
		}
		q.OrderBy = append(q.OrderBy, semantic.Order{Col: c.Name(), Desc: o.Desc})
	}
	if req.Limit != nil && *req.Limit < 0 || req.Offset != nil && *req.Offset < 0 {
		return nil, badRequest("limit and offset must not be negative")
	}
	q.Limit, q.Offset = req.Limit, req.Offset
	return q, nil
}

func selected(items []semantic.Item, name string) bool {
	for _, it := range items {
		if it.Name() == name {
			return true
		}
	}
	return false
}

// filterKind says whether a condition filters rows (dimensions: WHERE) or groups (metrics:
// HAVING); a condition mixing both cannot be either.
func filterKind(ds *catalog.Dataset, e semantic.Expr) (catalog.ColumnKind, error) {
	var kind catalog.ColumnKind
	for _, name := range semantic.Columns(e) {
		c, ok := ds.Column(name)
		if !ok {
			return 0, sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no dimension or metric %q", ds.ID, name)
		}
		if kind != 0 && kind != c.Kind {
			return 0, badRequest("a filter condition may not combine dimensions and metrics under or/not; put metric conditions in their own top-level filter")
		}
		kind = c.Kind
	}
	return kind, nil
}

// filterOps maps the JSON API's comparison operators to SQL's.
var filterOps = map[string]string{
	"eq": "=", "=": "=", "==": "=", "equals": "=",
	"ne": "<>", "neq": "<>", "!=": "<>", "<>": "<>", "not_equals": "<>",
	"gt": ">", ">": ">", "gte": ">=", "ge": ">=", ">=": ">=",
	"lt": "<", "<": "<", "lte": "<=", "le": "<=", "<=": "<=",
}

const maxFilterDepth = 32

// parseFilter reads a filter: a list (all must hold), {"and": [...]}, {"or": [...]},
// {"not": filter}, or a condition {"field", "op"|"operator", "value"|"values"}.
func parseFilter(raw json.RawMessage, depth int) (semantic.Expr, error) {
	if depth > maxFilterDepth {
		return nil, sqlerr.New(sqlerr.StatementTooComplex, "filters nest deeper than %d", maxFilterDepth)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, badRequest("filters: %v", err)
		}
		return parseList("and", list, depth)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, badRequest("a filter is an object or a list of filters")
	}
	for _, op := range []string{"and", "or"} {
		if v, ok := obj[op]; ok {
			if len(obj) != 1 {
				return nil, badRequest("a %q filter has no other keys", op)
			}
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				return nil, badRequest("%q takes a list of filters", op)
			}
			return parseList(op, list, depth)
		}
	}
	if v, ok := obj["not"]; ok {
		if len(obj) != 1 {
			return nil, badRequest(`a "not" filter has no other keys`)
		}
		x, err := parseFilter(v, depth+1)
		if err != nil {
			return nil, err
		}
		return semantic.Not{X: x}, nil
	}
	return parseCondition(obj)
}

func parseList(op string, list []json.RawMessage, depth int) (semantic.Expr, error) {
	if len(list) == 0 {
		return nil, badRequest("%q needs at least one filter", op)
	}
	args := make([]semantic.Expr, len(list))
	for i, item := range list {
		e, err := parseFilter(item, depth+1)
		if err != nil {
			return nil, err
		}
		args[i] = e
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return semantic.Logic{Op: op, Args: args}, nil
}

func parseCondition(obj map[string]json.RawMessage) (semantic.Expr, error) {
	var field, op string
	for _, k := range []string{"field", "dimension", "metric", "name"} {
		if v, ok := obj[k]; ok {
			if err := json.Unmarshal(v, &field); err != nil {
				return nil, badRequest("%q must be a string", k)
			}
		}
	}
	for _, k := range []string{"op", "operator"} {
		if v, ok := obj[k]; ok {
			if err := json.Unmarshal(v, &op); err != nil {
				return nil, badRequest("%q must be a string", k)
			}
		}
	}
	if field == "" || op == "" {
		return nil, badRequest(`a filter condition needs "field" and "op"`)
	}
	col := semantic.Col{Name: field}
	op = strings.ToLower(op)
	value := func() (semantic.Expr, error) {
		v, ok := obj["value"]
		if !ok {
			return nil, badRequest("operator %q needs a value", op)
		}
		return jsonLiteral(v)
	}
	values := func() ([]semantic.Expr, error) {
		v, ok := obj["values"]
		if !ok {
			v, ok = obj["value"]
		}
		var list []json.RawMessage
		if !ok || json.Unmarshal(v, &list) != nil || len(list) == 0 {
			return nil, badRequest("operator %q needs a non-empty list of values", op)
		}
		out := make([]semantic.Expr, len(list))
		for i, item := range list {
			e, err := jsonLiteral(item)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	if sqlOp, ok := filterOps[op]; ok {
		v, err := value()
		if err != nil {
			return nil, err
		}
		return semantic.Cmp{Op: sqlOp, L: col, R: v}, nil
	}
	switch op {
	case "in", "not_in", "nin", "notin":
		list, err := values()
		if err != nil {
			return nil, err
		}
		return semantic.In{X: col, List: list, Negate: op != "in"}, nil
	case "between":
		list, err := values()
		if err != nil {
			return nil, err
		}
		if len(list) != 2 {
			return nil, badRequest("between needs two values")
		}
		return semantic.Between{X: col, Lo: list[0], Hi: list[1]}, nil
	case "contains", "not_contains", "starts_with", "startswith", "ends_with", "endswith", "like":
		v, err := value()
		if err != nil {
			return nil, err
		}
		mode := strings.ReplaceAll(strings.TrimPrefix(op, "not_"), "_", "")
		if mode == "like" {
			mode = "contains"
		}
		return semantic.Match{X: col, Mode: mode, Pattern: v, Negate: strings.HasPrefix(op, "not_")}, nil
	case "is_null", "isnull", "is_not_null", "isnotnull", "not_null":
		return semantic.IsNull{X: col, Negate: strings.Contains(op, "not")}, nil
	}
	return nil, sqlerr.New(sqlerr.FeatureNotSupported, "filter operator %q is not supported", op)
}

// jsonLiteral reads a JSON scalar as a literal; numbers keep their exact text.
func jsonLiteral(raw json.RawMessage) (semantic.Expr, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("invalid filter value")
	}
	switch v := v.(type) {
	case nil:
		return semantic.Lit{Value: semantic.Value{Kind: semantic.KindNull}}, nil
	case string:
		return semantic.Lit{Value: semantic.String(v)}, nil
	case json.Number:
		return semantic.Lit{Value: semantic.Number(v.String())}, nil
	case bool:
		return semantic.Lit{Value: semantic.Bool(v)}, nil
	}
	return nil, badRequest("a filter value is a string, number, boolean or null")
}

// incrementalColumn is the dimension showing a dataset's incremental column.
func incrementalColumn(ds *catalog.Dataset) (*catalog.Dimension, error) {
	if !ds.Incremental.Enabled || ds.Incremental.Column == "" {
		return nil, badRequest("dataset %q has no incremental column", ds.ID)
	}
	for _, d := range ds.Dimensions {
		if d.Field == ds.Incremental.Column || d.Name == ds.Incremental.Column {
			return d, nil
		}
	}
	return nil, badRequest("dataset %q's incremental column %q is not a dimension", ds.ID, ds.Incremental.Column)
}

// parseInstant reads a date or an RFC 3339 timestamp.
func parseInstant(s string) (time.Time, bool, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, true, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, false, err
}

// incrementalWindow is the condition incrementalFrom ≤ column ≤ incrementalTo (to defaults to
// now), refused when the window is longer than the dataset's maxWindowDays.
func incrementalWindow(ds *catalog.Dataset, from, to string, now time.Time) (semantic.Expr, error) {
	dim, err := incrementalColumn(ds)
	if err != nil {
		return nil, err
	}
	if from == "" {
		return nil, badRequest("incrementalTo needs incrementalFrom")
	}
	f, fDate, err := parseInstant(from)
	if err != nil {
		return nil, badRequest("incrementalFrom %q is not a date (YYYY-MM-DD) or an RFC 3339 timestamp", from)
	}
	t, tDate := now.UTC(), false
	if to != "" {
		if t, tDate, err = parseInstant(to); err != nil {
			return nil, badRequest("incrementalTo %q is not a date (YYYY-MM-DD) or an RFC 3339 timestamp", to)
		}
	}
	if t.Before(f) {
		return nil, badRequest("incrementalTo is before incrementalFrom")
	}
	if err := checkWindow(ds, f, t); err != nil {
		return nil, err
	}
	lit := func(x time.Time, isDate bool) semantic.Expr {
		if isDate {
			return semantic.Lit{Value: semantic.Date(x)}
		}
		return semantic.Lit{Value: semantic.Timestamp(x)}
	}
	return semantic.Logic{Op: "and", Args: []semantic.Expr{
		semantic.Cmp{Op: ">=", L: semantic.Col{Name: dim.Name}, R: lit(f, fDate)},
		semantic.Cmp{Op: "<=", L: semantic.Col{Name: dim.Name}, R: lit(t, tDate)},
	}}, nil
}

// checkWindow refuses a window over the dataset's maxWindowDays.
func checkWindow(ds *catalog.Dataset, from, to time.Time) error {
	maxDays := ds.Incremental.MaxWindowDays
	if maxDays <= 0 {
		return nil
	}
	days := to.Sub(from).Hours() / 24
	if days > float64(maxDays) {
		return &apiError{status: http.StatusBadRequest, code: "incremental_window_exceeded",
			msg: fmt.Sprintf("incremental window of %.0f days exceeds dataset %q's maxWindowDays of %d", days, ds.ID, maxDays)}
	}
	return nil
}

// jsonObjects writes result rows as a comma-separated run of JSON objects keyed by column name,
// flushing to w every 32 KiB: the body of /v1/query's "rows" and of OData's "value".
type jsonObjects struct {
	w    http.ResponseWriter
	cols []planner.Column
	keys [][]byte // `"name":` per column
	buf  []byte
	n    int64 // rows written
}

func (j *jsonObjects) setColumns(cols []planner.Column) {
	j.cols = cols
	j.keys = make([][]byte, len(cols))
	for i, c := range cols {
		j.keys[i] = append(appendString(nil, c.Name), ':')
	}
}

func (j *jsonObjects) appendObject(vals [][]byte) error {
	if j.n > 0 {
		j.buf = append(j.buf, ',')
	}
	j.n++
	j.buf = append(j.buf, '{')
	for i, v := range vals {
		if i > 0 {
			j.buf = append(j.buf, ',')
		}
		j.buf = append(j.buf, j.keys[i]...)
		j.buf = appendJSON(j.buf, v, j.cols[i].Type)
	}
	j.buf = append(j.buf, '}')
	if len(j.buf) > 32<<10 {
		_, err := j.w.Write(j.buf)
		j.buf = j.buf[:0]
		return err
	}
	return nil
}
