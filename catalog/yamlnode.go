package catalog

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// loader collects the problems of one file while its node tree is walked. Walking never stops at
// the first problem: every decoder reports what it finds and carries on with what it can read.
type loader struct {
	file     string
	lines    int
	problems []Problem
	// joins remembers where each join was read, for checkJoins.
	joins map[*Join]*joinSource
}

func (l *loader) addf(line int, format string, args ...any) {
	// Nodes at the very end of the input (an empty document after "---") sit one past the
	// last line; keep every position inside the file.
	line = min(line, l.lines)
	l.problems = append(l.problems, Problem{File: l.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// resolve follows an alias (*name) to the anchored node, so anchors work anywhere a value does.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports an absent value: no node, "~", "null" or nothing after the colon.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names a node's kind (or quotes a scalar) for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case isNull(n):
		return "null"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// peek returns the scalar value of key in mapping n without validating anything. Decoders use it
// to name a mapping in messages before its keys have been read in order.
func peek(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.Value == key && v.Kind == yaml.ScalarNode && !isNull(v) {
			return v.Value
		}
	}
	return ""
}

type entry struct {
	key, value *yaml.Node
}

// object is a validated view of one YAML mapping: its keys are known, unique strings, and its
// accessors report values of the wrong kind against ctx, the name the mapping goes by in messages.
type object struct {
	l    *loader
	ctx  string
	line int
	// absent is set when the mapping is missing or not a mapping at all.
	absent bool
	// keys in file order, for mappings whose keys are data (the map form of datasets).
	keys    []string
	entries map[string]entry
}

// object reads mapping n (or null, which reads as empty), reporting non-string, duplicate and
// (when known is non-nil) unknown keys. The first of duplicate keys wins.
func (l *loader) object(n *yaml.Node, ctx string, line int, known []string) *object {
	o := &object{l: l, ctx: ctx, line: line, entries: map[string]entry{}}
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		o.absent = true
		return o
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case k.ShortTag() == "!!merge":
			l.addf(k.Line, "%s: merge keys (<<) are not supported", ctx)
			continue
		case k.Kind != yaml.ScalarNode:
			l.addf(k.Line, "%s: keys must be plain names, got %s", ctx, describe(k))
			continue
		}
		if prev, dup := o.entries[k.Value]; dup {
			l.addf(k.Line, "%s: duplicate key %q (first on line %d)", ctx, k.Value, prev.key.Line)
			continue
		}
		if known != nil && !slices.Contains(known, k.Value) {
			l.addf(k.Line, "%s: unknown key %q (known keys: %s)", ctx, k.Value, strings.Join(known, ", "))
			continue
		}
		o.keys = append(o.keys, k.Value)
		o.entries[k.Value] = entry{key: k, value: v}
	}
	return o
}

// has reports whether key is present with a non-null value.
func (o *object) has(key string) bool {
	return !isNull(o.entries[key].value)
}

// value returns key's value with aliases resolved, or nil when absent.
func (o *object) value(key string) *yaml.Node {
	return resolve(o.entries[key].value)
}

// lineOf is the line of key's value, or of the mapping when key is absent: where a fix goes.
func (o *object) lineOf(key string) int {
	if v := o.value(key); v != nil && v.Line > 0 {
		return v.Line
	}
	return o.line
}

// str returns key's scalar value; ok is false when it is absent, null or empty, so callers apply
// their default. Any scalar is taken as text: `id: 2024` is the id "2024".
func (o *object) str(key string) (s string, ok bool) {
	v := o.value(key)
	if isNull(v) {
		return "", false
	}
	if v.Kind != yaml.ScalarNode {
		o.l.addf(v.Line, "%s: %q must be a string, got %s", o.ctx, key, describe(v))
		return "", false
	}
	return v.Value, v.Value != ""
}

// blank reports whether key is absent, null or an empty string: missing, as opposed to a value
// of the wrong kind (which str reports).
func (o *object) blank(key string) bool {
	v := o.value(key)
	return isNull(v) || v.Kind == yaml.ScalarNode && v.Value == ""
}

// required returns key's value, reporting it when missing or blank (and then returning "").
// On an object whose mapping is itself absent or invalid it reports nothing: that was reported
// once already, and each of its missing keys would only repeat it.
func (o *object) required(key string) string {
	v := o.value(key)
	if isNull(v) {
		if !o.absent {
			o.l.addf(o.lineOf(key), "%s: missing required key %q", o.ctx, key)
		}
		return ""
	}
	s, _ := o.str(key)
	if v.Kind == yaml.ScalarNode && strings.TrimSpace(s) == "" {
		o.l.addf(v.Line, "%s: %q must not be empty", o.ctx, key)
		return ""
	}
	return s
}

// enum returns key's value, or def when absent, reporting values outside allowed.
func (o *object) enum(key, def string, allowed []string) string {
	s, ok := o.str(key)
	if !ok {
		return def
	}
	if !slices.Contains(allowed, s) {
		o.l.addf(o.lineOf(key), "%s: unknown %s %q (supported: %s)", o.ctx, key, s, strings.Join(allowed, ", "))
	}
	return s
}

// boolean returns key's value, false when absent. Only YAML booleans count: "yes" is a string in
// YAML 1.2, and reading it as true would be a guess.
func (o *object) boolean(key string) bool {
	v := o.value(key)
	if isNull(v) {
		return false
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		o.l.addf(v.Line, "%s: %q must be true or false, got %s", o.ctx, key, describe(v))
	}
	return b
}

// integer returns key's value; ok is false when absent or invalid.
func (o *object) integer(key string) (n int, ok bool) {
	v := o.value(key)
	if isNull(v) {
		return 0, false
	}
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" || v.Decode(&n) != nil {
		o.l.addf(v.Line, "%s: %q must be a whole number, got %s", o.ctx, key, describe(v))
		return 0, false
	}
	return n, true
}

// list returns key's items with aliases resolved; nil when absent or not a list.
func (o *object) list(key string) []*yaml.Node {
	v := o.value(key)
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		o.l.addf(v.Line, "%s: %q must be a list, got %s", o.ctx, key, describe(v))
		return nil
	}
	items := make([]*yaml.Node, len(v.Content))
	for i, item := range v.Content {
		items[i] = resolve(item)
	}
	return items
}

// strings returns key's list of strings.
func (o *object) strings(key string) []string {
	var out []string
	for i, item := range o.list(key) {
		if item.Kind != yaml.ScalarNode || isNull(item) {
			o.l.addf(item.Line, "%s: item %d of %q must be a string, got %s", o.ctx, i+1, key, describe(item))
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

// sub reads key's mapping as an object named ctx. An absent or invalid value reads as an empty
// object, so callers can go on reading it and get every default (and every missing-key problem).
func (o *object) sub(key, ctx string, known []string) *object {
	v := o.value(key)
	if !isNull(v) && v.Kind != yaml.MappingNode {
		o.l.addf(v.Line, "%s: %q must be a mapping, got %s", o.ctx, key, describe(v))
		v = nil
	}
	return o.l.object(v, ctx, o.lineOf(key), known)
}

// item reads the i-th (0-based) item of list key as an object, or returns nil (after reporting)
// when the item is not a mapping.
func (o *object) item(key string, i int, n *yaml.Node, ctx string, known []string) *object {
	if n.Kind != yaml.MappingNode {
		o.l.addf(n.Line, "%s: item %d of %q must be a mapping, got %s", o.ctx, i+1, key, describe(n))
		return nil
	}
	return o.l.object(n, ctx, n.Line, known)
}
