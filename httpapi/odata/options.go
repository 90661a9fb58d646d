package odata

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
)

// Request is a parsed collection request.
type Request struct {
	// Query is the page's query: LIMIT is one more than the page, so a row beyond it says a
	// next page exists.
	Query *semantic.Query
	// Count asks for @odata.count ($count=true); CountQuery counts the whole result.
	Count      bool
	CountQuery *semantic.Query
	// PageRows is how many rows the page shows; Skip and Top are the request's own.
	PageRows int64
	Skip     int64
	Top      *int64
	// Select names the output columns in order (for the context URL).
	Select []string
	// Key is the entity key property (KeyProperty) and KeyColumns the positions of the output
	// columns its value is made of: the dimensions the result is grouped by, which tell one
	// entity of the result from another.
	Key        string
	KeyColumns []int
}

// Supported system query options; others are refused by name.
var knownOptions = map[string]bool{
	"$select": true, "$filter": true, "$orderby": true, "$top": true, "$skip": true,
	"$count": true, "$apply": true, "$format": true,
}

// ParseRequest reads a collection request's query options for ds. pageSize is the server's
// page size.
func ParseRequest(ds *catalog.Dataset, opts url.Values, pageSize int64) (*Request, error) {
	for k := range opts {
		if !strings.HasPrefix(k, "$") {
			continue // custom query options are ignored, as OData allows
		}
		if !knownOptions[k] {
			switch k {
			case "$expand", "$search", "$compute", "$levels", "$skiptoken", "$deltatoken", "$index", "$schemaversion":
				return nil, unsupported("query option %s is not supported", k)
			}
			return nil, badf("unknown query option %s", k)
		}
		if len(opts[k]) > 1 {
			return nil, badf("query option %s is given more than once", k)
		}
	}
	if f := opts.Get("$format"); f != "" && f != "json" && !strings.HasPrefix(f, "application/json") {
		return nil, unsupported("$format=%s is not supported; use json", f)
	}
	q := &semantic.Query{Dataset: ds.ID}
	req := &Request{Query: q, Key: KeyProperty(ds)}

	var apply *applied
	if a := opts.Get("$apply"); a != "" {
		var err error
		if apply, err = parseApply(ds, a); err != nil {
			return nil, err
		}
		if opts.Get("$select") != "" {
			return nil, unsupported("$select together with $apply is not supported; name the columns in groupby and aggregate")
		}
		q.Items, q.GroupBy, q.Where = apply.items, apply.groupBy, apply.where
	} else if sel := opts.Get("$select"); sel != "" && sel != "*" {
		for _, name := range strings.Split(sel, ",") {
			name = strings.TrimSpace(name)
			if name == req.Key {
				// Every entity carries its key; selecting it adds no column.
				continue
			}
			c, ok := ds.Column(name)
			if !ok {
				return nil, badf("unknown property %q in $select", name)
			}
			if selectedCol(q.Items, c.Name()) {
				// $select is a set: a property named twice is one column, not a JSON key twice.
				continue
			}
			q.Items = append(q.Items, semantic.Item{Col: c.Name()})
		}
	} else {
		for _, c := range ds.Columns() {
			q.Items = append(q.Items, semantic.Item{Col: c.Name()})
		}
	}
	if len(q.Items) == 0 {
		return nil, badf("$select names only the key %s; select a dimension or metric", req.Key)
	}
	outputs := map[string]semantic.Item{}
	hasMetric := false
	for i, it := range q.Items {
		if c, ok := ds.Column(it.Col); ok && c.Kind == catalog.KindDimension && it.Agg == "" {
			req.KeyColumns = append(req.KeyColumns, i)
		}
		outputs[it.Name()] = it
		req.Select = append(req.Select, it.Name())
		if c, ok := ds.Column(it.Col); ok && c.Kind == catalog.KindMetric {
			hasMetric = true
		}
	}
	if apply == nil && !hasMetric {
		// Dimensions alone: their distinct combinations, as entities are.
		for _, it := range q.Items {
			q.GroupBy = append(q.GroupBy, it.Col)
		}
	}

	if f := opts.Get("$filter"); f != "" {
		e, err := ParseFilter(f, func(name string) (string, bool) {
			if c, ok := ds.Column(name); ok {
				return c.Name(), true
			}
			if _, ok := outputs[name]; ok {
				return name, true
			}
			return "", false
		})
		if err != nil {
			return nil, err
		}
		where, having, err := split(ds, e, apply != nil)
		if err != nil {
			return nil, err
		}
		q.Where = semantic.And(q.Where, where)
		q.Having = having
	}
	if q.Where != nil {
		if err := checkIncremental(ds, q.Where); err != nil {
			return nil, err
		}
	}

	if ob := opts.Get("$orderby"); ob != "" {
		for _, part := range strings.Split(ob, ",") {
			f := strings.Fields(part)
			if len(f) == 0 || len(f) > 2 {
				return nil, badf("invalid $orderby item %q", strings.TrimSpace(part))
			}
			name := f[0]
			if _, ok := outputs[name]; !ok {
				if c, ok := ds.Column(name); ok {
					name = c.Name()
				}
				if _, ok := outputs[name]; !ok {
					return nil, badf("$orderby %q is not a selected property", f[0])
				}
			}
			desc := false
			if len(f) == 2 {
				switch strings.ToLower(f[1]) {
				case "asc":
				case "desc":
					desc = true
				default:
					return nil, badf("invalid $orderby direction %q", f[1])
				}
			}
			q.OrderBy = append(q.OrderBy, semantic.Order{Col: name, Desc: desc})
		}
	}
	// Paging needs a total order: every dimension of the output, after the client's keys.
	for _, it := range q.Items {
		c, ok := ds.Column(it.Col)
		if !ok || c.Kind != catalog.KindDimension || it.Agg != "" {
			continue
		}
		seen := false
		for _, o := range q.OrderBy {
			seen = seen || o.Col == it.Name()
		}
		if !seen {
			q.OrderBy = append(q.OrderBy, semantic.Order{Col: it.Name()})
		}
	}

	var err error
	if req.Skip, err = nonNegative(opts, "$skip"); err != nil {
		return nil, err
	}
	if opts.Has("$top") {
		top, err := nonNegative(opts, "$top")
		if err != nil {
			return nil, err
		}
		req.Top = &top
	}
	switch c := opts.Get("$count"); c {
	case "", "false":
	case "true":
		req.Count = true
	default:
		return nil, badf("$count must be true or false, got %q", c)
	}
	if req.Count {
		req.CountQuery = countOf(ds, q)
	}
	req.PageRows = pageSize
	if req.Top != nil && *req.Top < pageSize {
		req.PageRows = *req.Top
	}
	limit := req.PageRows + 1
	q.Limit = &limit
	if req.Skip > 0 {
		skip := req.Skip
		q.Offset = &skip
	}
	return req, nil
}

// CountQuery is the query of /{set}/$count: the options that shape the result, without paging.
func CountQuery(ds *catalog.Dataset, opts url.Values) (*semantic.Query, error) {
	o := url.Values{}
	for k, v := range opts {
		// /$count counts the entities $filter and $apply leave; the rest does not apply.
		if k == "$top" || k == "$skip" || k == "$orderby" || k == "$count" || k == "$select" {
			continue
		}
		o[k] = v
	}
	req, err := ParseRequest(ds, o, 1)
	if err != nil {
		return nil, err
	}
	return countOf(ds, req.Query), nil
}

// countOf is the query whose rows are counted for q: q's groups made explicit (its dimensions
// grouped, or a single aggregate when it has none), without ordering or paging.
func countOf(ds *catalog.Dataset, q *semantic.Query) *semantic.Query {
	cq := &semantic.Query{Dataset: q.Dataset, Where: q.Where, Having: q.Having}
	for _, it := range q.Items {
		if c, ok := ds.Column(it.Col); ok && c.Kind == catalog.KindDimension && it.Agg == "" {
			cq.Items = append(cq.Items, it)
			cq.GroupBy = append(cq.GroupBy, it.Col)
		}
	}
	if len(cq.Items) == 0 {
		for _, it := range q.Items {
			if it.Agg == "" {
				it.Agg = "measure"
			}
			cq.Items = append(cq.Items, it)
		}
	}
	return cq
}

func nonNegative(opts url.Values, k string) (int64, error) {
	v := opts.Get(k)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badf("%s must be a non-negative integer, got %q", k, v)
	}
	return n, nil
}

// split puts conditions on dimensions in WHERE and conditions on metrics in HAVING. After
// $apply, conditions on aggregated aliases are not supported.
func split(ds *catalog.Dataset, e semantic.Expr, applied bool) (where, having semantic.Expr, err error) {
	for _, c := range semantic.Conjuncts(e) {
		kind := catalog.ColumnKind(0)
		for _, name := range semantic.Columns(c) {
			col, ok := ds.Column(name)
			if !ok {
				return nil, nil, unsupported("$filter on the aggregated value %q is not supported", name)
			}
			if kind != 0 && kind != col.Kind {
				return nil, nil, unsupported("a $filter condition combining dimensions and metrics under or/not is not supported")
			}
			kind = col.Kind
		}
		if kind == catalog.KindMetric {
			if applied {
				return nil, nil, unsupported("$filter on metric %q after $apply is not supported", semantic.Columns(c)[0])
			}
			having = semantic.And(having, c)
		} else {
			where = semantic.And(where, c)
		}
	}
	return where, having, nil
}

// checkIncremental refuses an incremental-refresh window on the dataset's incremental column
// longer than its maxWindowDays. A window is a closed range: a lower bound (ge/gt) and an upper
// bound (le/lt) among the top-level conditions, which is what Power BI's and Excel's
// incremental refresh send (RangeStart, RangeEnd). A lone bound ("since X", "before Y") is an
// ordinary filter and never refused: OData cannot tell it from a report's date filter, and
// "until now" would make the answer depend on the day it is asked.
func checkIncremental(ds *catalog.Dataset, where semantic.Expr) error {
	inc := ds.Incremental
	if !inc.Enabled || inc.MaxWindowDays <= 0 {
		return nil
	}
	col := ""
	for _, d := range ds.Dimensions {
		if d.Field == inc.Column || d.Name == inc.Column {
			col = d.Name
		}
	}
	if col == "" {
		return nil
	}
	var lo, hi *time.Time
	for _, c := range semantic.Conjuncts(where) {
		cmp, ok := c.(semantic.Cmp)
		if !ok {
			continue
		}
		l, lok := cmp.L.(semantic.Col)
		r, rok := cmp.R.(semantic.Lit)
		if !lok || !rok || l.Name != col || (r.Value.Kind != semantic.KindDate && r.Value.Kind != semantic.KindTimestamp) {
			continue
		}
		t := r.Value.Time
		switch cmp.Op {
		case ">=", ">":
			if lo == nil || t.After(*lo) {
				lo = &t
			}
		case "<=", "<":
			if hi == nil || t.Before(*hi) {
				hi = &t
			}
		}
	}
	if lo == nil || hi == nil {
		return nil
	}
	days := hi.Sub(*lo).Hours() / 24
	if days > float64(inc.MaxWindowDays) {
		return &Error{Code: "incremental_window_exceeded", Message: "incremental window of " + strconv.FormatFloat(days, 'f', 0, 64) + " days on " + col +
			" exceeds dataset " + strconv.Quote(ds.ID) + "'s maxWindowDays of " + strconv.Itoa(inc.MaxWindowDays)}
	}
	return nil
}

func selectedCol(items []semantic.Item, col string) bool {
	for _, it := range items {
		if it.Col == col {
			return true
		}
	}
	return false
}
