// Command gen-pgcatalog writes the static part of the emulated PostgreSQL system catalog
// (engine/pgcatalog/static/*.csv) from a real PostgreSQL server's own catalog:
//
//	go run ./scripts/gen-pgcatalog [-dsn postgres://postgres@127.0.0.1:5432/postgres] [-out engine/pgcatalog/static]
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
// Every column is cast to text; the header keeps the type.
type table struct {
	name  string
	cols  []string // "column:type"
	from  string
	order string
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
}

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL 15 to read the catalog from")
	out := flag.String("out", "engine/pgcatalog/static", "directory to write the CSV files to")
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
		if err := writeTable(ctx, conn, t, filepath.Join(out, t.name+".csv")); err != nil {
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
