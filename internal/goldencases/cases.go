package goldencases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"go.yaml.in/yaml/v3"
)

// Case is one entry of a testdata/planner/cases_*.yaml file: a query and a principal in, the
// engine SQL and result columns (or a SQLSTATE) out. The field order is the order -update
// writes the keys in.
type Case struct {
	Name      string   `yaml:"name"`
	Principal string   `yaml:"principal"`
	SQL       string   `yaml:"sql"`
	EngineSQL string   `yaml:"engine_sql,omitempty"`
	Columns   []string `yaml:"columns,omitempty"`
	Params    []string `yaml:"params,omitempty"`
	Tag       string   `yaml:"tag,omitempty"`
	Rows      []string `yaml:"rows,omitempty"`
	Set       string   `yaml:"set,omitempty"`
	Error     string   `yaml:"error,omitempty"`
}

// Load reads a case file strictly. A key that is not a field of Case is an error naming the file
// and line: decoded leniently, a misspelt key (say "eror:") would be dropped, and the case would
// then check less than its author meant without anyone noticing.
func Load(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cases, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cases, nil
}

// Decode is Load's strict decoding of a case file's text: unknown keys and a second YAML document
// are errors; an empty text is no cases.
func Decode(data []byte) ([]Case, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cases []Case
	if err := dec.Decode(&cases); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document in a case file")
	}
	return cases, nil
}
