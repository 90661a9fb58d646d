package pgcatalog

import (
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	duckdbdrv "github.com/duckdb/duckdb-go/v2"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
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
	firstDatasetOID = planner.FirstDatasetOID
)

// Catalog is a built emulation: an engine backend and the description of its tables.
type Catalog struct {
	backend *duckdb.Backend
	tables  map[string]*SystemTable
	timeout time.Duration
	cfg     Config
}

// Config fences the catalog engine like the data engine: catalog queries come from every
// client, before any dataset is read, so one client's heavy query must neither take the memory
// of the process nor hold the engine from the others' lookups. Zero fields take the defaults.
type Config struct {
	// MemoryLimit caps the engine's memory (SETU_CATALOG_MEMORY_LIMIT); a query past it fails
	// with 54000.
	MemoryLimit string
	// MaxConns is the engine's connection pool, the number of catalog queries that run at once
	// (SETU_CATALOG_CONNECTIONS). Admission caps each key's concurrent catalog queries below it.
	MaxConns int
	// Timeout bounds one catalog query, streaming included (SETU_CATALOG_TIMEOUT_SECONDS); past
	// it the query fails with 57014. Negative means no bound of its own.
	Timeout time.Duration
}

// Defaults of Config. The emulation's tables take a few MB and a driver's lookup milliseconds;
// each query runs on one thread, so the pool can exceed the cores without one query taking all.
const (
	DefaultMemoryLimit = "256MB"
	DefaultMaxConns    = 8
	DefaultTimeout     = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MemoryLimit == "" {
		c.MemoryLimit = DefaultMemoryLimit
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
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
	// refScoped: the table also holds ref_dataset_id (see SystemTable.RefScoped).
	refScoped bool
	rows      [][]any
	dbCols    []string
	usCols    []string
	// sysCols are columns of the engine table PostgreSQL does not show (the text
	// pg_get_constraintdef and pg_get_indexdef answer): readable by name, never part of SELECT *.
	sysCols []string
}

// hiddenColumns name the datasets a row describes; a client never reads them.
var hiddenColumns = map[string]bool{"dataset_id": true, "ref_dataset_id": true}

// New builds the emulation for cat with the default Config.
func New(ctx context.Context, cat *catalog.Catalog) (*Catalog, error) {
	return NewWith(ctx, cat, Config{})
}

// NewWith builds the emulation for cat, its engine fenced by cfg.
func NewWith(ctx context.Context, cat *catalog.Catalog, cfg Config) (*Catalog, error) {
	cfg = cfg.withDefaults()
	tables, err := loadStatic()
	if err != nil {
		return nil, err
	}
	regprocToOID(tables)
	procArrays(tables)
	tables = append(tables, dynamicTables(cat)...)
	tables = append(tables, moreTables(cat)...)
	init := []string{"CREATE SCHEMA pgc", "CREATE SCHEMA pgis"}
	c := &Catalog{tables: map[string]*SystemTable{}, timeout: cfg.Timeout, cfg: cfg}
	for _, t := range tables {
		init = append(init, t.sql())
		st := &SystemTable{EngineSchema: engineSchema(t.schema), Scoped: t.scoped, RefScoped: t.refScoped,
			DatabaseColumns: t.dbCols, UserColumns: t.usCols, SystemColumns: append([]string(nil), t.sysCols...)}
		if t.schema == "pg_catalog" && !t.has("xmin") {
			// Every pg_catalog table has PostgreSQL's xmin (DataGrip reads it as a version stamp).
			init = append(init, fmt.Sprintf("ALTER TABLE pgc.%s ADD COLUMN xmin INTEGER DEFAULT 1", t.name))
			st.SystemColumns = append(st.SystemColumns, "xmin")
		}
		for _, col := range t.cols {
			if !hiddenColumns[col.name] && !contains(t.sysCols, col.name) {
				st.Columns = append(st.Columns, col.name)
			}
		}
		c.tables[t.schema+"."+t.name] = st
	}
	init = append(init, macros...)
	init = append(init, regtypeArrayMacro(tables))
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: init, MaxConns: cfg.MaxConns, Threads: 1,
		MemoryLimit: cfg.MemoryLimit, MemoryLimitSetting: "SETU_CATALOG_MEMORY_LIMIT"})
	if err != nil {
		return nil, fmt.Errorf("pgcatalog: %w", err)
	}
	c.backend = be
	return c, nil
}

// Rebuild builds the emulation for another catalog (a reload) with the same fence.
func (c *Catalog) Rebuild(ctx context.Context, cat *catalog.Catalog) (*Catalog, error) {
	return NewWith(ctx, cat, c.cfg)
}

func engineSchema(schema string) string {
	if schema == "information_schema" {
		return "pgis"
	}
	return "pgc"
}

// Table looks up a system table by schema ("pg_catalog" or "information_schema") and name.
func (c *Catalog) Table(schema, name string) (*SystemTable, bool) {
	t, ok := c.tables[schema+"."+name]
	return t, ok
}

// Describe implements planner.SystemCatalog.
func (c *Catalog) Describe(ctx context.Context, sql string) ([]planner.Column, []pgtypes.Type, error) {
	d, err := c.backend.Describe(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]planner.Column, len(d.Names))
	for i, n := range d.Names {
		cols[i] = planner.Column{Name: n, Type: pgType(d.Types[i])}
	}
	params := make([]pgtypes.Type, len(d.Params))
	for i, t := range d.Params {
		params[i] = pgType(t)
		if t == duckdbdrv.TYPE_LIST {
			// A list parameter (rewriteArrayOperator casts `x = ANY($1)`'s to text[]).
			params[i] = pgtypes.TextArray
		}
	}
	return cols, params, nil
}

// Query implements engine.Backend. The query runs under the catalog's own time bound.
func (c *Catalog) Query(ctx context.Context, query string, args []any) (engine.Rows, error) {
	if c.timeout <= 0 {
		return c.backend.Query(ctx, query, args)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errCatalogTimeout)
	rows, err := c.backend.Query(ctx, query, args)
	if err != nil {
		cancel()
		return nil, c.timedOut(ctx, err)
	}
	return &timedRows{Rows: rows, ctx: ctx, cancel: cancel, c: c}, nil
}

// errCatalogTimeout is the cause of a context the catalog's time bound ended.
var errCatalogTimeout = errors.New("catalog query timeout")

// timedOut turns an error of a query its time bound ended into 57014 naming the setting.
func (c *Catalog) timedOut(ctx context.Context, err error) error {
	if err == nil || !errors.Is(context.Cause(ctx), errCatalogTimeout) {
		return err
	}
	return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout").
		WithHint("system catalog queries may run for %s (SETU_CATALOG_TIMEOUT_SECONDS)", c.timeout)
}

// timedRows keeps the time bound until the rows are closed.
type timedRows struct {
	engine.Rows
	ctx    context.Context
	cancel context.CancelFunc
	c      *Catalog
}

func (r *timedRows) Values() ([]any, error) {
	v, err := r.Rows.Values()
	return v, r.c.timedOut(r.ctx, err)
}

func (r *timedRows) Err() error { return r.c.timedOut(r.ctx, r.Rows.Err()) }

func (r *timedRows) Close() error {
	err := r.Rows.Close()
	r.cancel()
	return err
}

// Close releases the engine.
func (c *Catalog) Close() error { return c.backend.Close() }

// pgType is how a DuckDB result type is announced. Oids are integers here and announced as
// int4; lists and other composite values as text.
func pgType(t duckdbdrv.Type) pgtypes.Type {
	switch t {
	case duckdbdrv.TYPE_BOOLEAN:
		return pgtypes.Bool
	case duckdbdrv.TYPE_TINYINT, duckdbdrv.TYPE_SMALLINT:
		return pgtypes.Int2
	case duckdbdrv.TYPE_INTEGER, duckdbdrv.TYPE_UTINYINT, duckdbdrv.TYPE_USMALLINT:
		return pgtypes.Int4
	case duckdbdrv.TYPE_BIGINT, duckdbdrv.TYPE_UINTEGER:
		return pgtypes.Int8
	case duckdbdrv.TYPE_HUGEINT, duckdbdrv.TYPE_UBIGINT, duckdbdrv.TYPE_DECIMAL:
		return pgtypes.Numeric
	case duckdbdrv.TYPE_FLOAT:
		return pgtypes.Float4
	case duckdbdrv.TYPE_DOUBLE:
		return pgtypes.Float8
	case duckdbdrv.TYPE_DATE:
		return pgtypes.Date
	case duckdbdrv.TYPE_TIMESTAMP:
		return pgtypes.Timestamp
	case duckdbdrv.TYPE_TIMESTAMP_TZ:
		return pgtypes.Timestamptz
	}
	return pgtypes.Text
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
	case []int:
		s := make([]string, len(x))
		for i, n := range x {
			s[i] = strconv.Itoa(n)
		}
		return "[" + strings.Join(s, ", ") + "]"
	case []string:
		s := make([]string, len(x))
		for i, v := range x {
			s[i] = literal(v)
		}
		return "[" + strings.Join(s, ", ") + "]"
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

// procArrayColumns are pg_proc's array columns, which the generated file holds in PostgreSQL's
// array text ({a,b}); they become the engine's lists, so that unnest(proargnames) (pgcli's
// casing query) and proargnames[1] work. proargtypes stays an oidvector's text ("23 25").
var procArrayColumns = map[string]string{"proargnames": "VARCHAR[]", "proargmodes": "VARCHAR[]", "proallargtypes": "BIGINT[]"}

func procArrays(tables []*table) {
	for _, t := range tables {
		if t.name != "pg_proc" {
			continue
		}
		for i, c := range t.cols {
			typ, ok := procArrayColumns[c.name]
			if !ok {
				continue
			}
			t.cols[i].typ = typ
			for _, row := range t.rows {
				text, ok := row[i].(string)
				if !ok {
					continue
				}
				elems := arrayTextElems(text)
				if typ == "VARCHAR[]" {
					row[i] = elems
					continue
				}
				nums := make([]int, 0, len(elems))
				for _, e := range elems {
					n, _ := strconv.Atoi(e)
					nums = append(nums, n)
				}
				row[i] = nums
			}
		}
	}
}

// arrayTextElems reads a one-dimensional array's text form ({a,"b c"}) as its elements.
func arrayTextElems(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		return []string{}
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			parts[i] = strings.ReplaceAll(strings.ReplaceAll(p[1:len(p)-1], `\"`, `"`), `\\`, `\`)
		}
	}
	return parts
}
