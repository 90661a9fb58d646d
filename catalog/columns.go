package catalog

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/setupranali/setupranali/internal/sqlast"
)

var (
	fieldKeys      = []string{"name", "type", "semanticType"}
	dimensionKeys  = []string{"name", "field", "sql", "type", "label", "description"}
	metricKeys     = []string{"name", "label", "description", "expression", "returnType", "format"}
	expressionKeys = []string{"type", "agg", "field", "filter", "sql"}
)

// scope is one dataset being read: what later sections resolve their references against. Fields
// are read first, whatever their place in the file, so references never depend on key order.
type scope struct {
	ds  *Dataset
	ctx string
	// fields by name, first definition winning.
	fields map[string]*Field
	// columns holds the shared dimension and metric namespace: name to "dimension"/"metric" and
	// its line.
	columns map[string]column
}

type column struct {
	kind string
	line int
}

func newScope(ds *Dataset, ctx string) *scope {
	return &scope{ds: ds, ctx: ctx, fields: map[string]*Field{}, columns: map[string]column{}}
}

// itemCtx names the i-th item of a section: by its name when it has one, else by position.
func itemCtx(kind string, n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		if name := peek(n, "name"); strings.TrimSpace(name) != "" {
			return fmt.Sprintf("%s %q", kind, name)
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

// readFields reads the physical fields. Names are matched exactly, like dataset ids.
func (s *scope) readFields(ds *object) {
	for i, n := range ds.list("fields") {
		o := ds.item("fields", i, n, itemCtx("field", n, i), fieldKeys)
		if o == nil {
			continue
		}
		f := &Field{Name: o.required("name"), Line: n.Line}
		if t := o.required("type"); t != "" {
			f.Type = o.fieldType("type", t)
		}
		f.SemanticType = o.enum("semanticType", "", semanticTypes)
		s.ds.Fields = append(s.ds.Fields, f)
		if f.Name == "" {
			continue
		}
		if prev, dup := s.fields[f.Name]; dup {
			ds.l.addf(n.Line, "%s: duplicate field %q (first defined on line %d)", s.ctx, f.Name, prev.Line)
			continue
		}
		s.fields[f.Name] = f
	}
}

// readDimensions reads the dimensions. A dimension shows one field (its own name when "field" is
// omitted) or computes a value from fields with "sql", then declaring its "type".
func (s *scope) readDimensions(ds *object) {
	for i, n := range ds.list("dimensions") {
		o := ds.item("dimensions", i, n, itemCtx("dimension", n, i), dimensionKeys)
		if o == nil {
			continue
		}
		d := &Dimension{Name: o.required("name"), Line: n.Line}
		d.Label, _ = o.str("label")
		d.Description, _ = o.str("description")
		if sql, ok := o.str("sql"); ok {
			s.sqlDimension(o, d, sql)
		} else {
			s.fieldDimension(o, d)
		}
		s.ds.Dimensions = append(s.ds.Dimensions, d)
		s.claim(o, "dimension", d.Name, n.Line)
	}
}

func (s *scope) fieldDimension(o *object, d *Dimension) {
	if o.has("type") {
		o.l.addf(o.lineOf("type"), "%s: %q goes with %q; a field's dimension has its field's type", o.ctx, "type", "sql")
	}
	d.Field = d.Name
	key, hint := "name", ` (a dimension without "field" uses its name)`
	if f, ok := o.str("field"); ok {
		d.Field, key, hint = f, "field", ""
	}
	if d.Field == "" {
		return
	}
	s.checkField(o, key, "field", d.Field, hint)
	d.Fields = []string{d.Field}
	if f, ok := s.fields[d.Field]; ok {
		d.Type = f.Type
	}
}

func (s *scope) sqlDimension(o *object, d *Dimension, sql string) {
	d.SQL = sql
	if o.has("field") {
		o.l.addf(o.lineOf("field"), "%s: give either %q or %q, not both", o.ctx, "field", "sql")
	}
	if t := o.required("type"); t != "" {
		d.Type = o.fieldType("type", t)
	}
	d.Fields = s.sqlOverFields(o, "sql", sql)
}

// sqlOverFields checks a SQL expression that may name only the dataset's fields and returns the
// fields it names.
func (s *scope) sqlOverFields(o *object, key, sql string) []string {
	node, err := sqlast.ParseExpr(sql)
	if err != nil {
		o.l.addf(o.lineOf(key), "%s: %v", o.ctx, err)
		return nil
	}
	var names []string
	for _, name := range sqlast.ColumnNames(node) {
		if slices.Contains(names, name) {
			continue
		}
		names = append(names, name)
		s.checkField(o, key, "field", name, "")
	}
	return names
}

// readMetrics reads the metrics, resolving each one's return type. Derived metrics are checked
// once all metrics are known, so they may name metrics defined after them.
func (s *scope) readMetrics(ds *object) {
	type pending struct {
		m    *Metric
		expr *object
	}
	var derived []pending
	for i, n := range ds.list("metrics") {
		ctx := itemCtx("metric", n, i)
		o := ds.item("metrics", i, n, ctx, metricKeys)
		if o == nil {
			continue
		}
		m := &Metric{Name: o.required("name"), Line: n.Line}
		m.Label, _ = o.str("label")
		m.Description, _ = o.str("description")
		m.Format, _ = o.str("format")
		if !o.has("expression") {
			o.l.addf(o.lineOf("expression"), "%s: missing required key %q", ctx, "expression")
		}
		expr := o.sub("expression", ctx+" expression", expressionKeys)
		m.Expression.Type = expr.enum("type", defaultExpressionType, expressionTypes)
		if m.Expression.Type == ExpressionDerived {
			derived = append(derived, pending{m, expr})
			m.ReturnType = TypeDouble
			if declared, ok := o.str("returnType"); ok {
				m.ReturnType = o.fieldType("returnType", declared)
			}
		} else {
			m.Expression = s.expression(expr)
			m.ReturnType = s.returnType(o, expr, m.Expression)
		}
		s.ds.Metrics = append(s.ds.Metrics, m)
		s.claim(o, "metric", m.Name, n.Line)
	}
	for _, p := range derived {
		s.derivedExpression(p.expr, p.m)
	}
}

// expression reads a metric's aggregation. Only count may omit its field: it then counts rows.
func (s *scope) expression(o *object) MetricExpression {
	e := MetricExpression{Type: ExpressionAggregation, Agg: Agg(o.required("agg"))}
	if e.Agg != "" && !slices.Contains(aggs, string(e.Agg)) {
		o.l.addf(o.lineOf("agg"), "%s: unknown agg %q (supported: %s)", o.ctx, e.Agg, strings.Join(aggs, ", "))
	}
	if o.has("sql") {
		o.l.addf(o.lineOf("sql"), "%s: %q belongs to derived metrics (type: derived)", o.ctx, "sql")
	}
	f, ok := o.str("field")
	switch {
	case ok:
		e.Field = f
		s.checkField(o, "field", "field", f, "")
	case e.needsField() && o.blank("field"):
		o.l.addf(o.lineOf("field"), "%s: %q is required for agg %s", o.ctx, "field", e.Agg)
	}
	if filter, ok := o.str("filter"); ok {
		e.Filter = filter
		s.sqlOverFields(o, "filter", filter)
	}
	return e
}

// derivedExpression reads a derived metric: SQL over aggregation metrics of the same dataset.
func (s *scope) derivedExpression(o *object, m *Metric) {
	m.Expression.SQL = o.required("sql")
	for _, key := range []string{"agg", "field", "filter"} {
		if o.has(key) {
			o.l.addf(o.lineOf(key), "%s: %q does not apply to a derived metric", o.ctx, key)
		}
	}
	if m.Expression.SQL == "" {
		return
	}
	node, err := sqlast.ParseExpr(m.Expression.SQL)
	if err != nil {
		o.l.addf(o.lineOf("sql"), "%s: %v", o.ctx, err)
		return
	}
	for _, name := range sqlast.ColumnNames(node) {
		if slices.Contains(m.Expression.Uses, name) {
			continue
		}
		used := s.metric(name)
		switch {
		case used == nil:
			o.l.addf(o.lineOf("sql"), "%s: %q is not a metric of %s", o.ctx, name, s.ctx)
		case used.Derived():
			o.l.addf(o.lineOf("sql"), "%s: %q is itself derived; a derived metric combines aggregation metrics", o.ctx, name)
		}
		m.Expression.Uses = append(m.Expression.Uses, name)
	}
	if len(m.Expression.Uses) == 0 {
		o.l.addf(o.lineOf("sql"), "%s: a derived metric must use at least one metric", o.ctx)
	}
}

func (s *scope) metric(name string) *Metric {
	for _, m := range s.ds.Metrics {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// needsField reports whether the aggregation is known and needs a field to aggregate.
func (e MetricExpression) needsField() bool {
	return e.Agg != AggCount && slices.Contains(aggs, string(e.Agg))
}

// returnType is the metric's declared return type, or the one its aggregation derives. Either
// way the aggregation must apply to its field's type: a sum of strings fails at load, not at the
// first query.
func (s *scope) returnType(m, expr *object, e MetricExpression) FieldType {
	var rt FieldType
	declared, hasDeclared := m.str("returnType")
	if hasDeclared {
		rt = m.fieldType("returnType", declared)
	}
	if !slices.Contains(aggs, string(e.Agg)) || e.needsField() && e.Field == "" {
		return rt
	}
	var ft FieldType
	if e.Field != "" {
		f, ok := s.fields[e.Field]
		if !ok || f.Type == "" {
			return rt // already reported
		}
		ft = f.Type
	}
	derived, ok := derivedReturnType(e.Agg, ft)
	if !ok {
		verb := string(e.Agg)
		if e.Agg == AggAvg {
			verb = "average"
		}
		m.l.addf(expr.lineOf("agg"), "%s: cannot %s field %q of type %s", m.ctx, verb, e.Field, ft)
	}
	if hasDeclared {
		return rt
	}
	return derived
}

// checkField reports a reference to a field the dataset does not have. The name was read from
// key (which places the problem); what is how the message calls it, e.g. "field" or "column".
func (s *scope) checkField(o *object, key, what, name, hint string) {
	if _, ok := s.fields[name]; !ok {
		o.l.addf(o.lineOf(key), "%s: %s %q is not a field of %s%s", o.ctx, what, name, s.ctx, hint)
	}
}

// claim enters a dimension or metric name into the dataset's one column namespace.
func (s *scope) claim(o *object, kind, name string, line int) {
	if name == "" {
		return
	}
	if prev, dup := s.columns[name]; dup {
		o.l.addf(line, "%s: column name %q is already taken by the %s on line %d (dimensions and metrics share one namespace)", o.ctx, name, prev.kind, prev.line)
		return
	}
	s.columns[name] = column{kind: kind, line: line}
}
