package odata

import (
	"strings"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
)

type applied struct {
	items []semantic.Item
	// places[i] is where items[i] goes in an entity (a path's navigation properties, then the
	// property); dims[i] says it is a dimension.
	places  [][]string
	dims    []bool
	groupBy []string
	where   semantic.Expr
}

func (a *applied) add(it semantic.Item, place []string, dim bool) {
	a.items = append(a.items, it)
	a.places = append(a.places, place)
	a.dims = append(a.dims, dim)
}

// aggMethods maps $apply's "with" methods to the semantic aggregations.
var aggMethods = map[string]string{"sum": "sum", "min": "min", "max": "max", "average": "avg", "countdistinct": "countdistinct"}

// parseApply reads $apply: filter(...) transformations, then at most one groupby((dims)[,
// aggregate(...)]) or aggregate(...), separated by "/".
func parseApply(m *Model, ds *catalog.Dataset, s string) (*applied, error) {
	a := &applied{}
	grouped := false
	for _, step := range splitTop(s, '/') {
		step = strings.TrimSpace(step)
		name, args, ok := callParts(step)
		if !ok {
			return nil, badf("invalid $apply transformation %q", step)
		}
		if grouped {
			return nil, unsupported("$apply transformations after groupby/aggregate are not supported")
		}
		switch name {
		case "filter":
			e, err := ParseFilter(args, func(n string) (string, error) {
				rf, err := m.resolve(ds, n, "filter()")
				if err != nil {
					return "", err
				}
				if rf.Col.Kind != catalog.KindDimension {
					return "", badf("filter(): %q is not a dimension of %s", n, ds.ID)
				}
				return rf.semanticName(), nil
			})
			if err != nil {
				return nil, err
			}
			a.where = semantic.And(a.where, e)
		case "groupby":
			parts := splitTop(args, ',')
			list := strings.TrimSpace(parts[0])
			if !strings.HasPrefix(list, "(") || !strings.HasSuffix(list, ")") {
				return nil, badf("groupby takes a parenthesised list of properties")
			}
			for _, n := range strings.Split(list[1:len(list)-1], ",") {
				n = strings.TrimSpace(n)
				rf, err := m.resolve(ds, n, "groupby")
				if err != nil {
					return nil, err
				}
				if rf.Col.Kind != catalog.KindDimension {
					return nil, badf("groupby: %q is not a dimension of %s", n, ds.ID)
				}
				it := semantic.Item{Col: rf.Col.Name()}
				if len(rf.Steps) > 0 {
					it = pathItem(rf)
				}
				a.add(it, rf.props(), true)
				a.groupBy = append(a.groupBy, it.Name())
			}
			if len(parts) > 2 {
				return nil, badf("groupby takes a list and at most one aggregate")
			}
			if len(parts) == 2 {
				if err := a.aggregate(ds, strings.TrimSpace(parts[1])); err != nil {
					return nil, err
				}
			}
			grouped = true
		case "aggregate":
			if err := a.aggregate(ds, step); err != nil {
				return nil, err
			}
			grouped = true
		default:
			return nil, unsupported("$apply transformation %s() is not supported", name)
		}
	}
	if !grouped {
		// filter() alone keeps the entities.
		for _, c := range ds.Columns() {
			a.add(semantic.Item{Col: c.Name()}, []string{c.Name()}, c.Kind == catalog.KindDimension)
		}
	}
	// Each property appears once in an entity: an alias may not repeat a grouped property,
	// another alias or the entity key.
	names := map[string]bool{KeyProperty(ds): true}
	for _, n := range m.Navigations(ds) {
		names[n.Name] = true
	}
	for _, place := range a.places {
		name := strings.Join(place, "/")
		if names[name] {
			return nil, badf("$apply names the property %q twice", name)
		}
		names[name] = true
	}
	return a, nil
}

// aggregate reads aggregate(m with method as alias, ...).
func (a *applied) aggregate(ds *catalog.Dataset, s string) error {
	name, args, ok := callParts(s)
	if !ok || name != "aggregate" {
		return badf("expected aggregate(...), got %q", s)
	}
	for _, part := range splitTop(args, ',') {
		f := strings.Fields(part)
		if len(f) == 3 && f[1] == "as" && f[0] == "$count" {
			return unsupported("$count in aggregate is not supported; use a count metric")
		}
		if len(f) != 5 || f[1] != "with" || f[3] != "as" {
			return badf("aggregate expects \"metric with method as alias\", got %q", strings.TrimSpace(part))
		}
		c, ok := ds.Column(f[0])
		if !ok || c.Kind != catalog.KindMetric {
			return badf("aggregate: %q is not a metric of %s", f[0], ds.ID)
		}
		method, ok := aggMethods[f[2]]
		if !ok {
			return unsupported("aggregation method %q is not supported", f[2])
		}
		if !isIdentifier(f[4]) {
			return badf("invalid alias %q", f[4])
		}
		a.add(semantic.Item{Col: c.Name(), Agg: method, Alias: f[4]}, []string{f[4]}, false)
	}
	return nil
}

func isIdentifier(s string) bool {
	if s == "" || !isIdentStart(rune(s[0])) || s[0] == '$' {
		return false
	}
	for _, r := range s {
		if !isIdent(r) || r == '$' {
			return false
		}
	}
	return true
}

// callParts splits "name(args)".
func callParts(s string) (name, args string, ok bool) {
	i := strings.IndexByte(s, '(')
	if i <= 0 || !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), s[i+1 : len(s)-1], true
}

// splitTop splits s at sep outside parentheses and string literals.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
