package pgcatalog

import (
	"strconv"
	"strings"
)

// typeDisplay are the names format_type shows for built-in types whose pg_type name differs
// (pgc.type_display holds the same list for the engine).
var typeDisplay = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
	"bool": "boolean", "varchar": "character varying", "bpchar": "character",
	"timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
	"time": "time without time zone", "timetz": "time with time zone", "varbit": "bit varying", "char": `"char"`,
}

// regtypeArrayMacro defines pgc.regtype_array(oids), the list of type names a regtype[] shows
// for a list of type oids (pgcli's proargtypes::regtype[]). The engine evaluates a lambda per
// element and no sub-select inside one, so the static types' oids and names are written into
// the macro as two lists; an oid of no type shows as its number, as PostgreSQL shows it.
func regtypeArrayMacro(tables []*table) string {
	var types *table
	for _, t := range tables {
		if t.name == "pg_type" {
			types = t
		}
	}
	var oids, names []string
	if types != nil {
		oidCol, nameCol, elemCol, catCol := colIndex(types, "oid"), colIndex(types, "typname"), colIndex(types, "typelem"), colIndex(types, "typcategory")
		byOID := map[string]string{}
		for _, row := range types.rows {
			byOID[str(row[oidCol])] = str(row[nameCol])
		}
		for _, row := range types.rows {
			name := display(str(row[nameCol]))
			if str(row[catCol]) == "A" && str(row[elemCol]) != "0" {
				if elem, ok := byOID[str(row[elemCol])]; ok {
					name = display(elem) + "[]"
				}
			}
			if _, err := strconv.Atoi(str(row[oidCol])); err != nil {
				continue
			}
			oids = append(oids, str(row[oidCol]))
			names = append(names, literal(name))
		}
	}
	return "CREATE MACRO pgc.regtype_array(l) AS list_transform(l, t -> coalesce(CAST([" + strings.Join(names, ", ") +
		"] AS VARCHAR[])[list_position(CAST([" + strings.Join(oids, ", ") + "] AS BIGINT[]), t)], t::VARCHAR))"
}

func display(name string) string {
	if d, ok := typeDisplay[name]; ok {
		return d
	}
	return name
}

func colIndex(t *table, name string) int {
	for i, c := range t.cols {
		if c.name == name {
			return i
		}
	}
	return -1
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
