package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFile reads and validates the catalog at path. Problems are reported against path as given.
func LoadFile(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return Load(data, path)
}

// Load validates a catalog held in memory; filename only labels problems. Any problem at all
// fails the load with a *ValidationError listing every problem found.
func Load(data []byte, filename string) (*Catalog, error) {
	l := &loader{file: filename, joins: map[*Join]*joinSource{}}
	var datasets []*Dataset
	if root := l.parse(data); root != nil {
		datasets = l.catalog(root)
	}
	if len(l.problems) > 0 {
		sortProblems(l.problems)
		return nil, &ValidationError{Problems: l.problems}
	}
	return newCatalog(datasets), nil
}

// parse returns the root node of the file's single YAML document, or nil after reporting why
// there is none.
func (l *loader) parse(data []byte) *yaml.Node {
	l.lines = bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		l.lines++
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.addf(0, emptyFile)
		} else {
			l.syntaxError(err)
		}
		return nil
	}
	// A second document would silently be ignored by a plain decode; say so instead.
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		l.addf(line, "only one YAML document is allowed, found another")
	} else if !errors.Is(err, io.EOF) {
		l.syntaxError(err)
	}
	return doc.Content[0]
}

const emptyFile = `the file is empty: it needs a top-level "datasets" key`

var yamlLine = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// parserProblems are the yaml parser's (as opposed to its scanner's) messages. The library
// reports their line 0-based: it is the line of the enclosing block or flow collection (or of
// the problem when that collection starts on the first line), minus one.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"found undefined tag handle",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found duplicate %TAG directive",
}

// syntaxError turns a YAML parser error into a problem, keeping its line when it has one.
func (l *loader) syntaxError(err error) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		l.addf(0, "YAML syntax error: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	line, _ := strconv.Atoi(m[1])
	if slices.Contains(parserProblems, m[2]) {
		line++
	}
	l.addf(line, "YAML syntax error: %s", m[2])
}

// catalog reads the top level: a "datasets" list, or a mapping of datasets keyed by id.
func (l *loader) catalog(root *yaml.Node) []*Dataset {
	root = resolve(root)
	if isNull(root) {
		l.addf(0, emptyFile)
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.addf(root.Line, `the file must be a mapping with a "datasets" key, got %s`, describe(root))
		return nil
	}
	top := l.object(root, "catalog", root.Line, []string{"datasets"})
	// "datasets:" with nothing after it is an empty catalog, as "datasets: []" is.
	if _, ok := top.entries["datasets"]; !ok {
		l.addf(top.lineOf("datasets"), `catalog: missing required key "datasets"`)
		return nil
	}
	if !top.has("datasets") {
		return nil
	}
	type located struct {
		ds   *Dataset
		line int
	}
	var read []located
	switch v := top.value("datasets"); v.Kind {
	case yaml.SequenceNode:
		for i, item := range top.list("datasets") {
			ctx := fmt.Sprintf("dataset #%d", i+1)
			if id := peek(item, "id"); strings.TrimSpace(id) != "" {
				ctx = fmt.Sprintf("dataset %q", id)
			}
			if o := top.item("datasets", i, item, ctx, datasetKeys); o != nil {
				read = append(read, located{l.dataset(o, nil), item.Line})
			}
		}
	case yaml.MappingNode:
		byKey := l.object(v, "datasets", v.Line, nil)
		for _, id := range byKey.keys {
			key := byKey.entries[id].key
			ctx := fmt.Sprintf("dataset %q", id)
			if strings.TrimSpace(id) == "" {
				l.addf(key.Line, "datasets: a dataset id must not be empty")
			}
			n := byKey.value(id)
			if n.Kind != yaml.MappingNode {
				l.addf(n.Line, "%s must be a mapping, got %s", ctx, describe(n))
				continue
			}
			read = append(read, located{l.dataset(l.object(n, ctx, key.Line, datasetKeys), key), key.Line})
		}
	default:
		l.addf(v.Line, `catalog: "datasets" must be a list or a mapping of datasets, got %s`, describe(v))
	}

	// Ids are matched exactly: "Orders" and "orders" may coexist (lookups then refuse to guess),
	// but two datasets with one id could never both be addressed.
	first := map[string]int{}
	var out []*Dataset
	for _, r := range read {
		if line, dup := first[r.ds.ID]; dup && r.ds.ID != "" {
			l.addf(r.line, "duplicate dataset id %q (first defined on line %d)", r.ds.ID, line)
		} else {
			first[r.ds.ID] = r.line
		}
		out = append(out, r.ds)
	}
	l.checkJoins(out)
	return out
}
