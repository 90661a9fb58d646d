package odata

import (
	"strings"

	"github.com/setupranali/setupranali/catalog"
)

// expansion is one navigation property $expand names, with the related entity's properties
// to show (its dimensions, all of them unless a nested $select names some).
type expansion struct {
	nav   Navigation
	props []catalog.Column
}

// expandOptions are the options OData allows inside $expand=nav(...) that this server does not
// support; $select is the one it does.
var expandOptions = map[string]bool{"$filter": true, "$orderby": true, "$top": true, "$skip": true, "$count": true,
	"$expand": true, "$levels": true, "$search": true, "$compute": true, "$apply": true}

// parseExpand reads $expand: a comma-separated list of many-to-one navigation properties,
// each optionally with ($select=...). A related entity is one row of its dataset, so it has
// no metrics of its own to show; following a one-to-many navigation, or a second level, is
// not supported.
func (r *request) parseExpand(s string) ([]expansion, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []expansion
	seen := map[string]bool{}
	for _, item := range splitTop(s, ',') {
		item = strings.TrimSpace(item)
		name, opts := item, ""
		if i := strings.IndexByte(item, '('); i >= 0 {
			if !strings.HasSuffix(item, ")") {
				return nil, badf("$expand: invalid item %q", item)
			}
			name, opts = strings.TrimSpace(item[:i]), item[i+1:len(item)-1]
		}
		if name == "*" {
			return nil, unsupported("$expand=* is not supported; name the navigation properties to expand")
		}
		segs := splitPath(name)
		if len(segs) > 1 {
			if _, _, err := r.m.follow(r.ds, segs[:1], "$expand"); err != nil {
				return nil, err
			}
			if strings.HasPrefix(segs[1], "$") {
				return nil, unsupported("$expand=%s: %s is not supported; expand the navigation property itself", name, segs[1])
			}
			return nil, unsupported("$expand=%s: expanding past the first navigation property (nested $expand) is not supported", name)
		}
		nav, ok := r.m.navigation(r.ds, name)
		if !ok {
			return nil, r.m.notNavigable(r.ds, name, "$expand")
		}
		if seen[name] {
			return nil, badf("$expand names %s twice", name)
		}
		seen[name] = true
		e := expansion{nav: nav}
		if err := e.options(opts); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// options reads the options inside $expand=nav(...).
func (e *expansion) options(s string) error {
	at := "$expand=" + e.nav.Name
	if strings.TrimSpace(s) == "" {
		e.props = dimensions(e.nav.Target)
		return nil
	}
	sel := false
	for _, opt := range splitTop(s, ';') {
		k, v, ok := strings.Cut(strings.TrimSpace(opt), "=")
		k = strings.TrimSpace(k)
		switch {
		case !ok:
			return badf("%s: invalid option %q", at, strings.TrimSpace(opt))
		case expandOptions[k]:
			return unsupported("%s(%s=...): %s inside $expand is not supported", at, k, k)
		case k != "$select":
			return badf("%s: unknown option %s", at, k)
		case sel:
			return badf("%s: $select is given more than once", at)
		}
		sel = true
		if err := e.selects(strings.TrimSpace(v), at); err != nil {
			return err
		}
	}
	return nil
}

// selects reads $expand=nav($select=...): dimensions of the related dataset.
func (e *expansion) selects(v, at string) error {
	t := e.nav.Target
	if v == "*" || v == "" {
		e.props = dimensions(t)
		return nil
	}
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == KeyProperty(t) {
			continue // the key is always there
		}
		if strings.Contains(name, "/") {
			return unsupported("%s($select=%s): paths inside $expand are not supported", at, name)
		}
		c, ok := t.Column(name)
		switch {
		case !ok:
			return badf("%s($select=...): unknown property %q of %s", at, name, t.ID)
		case c.Kind != catalog.KindDimension:
			return unsupported("%s($select=%s): %q is a metric; an expanded entity shows its dimensions only (query the entity set %s for its metrics)", at, name, name, t.ID)
		}
		e.props = append(e.props, c)
	}
	if len(e.props) == 0 {
		e.props = dimensions(t)
	}
	return nil
}

func dimensions(ds *catalog.Dataset) []catalog.Column {
	var out []catalog.Column
	for _, c := range ds.Columns() {
		if c.Kind == catalog.KindDimension {
			out = append(out, c)
		}
	}
	return out
}

// expand adds an expansion's columns: the related dimensions it shows, and the related
// dataset's join key, read (unshown unless selected) to tell a missing related row (null) from
// one whose shown values are NULL.
func (r *request) expand(e expansion) error {
	steps := []Navigation{e.nav}
	for _, c := range e.props {
		rf := ref{Steps: steps, Col: c}
		r.add(pathItem(rf), rf.props(), true)
	}
	key, ok := joinKeyDimension(e.nav)
	if !ok {
		return unsupported("$expand=%s: no dimension of %s shows the field its join matches on (%s), so a missing %s row could not be told from one whose values are NULL; declare that field as a dimension of %s",
			e.nav.Name, e.nav.Target.ID, e.nav.Join.On[0].TargetField, e.nav.Target.ID, e.nav.Target.ID)
	}
	i := r.add(pathItem(ref{Steps: steps, Col: key}), nil, true)
	r.present[e.nav.Name+"/"] = []int{i}
	return nil
}

// joinKeyDimension is a dimension of the navigation's target showing a field the join matches
// on as is. Join matches are equalities, so a related row has a value there; a row without a
// related row (an outer join's miss) has NULL.
func joinKeyDimension(n Navigation) (catalog.Column, bool) {
	for _, p := range n.Join.On {
		for _, d := range n.Target.Dimensions {
			if d.SQL == "" && d.Field == p.TargetField {
				c, ok := n.Target.Column(d.Name)
				return c, ok
			}
		}
	}
	return catalog.Column{}, false
}
