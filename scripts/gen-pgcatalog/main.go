// Command gen-pgcatalog writes the static part of the emulated PostgreSQL system catalog
// (pgcatalog/static/*.csv) from a real PostgreSQL server's own catalog:
//
//	go run ./scripts/gen-pgcatalog [-dsn postgres://postgres@127.0.0.1:5432/postgres] [-out pgcatalog/static]
//
// Only built-in objects are read (oids below 16384), so the output does not depend on what the
// server holds. Each file's header names every column with its PostgreSQL type ("oid:int4");
// the first line of each file is the header, the rest are rows in CSV with \N for NULL.
package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// table is one static catalog table: its name and the query that reads its built-in rows.
// Every column is cast to text; the header keeps the type. Tables of information_schema are
// written to the subdirectory information_schema/, the others (pg_catalog) to the top level.
type table struct {
	schema string // "" for pg_catalog, or "information_schema"
	name   string
	cols   []string // "column:type"
	from   string
	order  string
}

var tables = []table{
	{name: "pg_namespace", cols: []string{"oid:int4", "nspname:text", "nspowner:int4", "nspacl:text"},
		from: "pg_namespace WHERE nspname IN ('pg_catalog', 'public', 'information_schema')", order: "oid"},
	{name: "pg_type", cols: []string{"oid:int4", "typname:text", "typnamespace:int4", "typowner:int4", "typlen:int2",
		"typbyval:bool", "typtype:text", "typcategory:text", "typispreferred:bool", "typisdefined:bool", "typdelim:text",
		"typrelid:int4", "typsubscript:text", "typelem:int4", "typarray:int4", "typinput:text", "typoutput:text",
		"typreceive:text", "typsend:text", "typmodin:text", "typmodout:text", "typanalyze:text", "typalign:text",
		"typstorage:text", "typnotnull:bool", "typbasetype:int4", "typtypmod:int4", "typndims:int4",
		"typcollation:int4", "typdefaultbin:text", "typdefault:text", "typacl:text"},
		// Base, pseudo, range and multirange types and their arrays; not the row types of the
		// server's own catalog tables, which the gateway does not expose.
		from: "pg_type WHERE oid < 16384 AND typnamespace = 'pg_catalog'::regnamespace AND typtype IN ('b', 'p', 'r', 'm') AND typrelid = 0", order: "oid"},
	{name: "pg_proc", cols: []string{"oid:int4", "proname:text", "pronamespace:int4", "proowner:int4", "prolang:int4",
		"procost:float4", "prorows:float4", "provariadic:int4", "prosupport:text", "prokind:text", "prosecdef:bool",
		"proleakproof:bool", "proisstrict:bool", "proretset:bool", "provolatile:text", "proparallel:text",
		"pronargs:int2", "pronargdefaults:int2", "prorettype:int4", "proargtypes:text", "proallargtypes:text",
		"proargmodes:text", "proargnames:text", "prosrc:text", "probin:text", "proconfig:text", "proacl:text"},
		// The I/O and typmod functions of the types above: drivers join pg_type to pg_proc on them.
		from: `pg_proc WHERE oid IN (SELECT unnest(ARRAY[typinput, typoutput, typreceive, typsend, typmodin, typmodout]::oid[])
			FROM pg_type WHERE oid < 16384 AND typnamespace = 'pg_catalog'::regnamespace AND typtype IN ('b', 'p', 'r', 'm') AND typrelid = 0)`, order: "oid"},
	{name: "pg_am", cols: []string{"oid:int4", "amname:text", "amhandler:text", "amtype:text"}, from: "pg_am", order: "oid"},
	{name: "pg_range", cols: []string{"rngtypid:int4", "rngsubtype:int4", "rngmultitypid:int4", "rngcollation:int4",
		"rngsubopc:int4", "rngcanonical:text", "rngsubdiff:text"}, from: "pg_range WHERE rngtypid < 16384", order: "rngtypid"},
	{name: "pg_collation", cols: []string{"oid:int4", "collname:text", "collnamespace:int4", "collowner:int4",
		"collprovider:text", "collisdeterministic:bool", "collencoding:int4", "collcollate:text", "collctype:text"},
		from: "pg_collation WHERE collname IN ('default', 'C', 'POSIX', 'ucs_basic')", order: "oid"},
	// The key words, as pg_get_keywords() returns them (the gateway reads the function as this table).
	{name: "pg_get_keywords", cols: []string{"word:text", "catcode:text", "barelabel:bool", "catdesc:text", "baredesc:text"},
		from: "pg_get_keywords()", order: "word"},
	// Time zones with their offsets on the day of generation; the offsets are intervals, kept as
	// PostgreSQL prints them ("-03:30:00").
	{name: "pg_timezone_names", cols: []string{"name:text", "abbrev:text", "utc_offset:text", "is_dst:bool"},
		from: "pg_timezone_names", order: "name"},
	{name: "pg_timezone_abbrevs", cols: []string{"abbrev:text", "utc_offset:text", "is_dst:bool"},
		from: "pg_timezone_abbrevs", order: "abbrev"},
	// The built-in languages (internal, c, sql) and plpgsql, which initdb installs.
	{name: "pg_language", cols: []string{"oid:int4", "lanname:text", "lanowner:int4", "lanispl:bool", "lanpltrusted:bool",
		"lanplcallfoid:int4", "laninline:int4", "lanvalidator:int4", "lanacl:text"},
		from: "pg_language WHERE lanname IN ('internal', 'c', 'sql', 'plpgsql')", order: "oid"},
	// The built-in casts.
	{name: "pg_cast", cols: []string{"oid:int4", "castsource:int4", "casttarget:int4", "castfunc:int4", "castcontext:text", "castmethod:text"},
		from: "pg_cast WHERE oid < 16384", order: "oid"},
	// information_schema's static tables: what the server implements of SQL.
	{schema: "information_schema", name: "sql_features", cols: []string{"feature_id:text", "feature_name:text",
		"sub_feature_id:text", "sub_feature_name:text", "is_supported:text", "is_verified_by:text", "comments:text"},
		from: "information_schema.sql_features", order: "feature_id, sub_feature_id"},
	{schema: "information_schema", name: "sql_implementation_info", cols: []string{"implementation_info_id:text",
		"implementation_info_name:text", "integer_value:int4", "character_value:text", "comments:text"},
		from: "information_schema.sql_implementation_info", order: "implementation_info_id::int"},
	{schema: "information_schema", name: "sql_sizing", cols: []string{"sizing_id:int4", "sizing_name:text",
		"supported_value:int4", "comments:text"}, from: "information_schema.sql_sizing", order: "sizing_id"},
}

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL 15 to read the catalog from")
	out := flag.String("out", "pgcatalog/static", "directory to write the CSV files to")
	flag.Parse()
	if err := run(context.Background(), *dsn, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen-pgcatalog:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, out string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version_num").Scan(&version); err != nil {
		return err
	}
	if !strings.HasPrefix(version, "15") {
		return fmt.Errorf("server_version_num %s: the gateway speaks as PostgreSQL 15; generate from a 15.x server", version)
	}
	for _, t := range tables {
		dir := out
		if t.schema != "" {
			dir = filepath.Join(out, t.schema)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
		if err := writeTable(ctx, conn, t, filepath.Join(dir, t.name+".csv")); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

func writeTable(ctx context.Context, conn *pgx.Conn, t table, path string) error {
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		name, typ, _ := strings.Cut(c, ":")
		switch typ {
		case "int4":
			exprs[i] = name + "::int4::text"
		default:
			exprs[i] = name + "::text"
		}
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + t.from + " ORDER BY " + t.order
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(t.cols)
	n := 0
	for rows.Next() {
		vals := make([]*string, len(t.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			f.Close()
			return err
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = `\N`
			if v != nil {
				rec[i] = *v
			}
		}
		w.Write(rec)
		n++
	}
	if err := rows.Err(); err != nil {
		f.Close()
		return err
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d rows\n", path, n)
	return f.Close()
}
