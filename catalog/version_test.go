package catalog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var rootCatalog = filepath.Join("..", "catalog.yaml")

func TestVersionIgnoresForm(t *testing.T) {
	want := mustLoad(t, filepath.Join("testdata", "good", "list.yaml")).Version()
	for _, f := range []string{"map.yaml", "flow.json.yaml"} {
		if got := mustLoad(t, filepath.Join("testdata", "good", f)).Version(); got != want {
			t.Errorf("%s Version = %s, want list.yaml's %s", f, got, want)
		}
	}
}

// TestVersionIgnoresFormatting re-emits the root catalog in other layouts, without its comments.
func TestVersionIgnoresFormatting(t *testing.T) {
	data, err := os.ReadFile(rootCatalog)
	if err != nil {
		t.Fatal(err)
	}
	want := mustLoad(t, rootCatalog).Version()
	for _, tc := range []struct {
		name   string
		indent int
		style  yaml.Style
	}{
		{"block, indent 4", 4, 0},
		{"flow", 2, yaml.FlowStyle},
		{"double-quoted", 3, yaml.DoubleQuotedStyle},
	} {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		restyle(&doc, tc.style)
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(tc.indent)
		if err := enc.Encode(&doc); err != nil {
			t.Fatal(err)
		}
		c, err := Load(buf.Bytes(), tc.name)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, buf.String())
		}
		if c.Version() != want {
			t.Errorf("%s: Version changed:\n%s", tc.name, buf.String())
		}
	}
}

// restyle drops comments and sets the style of every collection (flow) or string (quoted).
func restyle(n *yaml.Node, style yaml.Style) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch {
	case style == yaml.FlowStyle && (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode):
		n.Style = style
	case style == yaml.DoubleQuotedStyle && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		n.Style = style
	}
	for _, c := range n.Content {
		restyle(c, style)
	}
}

func TestVersionChangesWithMeaning(t *testing.T) {
	checkVersionChanges(t, rootCatalog, []edit{
		{"agg: sum", "agg: max"},
		{"primaryKey: order_id", "primaryKey: [order_id, tenant_id]"},
		{"on: { customer_id: customer_id }", "on: { customer_id: customer_id, tenant_id: tenant_id }"},
		{"field: revenue", "field: quantity"},
		{"returnType: double", "returnType: decimal"},
		{"format: currency", "format: percent"},
		{"label: Total Revenue", "label: Revenue"},
		{"label: City", "label: Town"},
		{"field: city", "field: tenant_id"},
		{"name: Orders", "name: Sales"},
		{"one row per order", "one row per order line"},
		{"tags: [demo, sales]", "tags: [sales, demo]"},
		{"defaultTimezone: UTC", "defaultTimezone: Asia/Kolkata"},
		{"engine: duckdb", "engine: postgres"},
		{"reference: orders", "reference: main.orders"},
		{"reference: orders", "reference: orders\n      sourceId: warehouse"},
		{"{ name: revenue, type: double, semanticType: metric }", "{ name: revenue, type: decimal, semanticType: metric }"},
		{"semanticType: time", "semanticType: dimension"},
		{"column: tenant_id", "column: city"},
		{"mode: equals", "mode: in_list"},
		{"allowAdminBypass: true", "allowAdminBypass: false"},
		{"maxWindowDays: 90", "maxWindowDays: 30"},
		{"mode: append", "mode: merge"},
	})
}

// edit replaces the first old in a catalog file by new.
type edit struct{ old, new string }

// checkVersionChanges applies each edit to the catalog at path on its own and wants a Version
// different from the original's and from every other edit's.
func checkVersionChanges(t *testing.T, path string, edits []edit) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	base := mustLoad(t, path).Version()
	seen := map[string]string{base: "the original"}
	for _, tc := range edits {
		changed := strings.Replace(string(data), tc.old, tc.new, 1)
		if changed == string(data) {
			t.Fatalf("%q is not in %s", tc.old, path)
		}
		c, err := Load([]byte(changed), tc.new)
		if err != nil {
			t.Errorf("%q -> %q: %v", tc.old, tc.new, err)
			continue
		}
		change := fmt.Sprintf("%q -> %q", tc.old, tc.new)
		if prev, dup := seen[c.Version()]; dup {
			t.Errorf("%s gives the same Version as %s", change, prev)
		}
		seen[c.Version()] = change
	}
}

// TestVersionCoversEveryField changes each exported value of the model in turn, so a field
// added to model.go is covered (or, of a kind the encoder lacks, panics) without anyone
// remembering to extend this test. Line fields must not count.
func TestVersionCoversEveryField(t *testing.T) {
	base := mustLoad(t, rootCatalog).Version()
	leaves := modelLeaves(reflect.ValueOf(mustLoad(t, rootCatalog).Datasets), "Datasets")
	if len(leaves) < 40 {
		t.Fatalf("only %d leaves found; is the root catalog missing sections?", len(leaves))
	}
	for i, leaf := range leaves {
		c := mustLoad(t, rootCatalog)
		l := modelLeaves(reflect.ValueOf(c.Datasets), "Datasets")[i]
		switch l.v.Kind() {
		case reflect.String:
			l.v.SetString(l.v.String() + "x")
		case reflect.Bool:
			l.v.SetBool(!l.v.Bool())
		case reflect.Int:
			l.v.SetInt(l.v.Int() + 1)
		default:
			t.Fatalf("%s: unexpected kind %s", leaf.path, l.v.Kind())
		}
		got := computeVersion(c.Datasets)
		isLine := strings.HasSuffix(leaf.path, ".Line")
		if isLine && got != base {
			t.Errorf("changing %s changes Version", leaf.path)
		}
		if !isLine && got == base {
			t.Errorf("changing %s does not change Version", leaf.path)
		}
	}
}

type leaf struct {
	path string
	v    reflect.Value
}

// modelLeaves lists every settable scalar reachable from v through exported fields.
func modelLeaves(v reflect.Value, path string) []leaf {
	switch v.Kind() {
	case reflect.Pointer:
		return modelLeaves(v.Elem(), path)
	case reflect.Slice:
		var out []leaf
		for i := range v.Len() {
			out = append(out, modelLeaves(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Struct:
		var out []leaf
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				out = append(out, modelLeaves(v.Field(i), path+"."+f.Name)...)
			}
		}
		return out
	}
	return []leaf{{path, v}}
}

// TestVersionChangesWithJoins: primary keys and joins are meaning, so each change of them gives
// a new Version, while moving them in the file (their lines) does not.
func TestVersionChangesWithJoins(t *testing.T) {
	path := filepath.Join("testdata", "good", "joins.yaml")
	checkVersionChanges(t, path, []edit{
		{"primaryKey: [order_id, line_no]", "primaryKey: [order_id, line_no, sku]"},
		{"relationship: one_to_one", "relationship: many_to_one"},
		{"on: { region_code: code }", "on: { region_code: code, segment: name }"},
		{"on: { manager_id: employee_id }", "on: { employee_id: employee_id }"},
		{"    joins:\n      - { dataset: products, relationship: many_to_one, on: { sku: sku } }\n", ""},
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(data), "datasets:\n", "datasets:\n\n\n", 1)
	c, err := Load([]byte(moved), path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version() != mustLoad(t, path).Version() {
		t.Errorf("moving every join down two lines changes Version")
	}
}
