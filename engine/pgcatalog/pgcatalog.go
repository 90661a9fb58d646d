package pgcatalog

import (
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/planner"
)

//go:embed static/*.csv
var static embed.FS

// staticTables are the generated files, loaded into schema pgc.
var staticTables = []string{"pg_namespace", "pg_type", "pg_proc", "pg_am", "pg_range", "pg_collation", "pg_get_keywords", "pg_timezone_names", "pg_timezone_abbrevs", "pg_language", "pg_cast"}

// Well-known oids (PostgreSQL's own).
const (
	namespacePgCatalog = 11
	namespacePublic    = 2200
	classPgClass       = 1259
	roleOID            = 10
	databaseOID        = 16383
	// firstDatasetOID is the oid of the first dataset's relation (PostgreSQL's first user oid).
	firstDatasetOID = 16384
)

// Catalog is a built emulation: an engine backend and the description of its tables.
type Catalog struct {
	backend *duckdb.Backend
	tables  map[string]*planner.SystemTable
}

var (
	_ planner.SystemCatalog = (*Catalog)(nil)
	_ engine.Backend        = (*Catalog)(nil)
)

// column of a table the emulation builds: name and DuckDB type.
type column struct{ name, typ string }

type table struct {
	schema string // "pg_catalog" or "information_schema"
	name   string
	cols   []column
	scoped bool
	rows   [][]any
	dbCols []string
	usCols []string
}

// New builds the emulation for cat.
func New(ctx context.Context, cat *catalog.Catalog) (*Catalog, error) {
	tables, err := loadStatic()
	if err != nil {
		return nil, err
	}
	regprocToOID(tables)
	tables = append(tables, dynamicTables(cat)...)
	tables = append(tables, moreTables(cat)...)
	init := []string{"CREATE SCHEMA pgc", "CREATE SCHEMA pgis"}
	c := &Catalog{tables: map[string]*planner.SystemTable{}}
	for _, t := range tables {
		init = append(init, t.sql())
		st := &planner.SystemTable{EngineSchema: engineSchema(t.schema), Scoped: t.scoped, DatabaseColumns: t.dbCols, UserColumns: t.usCols}
		if t.schema == "pg_catalog" && !t.has("xmin") {
			// Every pg_catalog table has PostgreSQL's xmin (DataGrip reads it as a version stamp).
			init = append(init, fmt.Sprintf("ALTER TABLE pgc.%s ADD COLUMN xmin INTEGER DEFAULT 1", t.name))
			st.SystemColumns = []string{"xmin"}
		}
		for _, col := range t.cols {
			if col.name != "dataset_id" {
				st.Columns = append(st.Columns, col.name)
			}
		}
		c.tables[t.schema+"."+t.name] = st
	}
	init = append(init, macros...)
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: init, MaxConns: 2})
	if err != nil {
		return nil, fmt.Errorf("pgcatalog: %w", err)
	}
	c.backend = be
	return c, nil
}

func engineSchema(schema string) string {
	if schema == "information_schema" {
		return "pgis"
	}
	return "pgc"
}

// Table implements planner.SystemCatalog.
func (c *Catalog) Table(schema, name string) (*planner.SystemTable, bool) {
	t, ok := c.tables[schema+"."+name]
	return t, ok
}

// Describe implements planner.SystemCatalog.
func (c *Catalog) Describe(ctx context.Context, sql string) ([]planner.Column, []planner.Type, error) {
	d, err := c.backend.Describe(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]planner.Column, len(d.Names))
	for i, n := range d.Names {
		cols[i] = planner.Column{Name: n, Type: pgType(d.Types[i])}
	}
	params := make([]planner.Type, len(d.Params))
	for i, t := range d.Params {
		params[i] = pgType(t)
	}
	return cols, params, nil
}

// Query implements engine.Backend.
func (c *Catalog) Query(ctx context.Context, query string, args []any) (engine.Rows, error) {
	return c.backend.Query(ctx, query, args)
}

// Close releases the engine.
func (c *Catalog) Close() error { return c.backend.Close() }

// pgType is how a DuckDB result type is announced. Oids are integers here and announced as
// int4; lists and other composite values as text.
func pgType(t duckdbdrv.Type) planner.Type {
	switch t {
	case duckdbdrv.TYPE_BOOLEAN:
		return planner.TypeBool
	case duckdbdrv.TYPE_TINYINT, duckdbdrv.TYPE_SMALLINT:
		return planner.TypeInt2
	case duckdbdrv.TYPE_INTEGER, duckdbdrv.TYPE_UTINYINT, duckdbdrv.TYPE_USMALLINT:
		return planner.TypeInt4
	case duckdbdrv.TYPE_BIGINT, duckdbdrv.TYPE_UINTEGER:
		return planner.TypeInt8
	case duckdbdrv.TYPE_HUGEINT, duckdbdrv.TYPE_UBIGINT, duckdbdrv.TYPE_DECIMAL:
		return planner.TypeNumeric
	case duckdbdrv.TYPE_FLOAT:
		return planner.TypeFloat4
	case duckdbdrv.TYPE_DOUBLE:
		return planner.TypeFloat8
	case duckdbdrv.TYPE_DATE:
		return planner.TypeDate
	case duckdbdrv.TYPE_TIMESTAMP:
		return planner.TypeTimestamp
	case duckdbdrv.TYPE_TIMESTAMP_TZ:
		return planner.TypeTimestamptz
	}
	return planner.TypeText
}

var duckTypes = map[string]string{"int4": "INTEGER", "int2": "SMALLINT", "bool": "BOOLEAN", "float4": "REAL", "text": "VARCHAR", "int8": "BIGINT"}

// loadStatic reads the generated files.
func loadStatic() ([]*table, error) {
	var out []*table
	for _, name := range staticTables {
		f, err := static.Open("static/" + name + ".csv")
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(f)
		header, err := r.Read()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("pgcatalog static %s: %w", name, err)
		}
		t := &table{schema: "pg_catalog", name: name}
		for _, h := range header {
			n, typ, _ := strings.Cut(h, ":")
			t.cols = append(t.cols, column{n, duckTypes[typ]})
		}
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("pgcatalog static %s: %w", name, err)
			}
			row := make([]any, len(rec))
			for i, v := range rec {
				if v != `\N` {
					row[i] = v
				}
			}
			t.rows = append(t.rows, row)
		}
		f.Close()
		out = append(out, t)
	}
	return out, nil
}

// sql creates and fills the table. Values are literals: they come from the generated files and
// the operator's catalog, and are quoted as SQL strings (standard strings, no escapes).
func (t *table) sql() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s.%s (", engineSchema(t.schema), t.name)
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q %s", c.name, c.typ)
	}
	b.WriteString(");\n")
	// One INSERT a table: thousands of one-row INSERTs made every start-up take seconds.
	for r, row := range t.rows {
		if r == 0 {
			fmt.Fprintf(&b, "INSERT INTO %s.%s VALUES\n(", engineSchema(t.schema), t.name)
		} else {
			b.WriteString(",\n(")
		}
		for i, v := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(literal(v))
			b.WriteString("::" + t.cols[i].typ)
		}
		b.WriteString(")")
	}
	if len(t.rows) > 0 {
		b.WriteString(";\n")
	}
	return b.String()
}

func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int16:
		return strconv.Itoa(int(x))
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(fmt.Sprint(v), "'", "''") + "'"
}

// regprocColumns are pg_type's regproc columns. PostgreSQL stores them as pg_proc oids and
// drivers join on that (Npgsql: pg_proc.oid = pg_type.typreceive); the generated file names
// the functions, so they are turned into oids here. A function the static pg_proc does not hold
// (typanalyze and subscript handlers) becomes 0, PostgreSQL's "none".
var regprocColumns = map[string]bool{"typinput": true, "typoutput": true, "typreceive": true, "typsend": true,
	"typmodin": true, "typmodout": true, "typanalyze": true, "typsubscript": true}

func regprocToOID(tables []*table) {
	var procs, types *table
	for _, t := range tables {
		switch t.name {
		case "pg_proc":
			procs = t
		case "pg_type":
			types = t
		}
	}
	if procs == nil || types == nil {
		return
	}
	oids := map[string]string{}
	for _, row := range procs.rows {
		oid, _ := row[0].(string)
		name, _ := row[1].(string)
		if prev, ok := oids[name]; !ok || len(oid) < len(prev) || (len(oid) == len(prev) && oid < prev) {
			oids[name] = oid
		}
	}
	for i, c := range types.cols {
		if !regprocColumns[c.name] {
			continue
		}
		types.cols[i].typ = "INTEGER"
		for _, row := range types.rows {
			name, _ := row[i].(string)
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
			if oid, ok := oids[name]; ok {
				row[i] = oid
			} else {
				row[i] = "0"
			}
		}
	}
}

func (t *table) has(col string) bool {
	for _, c := range t.cols {
		if c.name == col {
			return true
		}
	}
	return false
}
