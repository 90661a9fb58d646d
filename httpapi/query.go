package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// queryRequest is the original product's JSON query. Every object in it is decoded strictly:
// a key the API does not know is a 400 naming it, never ignored, since an ignored key (a
// misspelt filter, a per-metric condition) silently changes what the numbers mean.
type queryRequest struct {
	Dataset         string          `json:"dataset"`
	Dimensions      []dimensionRef  `json:"dimensions"`
	Metrics         []metricRef     `json:"metrics"`
	Filters         json.RawMessage `json:"filters"`
	OrderBy         []orderRef      `json:"orderBy"`
	Limit           *int64          `json:"limit"`
	Offset          *int64          `json:"offset"`
	IncrementalFrom string          `json:"incrementalFrom"`
	IncrementalTo   string          `json:"incrementalTo"`
}

// requestError is a malformed request body; its message names the offending key or value.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func requestErrorf(format string, args ...any) error {
	return &requestError{msg: fmt.Sprintf(format, args...)}
}

// decodeStrict decodes exactly one JSON value from b into v, refusing keys v does not declare
// and anything after the value. what names the object in messages ("the query", "a dimension").
func decodeStrict(b []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err, what)
	}
	if _, err := dec.Token(); err != io.EOF {
		return requestErrorf("%s is followed by more data; send one JSON object", what)
	}
	return nil
}

// describeJSONError rewords encoding/json's errors in the API's terms, keeping what they name.
func describeJSONError(err error, what string) error {
	var re *requestError
	if errors.As(err, &re) {
		return re
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return requestErrorf("%s: %q must not be a JSON %s", what, te.Field, te.Value)
		}
		return requestErrorf("%s must not be a JSON %s", what, te.Value)
	case errors.As(err, &se):
		return requestErrorf("%s is not valid JSON at byte %d", what, se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return requestErrorf("%s is incomplete JSON", what)
	}
	if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return requestErrorf("%s has an unknown key %s", what, k)
	}
	return requestErrorf("%s: %v", what, err)
}

// decodeQuery reads a whole /v1/query body strictly (filters are read later, by buildQuery).
func decodeQuery(body []byte) (*queryRequest, error) {
	if err := checkDuplicateKeys(body); err != nil {
		return nil, err
	}
	var req queryRequest
	if err := decodeStrict(body, &req, "the query"); err != nil {
		return nil, err
	}
	return &req, nil
}

// checkDuplicateKeys refuses an object with a key twice (compared as encoding/json matches
// keys to fields, ignoring case): the decoder would keep the last and silently drop the first,
// e.g. a second "filters" replacing the first. Malformed JSON is left to the decoder's message.
func checkDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	// One frame per open object (its keys so far) or array (nil); expectKey tells a key token
	// from a string value inside an object.
	var stack []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		inObject := len(stack) > 0 && stack[len(stack)-1] != nil
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, map[string]bool{})
				expectKey = true
				continue
			case '[':
				stack = append(stack, nil)
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
		case string:
			if inObject && expectKey {
				k := strings.ToLower(t)
				if stack[len(stack)-1][k] {
					return requestErrorf("key %q appears twice in one object", t)
				}
				stack[len(stack)-1][k] = true
				expectKey = false
				continue
			}
		}
		// After a value inside an object, the next token is a key again.
		expectKey = len(stack) > 0 && stack[len(stack)-1] != nil
	}
}

// oneOf returns the one non-empty spelling of a key that has synonyms (name/field, ...).
func oneOf(what string, spellings map[string]string) (string, error) {
	var got, key string
	for k, v := range spellings {
		if v == "" {
			continue
		}
		if got != "" {
			return "", requestErrorf("%s gives both %q and %q; use one", what, key, k)
		}
		got, key = v, k
	}
	return got, nil
}

// dimensionRef is a dimension named by a string or by {"name"|"field", "timeGrain", "alias"}.
type dimensionRef struct {
	Name      string
	TimeGrain string
	Alias     string
}

func (d *dimensionRef) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		d.Name = s
		return nil
	}
	var o struct {
		Name      string `json:"name"`
		Field     string `json:"field"`
		TimeGrain string `json:"timeGrain"`
		Alias     string `json:"alias"`
	}
	if err := decodeStrict(b, &o, "a dimension"); err != nil {
		return err
	}
	name, err := oneOf("a dimension", map[string]string{"name": o.Name, "field": o.Field})
	if err != nil {
		return err
	}
	if name == "" {
		return requestErrorf(`a dimension is a name or {"name": ...}`)
	}
	d.Name, d.Alias = name, o.Alias
	if o.TimeGrain != "" {
		d.TimeGrain = strings.ToLower(o.TimeGrain)
		if !semantic.Grains[d.TimeGrain] {
			return requestErrorf("timeGrain %q of dimension %q is not day, week, month, quarter or year", o.TimeGrain, name)
		}
	}
	return nil
}

// metricRef is a metric named by a string or by {"name"|"field", "alias"}.
type metricRef struct {
	Name  string
	Alias string
}

func (m *metricRef) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		m.Name = s
		return nil
	}
	var o struct {
		Name  string          `json:"name"`
		Field string          `json:"field"`
		Alias string          `json:"alias"`
		Where json.RawMessage `json:"where"`
	}
	if err := decodeStrict(b, &o, "a metric"); err != nil {
		return err
	}
	name, err := oneOf("a metric", map[string]string{"name": o.Name, "field": o.Field})
	if err != nil {
		return err
	}
	if name == "" {
		return requestErrorf(`a metric is a name or {"name": ...}`)
	}
	if o.Where != nil {
		// Answering it unfiltered would be a wrong number; a catalog metric with a filter
		// (expression.filter) is the supported way to a conditional metric.
		return requestErrorf("metric %q: a per-metric \"where\" is not supported; put the condition in \"filters\" or define a filtered metric in the catalog", name)
	}
	m.Name, m.Alias = name, o.Alias
	return nil
}

// jsonString reads b as a JSON string, if it is one.
func jsonString(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// orderRef is "name", "-name", or {"field"|"name": ..., "direction"|"order": "asc"|"desc"}.
type orderRef struct {
	Field string
	Desc  bool
}

func (o *orderRef) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
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
	if err := decodeStrict(b, &v, "an orderBy item"); err != nil {
		return err
	}
	field, err := oneOf("an orderBy item", map[string]string{"field": v.Field, "name": v.Name})
	if err != nil {
		return err
	}
	if field == "" {
		return requestErrorf(`an orderBy item is a name or {"field": ..., "direction": "asc"|"desc"}`)
	}
	dir, err := oneOf("an orderBy item", map[string]string{"direction": v.Direction, "order": v.Order})
	if err != nil {
		return err
	}
	o.Field = field
	switch strings.ToLower(dir) {
	case "", "asc":
		if v.Desc && dir != "" {
			return requestErrorf("orderBy %q says both %q and desc", field, dir)
		}
	case "desc":
		o.Desc = true
	default:
		return requestErrorf("direction %q is not asc or desc", dir)
	}
	o.Desc = o.Desc || v.Desc
	return nil
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if !s.admit(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		// A missing type is read as JSON (the body is parsed strictly anyway); a stated
		// other type is refused, so a form post or plain text never passes for a query.
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.writeError(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json", "")
			return
		}
	}
	// The whole body is read, so the size cap covers trailing bytes too.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("request body is over %d bytes", mbe.Limit), "")
			return
		}
		s.writeError(w, r, http.StatusBadRequest, "invalid_request", "request body could not be read", "")
		return
	}
	req, err := decodeQuery(body)
	if err != nil {
		s.writeError(w, r, http.StatusBadRequest, "invalid_request", "request body is not a valid query: "+err.Error(), "")
		return
	}
	ri := info(r)
	ri.dataset = req.Dataset
	cat := s.cfg.Catalog()
	q, err := buildQuery(cat, ri.principal.InScope, req, s.cfg.MaxDimensions, time.Now())
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
// caller hears "unknown metric" rather than a SQL error. maxDimensions bounds the dimension
// expressions (a dimension at two time grains is two).
func buildQuery(cat *catalog.Catalog, inScope func(string) bool, req *queryRequest, maxDimensions int, now time.Time) (*semantic.Query, error) {
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
	if maxDimensions > 0 && len(req.Dimensions) > maxDimensions {
		return nil, sqlerr.New(sqlerr.ProgramLimitExceeded, "query asks for %d dimensions; the limit is %d", len(req.Dimensions), maxDimensions).
			WithHint("split the query, or raise SETU_MAX_DIMENSIONS")
	}
	paths := joinPaths{cat: cat, anchor: ds, inScope: inScope}
	q := &semantic.Query{Dataset: ds.ID, Joins: joinResolver(cat, ds, inScope)}
	// outputs are the result's column names: each appears once, as a JSON object has each key
	// once. exprs are the selected expressions, so one asked for twice is refused rather than
	// repeated under two names.
	outputs := map[string]bool{}
	exprs := map[string]bool{}
	add := func(it semantic.Item, expr string) error {
		if exprs[expr] {
			return badRequest("%s is asked for twice", expr)
		}
		if len(it.Alias) > maxAliasBytes {
			return badRequest("alias %q is longer than %d bytes", it.Alias, maxAliasBytes)
		}
		if _, own := ds.Column(it.Col); !own && it.Alias == "" && len(it.Col) > maxAliasBytes {
			// A joined column is named by its dotted name, which the engine would cut.
			return badRequest("result column %q would be longer than %d bytes; give it an alias", it.Col, maxAliasBytes)
		}
		if outputs[it.Name()] {
			return badRequest("two result columns would be named %q; give one an alias", it.Name())
		}
		exprs[expr], outputs[it.Name()] = true, true
		q.Items = append(q.Items, it)
		return nil
	}
	var dims []string
	for _, d := range req.Dimensions {
		c, name, err := paths.column(d.Name, catalog.KindDimension)
		if err != nil {
			return nil, err
		}
		it := semantic.Item{Col: name, Alias: d.Alias, Grain: d.TimeGrain}
		expr := fmt.Sprintf("dimension %q", name)
		if d.TimeGrain != "" {
			switch c.Dimension.Type {
			case catalog.TypeDate:
				it.GrainAsDate = true
			case catalog.TypeTimestamp, catalog.TypeTimestampTZ:
			default:
				return nil, badRequest("timeGrain needs a date or timestamp dimension; %q is %s", name, c.Dimension.Type)
			}
			expr = fmt.Sprintf("dimension %q at timeGrain %q", name, d.TimeGrain)
		}
		if err := add(it, expr); err != nil {
			return nil, err
		}
		dims = append(dims, it.Name())
	}
	for _, m := range req.Metrics {
		_, name, err := paths.column(m.Name, catalog.KindMetric)
		if err != nil {
			return nil, err
		}
		if err := add(semantic.Item{Col: name, Alias: m.Alias}, fmt.Sprintf("metric %q", name)); err != nil {
			return nil, err
		}
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
			kind, err := filterKind(paths, conj)
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
		name, err := orderColumn(paths, q.Items, o.Field)
		if err != nil {
			return nil, err
		}
		q.OrderBy = append(q.OrderBy, semantic.Order{Col: name, Desc: o.Desc})
	}
	if req.Limit != nil && *req.Limit < 0 || req.Offset != nil && *req.Offset < 0 {
		return nil, badRequest("limit and offset must not be negative")
	}
	q.Limit, q.Offset = req.Limit, req.Offset
	return q, nil
}

// maxAliasBytes is PostgreSQL's identifier length: a longer alias would be cut by the engine.
const maxAliasBytes = 63

// orderColumn resolves an orderBy name to a result column: a result column's own name (an
// alias, or a dimension or metric selected under its name), else the one selected item of
// that dimension or metric.
func orderColumn(paths joinPaths, items []semantic.Item, field string) (string, error) {
	for _, it := range items {
		if it.Name() == field {
			return it.Name(), nil
		}
	}
	if _, name, err := paths.column(field, 0); err == nil {
		var found []string
		for _, it := range items {
			if it.Col == name {
				found = append(found, it.Name())
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
		default:
			return "", badRequest("orderBy %q is ambiguous: it is selected as %s; order by one of those names", field, strings.Join(found, ", "))
		}
	}
	return "", sqlerr.New(sqlerr.UndefinedColumn, "orderBy %q is not a selected dimension or metric", field)
}

// filterKind says whether a condition filters rows (dimensions: WHERE) or groups (metrics:
// HAVING); a condition mixing both cannot be either.
func filterKind(paths joinPaths, e semantic.Expr) (catalog.ColumnKind, error) {
	var kind catalog.ColumnKind
	for _, name := range semantic.Columns(e) {
		c, _, err := paths.column(name, 0)
		if err != nil {
			return 0, err
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

// conditionKeys are the keys a filter condition may have; any other is refused by name.
var conditionKeys = map[string]bool{
	"field": true, "dimension": true, "metric": true, "name": true,
	"op": true, "operator": true, "value": true, "values": true,
}

func parseCondition(obj map[string]json.RawMessage) (semantic.Expr, error) {
	for k := range obj {
		if !conditionKeys[k] {
			return nil, badRequest("a filter condition has an unknown key %q", k)
		}
	}
	str := func(keys ...string) (string, error) {
		spellings := map[string]string{}
		for _, k := range keys {
			v, ok := obj[k]
			if !ok {
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return "", badRequest("%q must be a string", k)
			}
			spellings[k] = s
		}
		s, err := oneOf("a filter condition", spellings)
		if err != nil {
			return "", badRequest("%s", err.Error())
		}
		return s, nil
	}
	field, err := str("field", "dimension", "metric", "name")
	if err != nil {
		return nil, err
	}
	op, err := str("op", "operator")
	if err != nil {
		return nil, err
	}
	if field == "" || op == "" {
		return nil, badRequest(`a filter condition needs "field" and "op"`)
	}
	if _, v1 := obj["value"]; v1 {
		if _, v2 := obj["values"]; v2 {
			return nil, badRequest(`a filter condition gives both "value" and "values"; use one`)
		}
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
		_, hasValue := obj["value"]
		if _, hasValues := obj["values"]; hasValue || hasValues {
			return nil, badRequest("operator %q takes no value", op)
		}
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
	// lead, when set, is a `"name":value` pair written first in each object (OData's key).
	lead []byte
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
	if len(j.lead) > 0 {
		j.buf = append(j.buf, j.lead...)
		if len(vals) > 0 {
			j.buf = append(j.buf, ',')
		}
	}
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

// column resolves a name of a request over the anchor: a column of the anchor, or "<dataset>.
// <column>" along a declared join (joinPaths.lookup). kind, when set, is the kind it must be.
// It returns the column and the name the query uses for it (canonical: the catalog's spelling).
func (p joinPaths) column(name string, kind catalog.ColumnKind) (catalog.Column, string, error) {
	what := map[catalog.ColumnKind]string{0: "dimension or metric", catalog.KindDimension: "dimension", catalog.KindMetric: "metric"}[kind]
	if c, ok := p.anchor.Column(name); ok {
		if kind != 0 && c.Kind != kind {
			return catalog.Column{}, "", sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no %s %q", p.anchor.ID, what, name)
		}
		return c, c.Name(), nil
	}
	if !strings.Contains(name, ".") {
		return catalog.Column{}, "", sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no %s %q", p.anchor.ID, what, name)
	}
	if kind == catalog.KindDimension {
		// Checked before the path, which a metric may take backwards and a dimension may not.
		if ds, col := p.dataset(name); ds != nil {
			if c, ok := ds.Column(col); ok && c.Kind != kind {
				return catalog.Column{}, "", sqlerr.New(sqlerr.UndefinedColumn, "%q: dataset %q has no dimension %q", name, ds.ID, col)
			}
		}
	}
	j, _, err := p.lookup(name)
	if err != nil {
		return catalog.Column{}, "", err
	}
	if kind != 0 && j.col.Kind != kind {
		return catalog.Column{}, "", sqlerr.New(sqlerr.UndefinedColumn, "%q: dataset %q has no %s %q", name, j.ds.ID, what, j.col.Name())
	}
	return j.col, j.name(), nil
}

// joinedColumn is what a dotted name of a request means: column col of dataset ds, reached from
// the request's dataset by path (empty when ds is that dataset).
type joinedColumn struct {
	ds   *catalog.Dataset
	col  catalog.Column
	path []semantic.Step
}

// name is the canonical "<dataset>.<column>" name.
func (j joinedColumn) name() string { return j.ds.ID + "." + j.col.Name() }

// joinResolver is the semantic.Resolver every HTTP front door sets as semantic.Query.Joins for a
// request over ds by a principal whose scope is inScope: names "<dataset>.<column>" follow the
// catalog's declared joins (joinPaths.lookup).
func joinResolver(cat *catalog.Catalog, ds *catalog.Dataset, inScope func(string) bool) semantic.Resolver {
	return joinPaths{cat: cat, anchor: ds, inScope: inScope}.resolver()
}

// joinPaths reads the names "<dataset>.<column>" of requests over anchor along the catalog's
// declared joins, for the principal whose scope is inScope. A column of anchor is named as it
// is (a name holding a dot included); a dataset outside the scope is no dataset.
type joinPaths struct {
	cat     *catalog.Catalog
	anchor  *catalog.Dataset
	inScope func(string) bool
}

// resolver is the semantic.Resolver of these paths, for semantic.Query.Joins.
func (p joinPaths) resolver() semantic.Resolver {
	return func(name string) (semantic.Ref, bool, error) {
		j, ok, err := p.lookup(name)
		if err != nil || !ok {
			return semantic.Ref{}, false, err
		}
		return semantic.Ref{Path: j.path, Column: j.col.Name()}, true, nil
	}
}

// lookup resolves name. ok is false for a name that is a column of anchor or holds no dot.
// A dimension is reached along the many-to-one path from anchor (each row of anchor has at most
// one value of it); a metric also along a one-to-many path, the many-to-one path from its
// dataset to anchor read backwards (its rows are those the join keeps, each aggregated once).
func (p joinPaths) lookup(name string) (joinedColumn, bool, error) {
	if _, ok := p.anchor.Column(name); ok || !strings.Contains(name, ".") {
		return joinedColumn{}, false, nil
	}
	ds, colName := p.dataset(name)
	if ds == nil {
		return joinedColumn{}, false, sqlerr.New(sqlerr.UndefinedColumn, "dataset %q has no dimension or metric %q, and %q names no dataset", p.anchor.ID, name, name).
			WithHint(`name a column of another dataset as "<dataset>.<column>"`)
	}
	c, ok := ds.Column(colName)
	if !ok {
		return joinedColumn{}, false, sqlerr.New(sqlerr.UndefinedColumn, "%q: dataset %q has no dimension or metric %q", name, ds.ID, colName)
	}
	j := joinedColumn{ds: ds, col: c}
	if ds.ID == p.anchor.ID {
		return j, true, nil
	}
	steps, err := p.path(name, ds, c.Kind == catalog.KindMetric)
	if err != nil {
		return joinedColumn{}, false, err
	}
	if j.path, err = p.semanticSteps(name, steps); err != nil {
		return joinedColumn{}, false, err
	}
	return j, true, nil
}

// dataset splits name at the first dot after which a dataset in scope is named: that dataset
// and the rest of the name, or nil.
func (p joinPaths) dataset(name string) (*catalog.Dataset, string) {
	for i := 0; i < len(name); i++ {
		if name[i] != '.' {
			continue
		}
		if ds, ok := p.cat.Dataset(name[:i]); ok && p.inScope(ds.ID) {
			return ds, name[i+1:]
		}
	}
	return nil, ""
}

// path is the catalog's path of joins from anchor to ds: many-to-one, or for a metric
// (backwards) one-to-many. No path, or two, is a 400 naming the datasets and the joins.
func (p joinPaths) path(name string, ds *catalog.Dataset, metric bool) ([]*catalog.Join, error) {
	steps, err := p.cat.ManyToOnePath(p.anchor.ID, ds.ID)
	if err == nil {
		return steps, nil
	}
	var pe *catalog.PathError
	if !errors.As(err, &pe) {
		return nil, err
	}
	if metric && len(pe.Paths) == 0 {
		back, berr := p.cat.ManyToOnePath(ds.ID, p.anchor.ID)
		if berr == nil {
			return reversePath(back), nil
		}
		if !errors.As(berr, &pe) {
			return nil, berr
		}
		if len(pe.Paths) == 0 {
			return nil, sqlerr.New(sqlerr.InvalidColumnReference, "%q: no path of declared joins leads from dataset %q to dataset %q, neither many-to-one nor one-to-many", name, p.anchor.ID, ds.ID).
				WithHint("declare a join between %q and %q in the catalog, or query %q on its own", p.anchor.ID, ds.ID, ds.ID)
		}
	}
	if !metric && len(pe.Paths) == 0 {
		if _, err := p.cat.ManyToOnePath(ds.ID, p.anchor.ID); err == nil {
			// A dimension reached one-to-many has several values per row of anchor.
			return nil, sqlerr.New(sqlerr.InvalidColumnReference, "%q: dataset %q reaches dataset %q only one-to-many (one row of %q has many rows of %q), so dimensions of %q do not group rows of %q",
				name, p.anchor.ID, ds.ID, p.anchor.ID, ds.ID, ds.ID, p.anchor.ID).
				WithHint("make %q the query's dataset and name the dimensions of %q as \"%s.<dimension>\"; metrics of %q may be asked for from %q", ds.ID, p.anchor.ID, p.anchor.ID, ds.ID, p.anchor.ID)
		}
	}
	return nil, sqlerr.New(sqlerr.InvalidColumnReference, "%q: %s", name, pe.Error())
}

// reversePath reads a path of joins backwards: from its last dataset to its first.
func reversePath(path []*catalog.Join) []*catalog.Join {
	out := make([]*catalog.Join, len(path))
	for i, j := range path {
		r := &catalog.Join{Dataset: j.From(), Relationship: j.Relationship, Line: j.Line}
		for _, pr := range j.On {
			r.On = append(r.On, catalog.JoinPair{Field: pr.TargetField, TargetField: pr.Field})
		}
		out[len(path)-1-i] = r
	}
	return out
}

// semanticSteps are the catalog's join steps as the query names them: each pair of fields as
// the dimensions that show them, since a query names columns, not fields. A step whose field
// no plain dimension shows cannot be written, and is refused naming it.
func (p joinPaths) semanticSteps(name string, path []*catalog.Join) ([]semantic.Step, error) {
	from := p.anchor
	out := make([]semantic.Step, 0, len(path))
	for _, j := range path {
		to, ok := p.cat.Dataset(j.Dataset)
		if !ok || !p.inScope(to.ID) {
			return nil, sqlerr.New(sqlerr.InvalidColumnReference, "%q: no path of declared joins this key may read leads from dataset %q to it", name, p.anchor.ID)
		}
		step := semantic.Step{Dataset: to.ID}
		for _, pr := range j.On {
			a, aok := fieldDimension(from, pr.Field)
			b, bok := fieldDimension(to, pr.TargetField)
			if !aok || !bok {
				ds, f := from, pr.Field
				if aok {
					ds, f = to, pr.TargetField
				}
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%q: the join of dataset %q to dataset %q (catalog line %d) pairs field %q of dataset %q, which no dimension shows, so a query cannot join on it",
					name, from.ID, to.ID, j.Line, f, ds.ID).
					WithHint("add a dimension showing field %q to dataset %q in the catalog", f, ds.ID)
			}
			step.On = append(step.On, semantic.Pair{From: a, To: b})
		}
		out = append(out, step)
		from = to
	}
	return out, nil
}

// fieldDimension is the name of a plain dimension of ds showing field (no SQL of its own: the
// field's value as it is, so equal dimensions are equal fields).
func fieldDimension(ds *catalog.Dataset, field string) (string, bool) {
	for _, d := range ds.Dimensions {
		if d.Field == field && d.SQL == "" {
			return d.Name, true
		}
	}
	return "", false
}
