package catalog

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	fieldKeys      = []string{"name", "type", "semanticType"}
	dimensionKeys  = []string{"name", "field", "label", "description"}
	metricKeys     = []string{"name", "label", "description", "expression", "returnType", "format"}
	expressionKeys = []string{"type", "agg", "field"}
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

// readDimensions reads the dimensions; a dimension's field defaults to its own name.
func (s *scope) readDimensions(ds *object) {
	for i, n := range ds.list("dimensions") {
		o := ds.item("dimensions", i, n, itemCtx("dimension", n, i), dimensionKeys)
		if o == nil {
			continue
		}
		d := &Dimension{Name: o.required("name"), Line: n.Line}
		d.Label, _ = o.str("label")
		d.Description, _ = o.str("description")
		d.Field = d.Name
		if f, ok := o.str("field"); ok {
			d.Field = f
			s.checkField(o, "field", "field", f, "")
		} else if d.Name != "" {
			s.checkField(o, "name", "field", d.Name, ` (a dimension without "field" uses its name)`)
		}
		s.ds.Dimensions = append(s.ds.Dimensions, d)
		s.claim(o, "dimension", d.Name, n.Line)
	}
}

// readMetrics reads the metrics, resolving each one's return type.
func (s *scope) readMetrics(ds *object) {
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
		m.Expression = s.expression(expr)
		m.ReturnType = s.returnType(o, expr, m.Expression)
		s.ds.Metrics = append(s.ds.Metrics, m)
		s.claim(o, "metric", m.Name, n.Line)
	}
}

// expression reads a metric's aggregation. Only count may omit its field: it then counts rows.
func (s *scope) expression(o *object) MetricExpression {
	e := MetricExpression{
		Type: o.enum("type", defaultExpressionType, expressionTypes),
		Agg:  Agg(o.required("agg")),
	}
	if e.Agg != "" && !slices.Contains(aggs, string(e.Agg)) {
		o.l.addf(o.lineOf("agg"), "%s: unknown agg %q (supported: %s)", o.ctx, e.Agg, strings.Join(aggs, ", "))
	}
	f, ok := o.str("field")
	switch {
	case ok:
		e.Field = f
		s.checkField(o, "field", "field", f, "")
	case e.needsField() && o.blank("field"):
		o.l.addf(o.lineOf("field"), "%s: %q is required for agg %s", o.ctx, "field", e.Agg)
	}
	return e
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
