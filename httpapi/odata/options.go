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
	// entity of the result from another (Shape.Key and Shape.KeyColumns).
	Key        string
	KeyColumns []int
	// Shape is how each result row becomes an entity's JSON object.
	Shape *Shape
}

// Shape is how an entity's JSON object is made of a result row's columns.
type Shape struct {
	// Key is the entity key property; its value is the JSON array of the KeyColumns' values.
	Key        string
	KeyColumns []int
	Props      []Prop
	// Present, for a related entity, are columns that hold a value exactly when the related
	// row exists (its join key): when all are NULL the navigation property is null. Empty: the
	// entity is always an object (a path in $select or groupby projects the related values,
	// NULL where no row is related, and groups by them alone).
	Present []int
}

// Prop is one property of an entity: a column's value, or (Related set) a navigation
// property's related entity.
type Prop struct {
	Name    string
	Column  int
	Related *Shape
}

// Supported system query options; others are refused by name.
var knownOptions = map[string]bool{
	"$select": true, "$filter": true, "$orderby": true, "$top": true, "$skip": true,
	"$count": true, "$apply": true, "$format": true, "$expand": true,
}

// request is the state of parsing one request.
type request struct {
	m   *Model
	ds  *catalog.Dataset
	q   *semantic.Query
	req *Request
	// places[i] is where Query.Items[i] goes in the entity: nil for a column the entity does
	// not show (a related row's join key, read to tell a missing row from NULL values).
	places [][]string
	// dims are the semantic names of the items that are dimensions, own or related.
	dims map[string]bool
	// present are, by navigation prefix ("customers/"), the columns telling whether the
	// related row of a navigation property $expand names exists.
	present map[string][]int
	// kinds are the kinds of the properties $filter names, by semantic name.
	kinds map[string]catalog.ColumnKind
}

// ParseRequest reads a collection request's query options for ds, an entity set of m.
// pageSize is the server's page size.
func ParseRequest(m *Model, ds *catalog.Dataset, opts url.Values, pageSize int64) (*Request, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	if f := opts.Get("$format"); f != "" && f != "json" && !strings.HasPrefix(f, "application/json") {
		return nil, unsupported("$format=%s is not supported; use json", f)
	}
	q := &semantic.Query{Dataset: ds.ID, Joins: m.resolver(ds)}
	r := &request{m: m, ds: ds, q: q, req: &Request{Query: q, Key: KeyProperty(ds)}, dims: map[string]bool{},
		present: map[string][]int{}, kinds: map[string]catalog.ColumnKind{}}
	req := r.req

	apply, err := r.items(opts)
	if err != nil {
		return nil, err
	}
	if len(q.Items) == 0 {
		return nil, badf("$select names only the key %s; select a dimension or metric", req.Key)
	}
	outputs := map[string]semantic.Item{}
	hasMetric := false
	for i, it := range q.Items {
		outputs[it.Name()] = it
		if r.places[i] != nil {
			req.Select = append(req.Select, it.Name())
		}
		hasMetric = hasMetric || !r.dims[it.Name()]
	}
	if apply == nil && !hasMetric {
		// Dimensions alone: their distinct combinations, as entities are.
		for _, it := range q.Items {
			q.GroupBy = append(q.GroupBy, it.Name())
		}
	}
	req.Shape = r.shape()
	req.KeyColumns = req.Shape.KeyColumns

	if f := opts.Get("$filter"); f != "" {
		if err := r.filter(f, outputs, apply != nil); err != nil {
			return nil, err
		}
	}
	if q.Where != nil {
		if err := checkIncremental(ds, q.Where); err != nil {
			return nil, err
		}
	}
	if ob := opts.Get("$orderby"); ob != "" {
		if err := r.orderBy(ob, outputs); err != nil {
			return nil, err
		}
	}
	// Paging needs a total order: every dimension of the output, after the client's keys.
	for _, it := range q.Items {
		if !r.dims[it.Name()] {
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
	if err := r.paging(opts, pageSize); err != nil {
		return nil, err
	}
	return req, nil
}

// checkOptions refuses unknown system query options by name, and any given twice.
func checkOptions(opts url.Values) error {
	for k := range opts {
		if !strings.HasPrefix(k, "$") {
			continue // custom query options are ignored, as OData allows
		}
		if !knownOptions[k] {
			switch k {
			case "$search", "$compute", "$levels", "$skiptoken", "$deltatoken", "$index", "$schemaversion":
				return unsupported("query option %s is not supported", k)
			}
			return badf("unknown query option %s", k)
		}
		if len(opts[k]) > 1 {
			return badf("query option %s is given more than once", k)
		}
	}
	return nil
}

// items reads the output columns: $apply's, or $select's (all columns by default), then the
// related entities $expand adds.
func (r *request) items(opts url.Values) (*applied, error) {
	expands, err := r.parseExpand(opts.Get("$expand"))
	if err != nil {
		return nil, err
	}
	if a := opts.Get("$apply"); a != "" {
		if opts.Get("$select") != "" {
			return nil, unsupported("$select together with $apply is not supported; name the columns in groupby and aggregate")
		}
		if len(expands) > 0 {
			return nil, unsupported("$expand together with $apply is not supported; name related properties in groupby as paths (customers/region)")
		}
		apply, err := parseApply(r.m, r.ds, a)
		if err != nil {
			return nil, err
		}
		r.q.GroupBy, r.q.Where = apply.groupBy, apply.where
		for i, it := range apply.items {
			r.add(it, apply.places[i], apply.dims[i])
		}
		return apply, nil
	}
	if sel := opts.Get("$select"); sel != "" && sel != "*" {
		for _, name := range strings.Split(sel, ",") {
			if err := r.selectPath(strings.TrimSpace(name)); err != nil {
				return nil, err
			}
		}
	} else {
		for _, c := range r.ds.Columns() {
			r.add(semantic.Item{Col: c.Name()}, []string{c.Name()}, c.Kind == catalog.KindDimension)
		}
	}
	for _, e := range expands {
		if err := r.expand(e); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// add appends an output column, unless one of the same name is there (a property named twice
// is one column, not a JSON key twice); a place given for a column read unshown shows it.
func (r *request) add(it semantic.Item, place []string, dim bool) int {
	for i, have := range r.q.Items {
		if have.Name() == it.Name() {
			if r.places[i] == nil {
				r.places[i] = place
			}
			return i
		}
	}
	r.q.Items = append(r.q.Items, it)
	r.places = append(r.places, place)
	if dim {
		r.dims[it.Name()] = true
	}
	return len(r.q.Items) - 1
}

// pathItem is the output column of a related dimension.
func pathItem(rf ref) semantic.Item {
	name := rf.semanticName()
	return semantic.Item{Col: name, Alias: name}
}

// selectPath reads one $select item: a property, a path to a related dimension, or a
// navigation property (which shows its related entity only where $expand expands it).
func (r *request) selectPath(name string) error {
	if name == r.req.Key {
		// Every entity carries its key; selecting it adds no column.
		return nil
	}
	if _, ok := r.m.navigation(r.ds, name); ok {
		// In minimal metadata a selected navigation property that is not expanded writes
		// nothing; one that is expanded is written by $expand.
		return nil
	}
	rf, err := r.m.resolve(r.ds, name, "$select")
	if err != nil {
		return err
	}
	if len(rf.Steps) == 0 {
		r.add(semantic.Item{Col: rf.Col.Name()}, []string{rf.Col.Name()}, rf.Col.Kind == catalog.KindDimension)
		return nil
	}
	r.add(pathItem(rf), rf.props(), true)
	return nil
}

// shape builds the entity's JSON shape from the output columns' places.
func (r *request) shape() *Shape {
	top := &Shape{Key: r.req.Key}
	related := map[string]*Shape{}
	for i, place := range r.places {
		if r.dims[r.q.Items[i].Name()] {
			top.KeyColumns = append(top.KeyColumns, i)
		}
		if place == nil {
			continue
		}
		s, prefix := top, ""
		for _, nav := range place[:len(place)-1] {
			prefix += nav + "/"
			rs, ok := related[prefix]
			if !ok {
				rs = &Shape{Key: KeyProperty(r.targetOf(prefix)), Present: r.present[prefix]}
				related[prefix] = rs
				s.Props = append(s.Props, Prop{Name: nav, Column: -1, Related: rs})
			}
			s = rs
		}
		s.Props = append(s.Props, Prop{Name: place[len(place)-1], Column: i})
		if len(place) > 1 {
			s.KeyColumns = append(s.KeyColumns, i)
		}
	}
	// A related entity's key also holds its join key when read unshown, so two related rows
	// whose shown values agree still have two keys.
	for prefix, rs := range related {
		for _, c := range r.present[prefix] {
			if r.places[c] == nil {
				rs.KeyColumns = append(rs.KeyColumns, c)
			}
		}
	}
	return top
}

// targetOf is the dataset a navigation prefix ("customers/") leads to.
func (r *request) targetOf(prefix string) *catalog.Dataset {
	steps, at, err := r.m.follow(r.ds, splitPath(strings.TrimSuffix(prefix, "/")), "")
	if err != nil || len(steps) == 0 {
		return r.ds
	}
	return at
}

// filter reads $filter: conditions on dimensions (own or related) in WHERE, on metrics in
// HAVING.
func (r *request) filter(f string, outputs map[string]semantic.Item, applied bool) error {
	e, err := ParseFilter(f, func(name string) (string, error) {
		if _, ok := outputs[name]; ok && !strings.Contains(name, "/") {
			if _, own := r.ds.Column(name); !own {
				return name, nil // an alias of $apply's output
			}
		}
		rf, err := r.m.resolve(r.ds, name, "$filter")
		if err != nil {
			return "", err
		}
		n := rf.semanticName()
		r.kinds[n] = rf.Col.Kind
		return n, nil
	})
	if err != nil {
		return err
	}
	where, having, err := r.split(e, applied)
	if err != nil {
		return err
	}
	r.q.Where = semantic.And(r.q.Where, where)
	r.q.Having = having
	return nil
}

// orderBy reads $orderby: each key a selected property, by name or path.
func (r *request) orderBy(ob string, outputs map[string]semantic.Item) error {
	for _, part := range strings.Split(ob, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 {
			return badf("invalid $orderby item %q", strings.TrimSpace(part))
		}
		name := f[0]
		if _, ok := outputs[name]; !ok {
			if rf, err := r.m.resolve(r.ds, name, "$orderby"); err == nil {
				name = rf.semanticName()
			} else if strings.Contains(name, "/") {
				return err
			}
			if _, ok := outputs[name]; !ok {
				return badf("$orderby %q is not a selected property", f[0])
			}
		}
		desc := false
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				desc = true
			default:
				return badf("invalid $orderby direction %q", f[1])
			}
		}
		r.q.OrderBy = append(r.q.OrderBy, semantic.Order{Col: name, Desc: desc})
	}
	return nil
}

// paging reads $skip, $top and $count and sets the page's LIMIT and OFFSET.
func (r *request) paging(opts url.Values, pageSize int64) error {
	req, q := r.req, r.q
	var err error
	if req.Skip, err = nonNegative(opts, "$skip"); err != nil {
		return err
	}
	if opts.Has("$top") {
		top, err := nonNegative(opts, "$top")
		if err != nil {
			return err
		}
		req.Top = &top
	}
	switch c := opts.Get("$count"); c {
	case "", "false":
	case "true":
		req.Count = true
	default:
		return badf("$count must be true or false, got %q", c)
	}
	if req.Count {
		req.CountQuery = countOf(q, r.dims)
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
	return nil
}

// CountQuery is the query of /{set}/$count: the options that shape the result, without paging.
func CountQuery(m *Model, ds *catalog.Dataset, opts url.Values) (*semantic.Query, error) {
	o := url.Values{}
	for k, v := range opts {
		// /$count counts the entities $filter and $apply leave; the rest does not apply.
		// $expand stays: expanding a related entity splits an entity per related row.
		if k == "$top" || k == "$skip" || k == "$orderby" || k == "$count" || k == "$select" {
			continue
		}
		o[k] = v
	}
	// Asking for the count makes ParseRequest build the count query.
	o.Set("$count", "true")
	r, err := ParseRequest(m, ds, o, 1)
	if err != nil {
		return nil, err
	}
	return r.CountQuery, nil
}

// countOf is the query whose rows are counted for q: q's groups made explicit (its dimensions,
// dims, grouped, or a single aggregate when it has none), without ordering or paging.
func countOf(q *semantic.Query, dims map[string]bool) *semantic.Query {
	cq := &semantic.Query{Dataset: q.Dataset, Where: q.Where, Having: q.Having, Joins: q.Joins}
	for _, it := range q.Items {
		if dims[it.Name()] {
			cq.Items = append(cq.Items, it)
			cq.GroupBy = append(cq.GroupBy, it.Name())
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

// split puts conditions on dimensions (own, or related ones by path) in WHERE and
// conditions on metrics in HAVING. After $apply, conditions on aggregated aliases are not
// supported.
func (r *request) split(e semantic.Expr, applied bool) (where, having semantic.Expr, err error) {
	for _, c := range semantic.Conjuncts(e) {
		kind := catalog.ColumnKind(0)
		for _, name := range semantic.Columns(c) {
			k, ok := r.kinds[name]
			if !ok {
				return nil, nil, unsupported("$filter on the aggregated value %q is not supported", name)
			}
			if kind != 0 && kind != k {
				return nil, nil, unsupported("a $filter condition combining dimensions and metrics under or/not is not supported")
			}
			kind = k
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
