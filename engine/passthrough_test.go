package engine

import (
	"context"
	"reflect"
	"testing"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
)

// wireRows is a source that reads PostgreSQL's wire format: values and their wire bytes.
type wireRows struct {
	oids    []uint32
	formats []int16
	values  [][]any
	wire    [][][]byte
	i       int
	decoded bool
}

func (r *wireRows) Next() bool { r.i++; return r.i <= len(r.values) }
func (r *wireRows) Values() ([]any, error) {
	r.decoded = true
	return r.values[r.i-1], nil
}
func (r *wireRows) Err() error                       { return nil }
func (r *wireRows) Close() error                     { return nil }
func (r *wireRows) WireColumns() ([]uint32, []int16) { return r.oids, r.formats }
func (r *wireRows) WireValues() [][]byte             { return r.wire[r.i-1] }

type wireCollect struct {
	formats []int16
	rows    [][]string
}

func (c *wireCollect) Formats() []int16 { return c.formats }
func (c *wireCollect) WriteRow(values [][]byte) error {
	row := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			row[i] = "NULL"
		} else {
			row[i] = string(v)
		}
	}
	c.rows = append(c.rows, row)
	return nil
}

func TestWirePassthrough(t *testing.T) {
	plan := &planner.Plan{Kind: planner.KindQuery, SQL: "q", Columns: []planner.Column{
		{Name: "id", Type: pgtypes.Int8}, {Name: "city", Type: pgtypes.Text},
	}}
	bin8 := func(n byte) []byte { return []byte{0, 0, 0, 0, 0, 0, 0, n} }
	source := func(oids []uint32, formats []int16) *wireRows {
		return &wireRows{
			oids: oids, formats: formats,
			values: [][]any{{int64(1), "Indore"}, {int64(2), nil}, {int64(3), ""}},
			wire:   [][][]byte{{bin8(1), []byte("Indore")}, {bin8(2), nil}, {bin8(3), []byte{}}},
		}
	}
	cases := []struct {
		name          string
		oids          []uint32
		srcFormats    []int16
		clientFormats []int16
		maxRows       int64
		passed        bool
	}{
		{"same types and formats", []uint32{20, 25}, []int16{1, 1}, []int16{1, 1}, 0, true},
		{"row cap", []uint32{20, 25}, []int16{1, 1}, []int16{1, 1}, 2, true},
		{"client wants text", []uint32{20, 25}, []int16{1, 1}, nil, 0, false},
		{"source type differs", []uint32{23, 25}, []int16{1, 1}, []int16{1, 1}, 0, false},
		{"columns unknown", nil, nil, []int16{1, 1}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := *plan
			p.MaxRows = c.maxRows
			src := source(c.oids, c.srcFormats)
			ex := New(Config{Backends: map[string]Backend{"s": backendOf{src}}, Default: "s"})
			out := &wireCollect{formats: c.clientFormats}
			res, err := ex.Execute(context.Background(), admission.Caller{}, &p, nil, out)
			if err != nil {
				t.Fatal(err)
			}
			if src.decoded == c.passed {
				t.Errorf("decoded = %v, want passthrough %v", src.decoded, c.passed)
			}
			want := [][]string{{string(bin8(1)), "Indore"}, {string(bin8(2)), "NULL"}, {string(bin8(3)), ""}}
			if c.clientFormats == nil {
				want = [][]string{{"1", "Indore"}, {"2", "NULL"}, {"3", ""}}
			}
			if c.maxRows > 0 {
				want = want[:c.maxRows]
				if !res.Truncated {
					t.Error("not marked truncated")
				}
			}
			if !reflect.DeepEqual(out.rows, want) {
				t.Errorf("rows %q, want %q", out.rows, want)
			}
		})
	}
}

type backendOf struct{ r *wireRows }

func (b backendOf) Query(context.Context, string, []any) (Rows, error) { return b.r, nil }
func (b backendOf) Close() error                                       { return nil }
