package pgcatalog

import (
	"strings"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/planner/session"
)

const (
	vc   = "VARCHAR"
	i4   = "INTEGER"
	i2   = "SMALLINT"
	bo   = "BOOLEAN"
	fl   = "REAL"
	list = "VARCHAR[]"
)

func cols(spec string) []column {
	var out []column
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		switch typ {
		case "i":
			typ = i4
		case "s":
			typ = i2
		case "b":
			typ = bo
		case "f":
			typ = fl
		case "l":
			typ = list
		case "il":
			typ = "INTEGER[]"
		default:
			typ = vc
		}
		out = append(out, column{name, typ})
	}
	return out
}

// pgTypeInfo is what information_schema says of a type.
type pgTypeInfo struct {
	dataType              string
	precision, radix, scl any
	datetime              any
}

func typeInfo(t pgtypes.Type) pgTypeInfo {
	switch t.OID {
	case pgtypes.Int2.OID:
		return pgTypeInfo{"smallint", 16, 2, 0, nil}
	case pgtypes.Int4.OID:
		return pgTypeInfo{"integer", 32, 2, 0, nil}
	case pgtypes.Int8.OID:
		return pgTypeInfo{"bigint", 64, 2, 0, nil}
	case pgtypes.Float4.OID:
		return pgTypeInfo{"real", 24, 2, nil, nil}
	case pgtypes.Float8.OID:
		return pgTypeInfo{"double precision", 53, 2, nil, nil}
	case pgtypes.Numeric.OID:
		return pgTypeInfo{"numeric", nil, 10, nil, nil}
	case pgtypes.Bool.OID:
		return pgTypeInfo{"boolean", nil, nil, nil, nil}
	case pgtypes.Date.OID:
		return pgTypeInfo{"date", nil, nil, nil, 0}
	case pgtypes.Timestamp.OID:
		return pgTypeInfo{"timestamp without time zone", nil, nil, nil, 6}
	case pgtypes.Timestamptz.OID:
		return pgTypeInfo{"timestamp with time zone", nil, nil, nil, 6}
	case pgtypes.Varchar.OID:
		return pgTypeInfo{"character varying", nil, nil, nil, nil}
	}
	return pgTypeInfo{"text", nil, nil, nil, nil}
}

// dynamicTables are the tables derived from the semantic catalog and the gateway's settings, and
// the empty tables drivers join on.
func dynamicTables(cat *catalog.Catalog) []*table {
	class := &table{schema: "pg_catalog", name: "pg_class", scoped: true, cols: cols(`oid:i relname relnamespace:i reltype:i
		reloftype:i relowner:i relam:i relfilenode:i reltablespace:i relpages:i reltuples:f relallvisible:i
		reltoastrelid:i relhasindex:b relisshared:b relpersistence relkind relnatts:s relchecks:s relhasrules:b
		relhastriggers:b relhassubclass:b relrowsecurity:b relforcerowsecurity:b relispopulated:b relreplident
		relispartition:b relrewrite:i relfrozenxid:i relminmxid:i relacl:l reloptions:l relpartbound relhasoids:b dataset_id`)}
	attr := &table{schema: "pg_catalog", name: "pg_attribute", scoped: true, cols: cols(`attrelid:i attname atttypid:i
		attstattarget:i attlen:s attnum:s attndims:i attcacheoff:i atttypmod:i attbyval:b attalign attstorage
		attcompression attnotnull:b atthasdef:b atthasmissing:b attidentity attgenerated attisdropped:b
		attislocal:b attinhcount:i attcollation:i attacl:l attoptions:l attfdwoptions:l attmissingval dataset_id`)}
	desc := &table{schema: "pg_catalog", name: "pg_description", scoped: true, cols: cols(`objoid:i classoid:i objsubid:i description dataset_id`)}
	tables := &table{schema: "pg_catalog", name: "pg_tables", scoped: true, cols: cols(`schemaname tablename tableowner
		tablespace hasindexes:b hasrules:b hastriggers:b rowsecurity:b dataset_id`), usCols: []string{"tableowner"}}
	isTables := &table{schema: "information_schema", name: "tables", scoped: true, cols: cols(`table_catalog table_schema
		table_name table_type self_referencing_column_name reference_generation user_defined_type_catalog
		user_defined_type_schema user_defined_type_name is_insertable_into is_typed commit_action dataset_id`),
		dbCols: []string{"table_catalog"}}
	isColumns := &table{schema: "information_schema", name: "columns", scoped: true, cols: cols(`table_catalog table_schema
		table_name column_name ordinal_position:i column_default is_nullable data_type character_maximum_length:i
		character_octet_length:i numeric_precision:i numeric_precision_radix:i numeric_scale:i datetime_precision:i
		interval_type interval_precision:i character_set_catalog character_set_schema character_set_name
		collation_catalog collation_schema collation_name domain_catalog domain_schema domain_name udt_catalog
		udt_schema udt_name scope_catalog scope_schema scope_name maximum_cardinality:i dtd_identifier
		is_self_referencing is_identity identity_generation identity_start identity_increment identity_maximum
		identity_minimum identity_cycle is_generated generation_expression is_updatable dataset_id`),
		dbCols: []string{"table_catalog", "udt_catalog"}}
	keys := keysOf(cat, firstDatasetOID+len(cat.Datasets))
	indexed := map[*catalog.Dataset]bool{}
	for _, pk := range keys.pks {
		indexed[pk.ds] = true
	}
	for i, ds := range cat.Datasets {
		oid := firstDatasetOID + i
		dcols := planner.DatasetColumns(ds)
		// relhasindex and relhastriggers tell psql \d to look for indexes and for foreign keys
		// (PostgreSQL's foreign keys are triggers on both tables). relhastriggers is set on
		// every dataset when the catalog reports any foreign key, so that it tells nothing of a
		// dataset out of the key's scope.
		class.rows = append(class.rows, []any{oid, ds.ID, namespacePublic, 0, 0, roleOID, 2, 0, 0, 0, -1.0, 0, 0,
			indexed[ds], false, "p", "r", len(dcols), 0, false, len(keys.fks) > 0, false, false, false, true, "d", false, 0, 0, 0, nil, nil, nil, false, ds.ID})
		tables.rows = append(tables.rows, []any{"public", ds.ID, nil, nil, false, false, false, false, ds.ID})
		isTables.rows = append(isTables.rows, []any{nil, "public", ds.ID, "BASE TABLE", nil, nil, nil, nil, nil, "NO", "NO", nil, ds.ID})
		if text := firstNonEmpty(ds.Description, ds.Name); text != "" {
			desc.rows = append(desc.rows, []any{oid, classPgClass, 0, text, ds.ID})
		}
		notes := columnNotes(ds)
		notNull := keys.notNull(ds)
		for j, c := range dcols {
			num := j + 1
			attr.rows = append(attr.rows, attributeRow(oid, c, num, ds.ID, notNull[num]))
			if n := notes[c.Name]; n != "" {
				desc.rows = append(desc.rows, []any{oid, classPgClass, num, n, ds.ID})
			}
			ti := typeInfo(c.Type)
			isColumns.rows = append(isColumns.rows, []any{nil, "public", ds.ID, c.Name, num, nil, yesNo(!notNull[num]), ti.dataType, nil, nil,
				ti.precision, ti.radix, ti.scl, ti.datetime, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
				nil, "pg_catalog", c.Type.Name, nil, nil, nil, nil, num, "NO", "NO", nil, nil, nil, nil, nil, "NO", "NEVER", nil, "NO", ds.ID})
		}
	}
	out := []*table{class, attr, desc, tables, isTables, isColumns}
	out = append(out, keyTables(keys, class, attr)...)

	schemata := &table{schema: "information_schema", name: "schemata", cols: cols(`catalog_name schema_name schema_owner
		default_character_set_catalog default_character_set_schema default_character_set_name sql_path`),
		dbCols: []string{"catalog_name"}, usCols: []string{"schema_owner"}}
	for _, s := range []string{"pg_catalog", "public", "information_schema"} {
		schemata.rows = append(schemata.rows, []any{nil, s, nil, nil, nil, nil, nil})
	}
	settings := &table{schema: "pg_catalog", name: "pg_settings", cols: cols(`name setting unit category short_desc
		extra_desc context vartype source min_val max_val enumvals:l boot_val reset_val sourcefile sourceline:i pending_restart:b`)}
	for _, s := range session.Defaults() {
		ctx := "user"
		if s.ReadOnly {
			ctx = "internal"
		}
		settings.rows = append(settings.rows, []any{s.Name, s.Value, nil, "Gateway", s.Description, nil, ctx, "string",
			"default", nil, nil, nil, s.Value, s.Value, nil, nil, false})
	}
	database := &table{schema: "pg_catalog", name: "pg_database", cols: cols(`oid:i datname datdba:i encoding:i datlocprovider
		datistemplate:b datallowconn:b datconnlimit:i datfrozenxid:i datminmxid:i dattablespace:i datcollate datctype
		daticulocale daticurules datcollversion datacl:l`), dbCols: []string{"datname"},
		rows: [][]any{{databaseOID, nil, roleOID, 6, "c", false, true, -1, 0, 1, 1663, "C.UTF-8", "C.UTF-8", nil, nil, nil, nil}}}
	roles := &table{schema: "pg_catalog", name: "pg_roles", cols: cols(`rolname rolsuper:b rolinherit:b rolcreaterole:b
		rolcreatedb:b rolcanlogin:b rolreplication:b rolconnlimit:i rolpassword rolvaliduntil rolbypassrls:b rolconfig:l oid:i`),
		usCols: []string{"rolname"}, rows: [][]any{{nil, false, true, false, false, true, false, -1, "********", nil, false, nil, roleOID}}}
	authid := &table{schema: "pg_catalog", name: "pg_authid", cols: cols(`oid:i rolname rolsuper:b rolinherit:b rolcreaterole:b
		rolcreatedb:b rolcanlogin:b rolreplication:b rolbypassrls:b rolconnlimit:i rolpassword rolvaliduntil`),
		usCols: []string{"rolname"}, rows: [][]any{{roleOID, nil, false, true, false, false, true, false, false, -1, nil, nil}}}
	user := &table{schema: "pg_catalog", name: "pg_user", cols: cols(`usename usesysid:i usecreatedb:b usesuper:b userepl:b
		usebypassrls:b passwd valuntil useconfig:l`), usCols: []string{"usename"},
		rows: [][]any{{nil, roleOID, false, false, false, false, "********", nil, nil}}}
	tablespace := &table{schema: "pg_catalog", name: "pg_tablespace", cols: cols(`oid:i spcname spcowner:i spcacl:l spcoptions:l`),
		rows: [][]any{{1663, "pg_default", roleOID, nil, nil}}}
	out = append(out, schemata, settings, database, roles, authid, user, tablespace)

	for _, e := range []struct{ schema, name, spec string }{
		{"pg_catalog", "pg_depend", `classid:i objid:i objsubid:i refclassid:i refobjid:i refobjsubid:i deptype`},
		{"pg_catalog", "pg_shdescription", `objoid:i classoid:i description`},
		{"pg_catalog", "pg_auth_members", `roleid:i member:i grantor:i admin_option:b`},
		{"pg_catalog", "pg_attrdef", `oid:i adrelid:i adnum:s adbin`},
		{"pg_catalog", "pg_enum", `oid:i enumtypid:i enumsortorder:f enumlabel`},
		{"pg_catalog", "pg_extension", `oid:i extname extowner:i extnamespace:i extrelocatable:b extversion extconfig:l extcondition:l`},
		{"pg_catalog", "pg_views", `schemaname viewname viewowner definition`},
		{"pg_catalog", "pg_matviews", `schemaname matviewname matviewowner tablespace hasindexes:b ispopulated:b definition`},
		{"pg_catalog", "pg_inherits", `inhrelid:i inhparent:i inhseqno:i inhdetachpending:b`},
		{"pg_catalog", "pg_trigger", `oid:i tgrelid:i tgparentid:i tgname tgfoid:i tgtype:s tgenabled tgisinternal:b
			tgconstrrelid:i tgconstrindid:i tgconstraint:i tgdeferrable:b tginitdeferred:b tgnargs:s tgattr tgargs tgqual
			tgoldtable tgnewtable`},
		{"pg_catalog", "pg_policy", `oid:i polname polrelid:i polcmd polpermissive:b polroles:il polqual polwithcheck`},
		{"pg_catalog", "pg_statistic_ext", `oid:i stxrelid:i stxname stxnamespace:i stxowner:i stxstattarget:i stxkeys stxkind:l stxexprs`},
		{"pg_catalog", "pg_publication", `oid:i pubname pubowner:i puballtables:b pubinsert:b pubupdate:b pubdelete:b pubtruncate:b pubviaroot:b`},
		{"pg_catalog", "pg_publication_rel", `oid:i prpubid:i prrelid:i prqual prattrs`},
		{"pg_catalog", "pg_publication_namespace", `oid:i pnpubid:i pnnspid:i`},
		{"pg_catalog", "pg_foreign_table", `ftrelid:i ftserver:i ftoptions:l`},
		{"pg_catalog", "pg_partitioned_table", `partrelid:i partstrat partnatts:s partdefid:i partattrs partclass partcollation partexprs`},
		{"pg_catalog", "pg_sequence", `seqrelid:i seqtypid:i seqstart:i seqincrement:i seqmax:i seqmin:i seqcache:i seqcycle:b`},
		{"pg_catalog", "pg_rewrite", `oid:i rulename ev_class:i ev_type ev_enabled is_instead:b ev_qual ev_action`},
		{"information_schema", "views", `table_catalog table_schema table_name view_definition check_option is_updatable
			is_insertable_into is_trigger_updatable is_trigger_deletable is_trigger_insertable_into`},
		{"information_schema", "routines", `specific_catalog specific_schema specific_name routine_catalog routine_schema
			routine_name routine_type data_type`},
	} {
		out = append(out, &table{schema: e.schema, name: e.name, cols: cols(e.spec)})
	}
	return out
}

// attributeRow is the pg_attribute row of column c, number num of relation rel; notNull for a
// primary key column, which PostgreSQL reports NOT NULL.
func attributeRow(rel int, c planner.Column, num int, datasetID string, notNull bool) []any {
	byval := c.Type.Size > 0 && c.Type.Size <= 8
	align := "i"
	if c.Type.Size == 8 {
		align = "d"
	}
	storage := "p"
	if c.Type.Size < 0 {
		storage = "x"
	}
	collation := 0
	if c.Type.OID == pgtypes.Text.OID || c.Type.OID == pgtypes.Varchar.OID {
		collation = 100
	}
	return []any{rel, c.Name, int(c.Type.OID), -1, int(c.Type.Size), num, 0, -1, -1, byval,
		align, storage, "", notNull, false, false, "", "", false, true, 0, collation, nil, nil, nil, nil, datasetID}
}

// yesNo is information_schema's yes_or_no.
func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

// columnNotes are the column descriptions: a dimension's or metric's description, else its label.
func columnNotes(ds *catalog.Dataset) map[string]string {
	m := map[string]string{}
	for _, d := range ds.Dimensions {
		m[d.Name] = firstNonEmpty(d.Description, d.Label)
	}
	for _, x := range ds.Metrics {
		m[x.Name] = firstNonEmpty(x.Description, x.Label)
	}
	return m
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// macros are the catalog functions, in schema pgc; the planner calls them by that name.
var macros = []string{
	`CREATE MACRO pgc.type_display(n) AS CASE n WHEN 'int2' THEN 'smallint' WHEN 'int4' THEN 'integer'
		WHEN 'int8' THEN 'bigint' WHEN 'float4' THEN 'real' WHEN 'float8' THEN 'double precision'
		WHEN 'bool' THEN 'boolean' WHEN 'varchar' THEN 'character varying' WHEN 'bpchar' THEN 'character'
		WHEN 'timestamp' THEN 'timestamp without time zone' WHEN 'timestamptz' THEN 'timestamp with time zone'
		WHEN 'time' THEN 'time without time zone' WHEN 'timetz' THEN 'time with time zone'
		WHEN 'varbit' THEN 'bit varying' WHEN 'char' THEN '"char"' ELSE n END`,
	`CREATE MACRO pgc.format_type(t, m) AS CASE WHEN t IS NULL THEN NULL ELSE coalesce((
		SELECT CASE
			WHEN ty.typname = 'varchar' AND m > 4 THEN 'character varying(' || (m - 4) || ')'
			WHEN ty.typname = 'bpchar' AND m > 4 THEN 'character(' || (m - 4) || ')'
			WHEN ty.typname = 'numeric' AND m > 4 THEN 'numeric(' || ((m - 4) >> 16) || ',' || ((m - 4) & 65535) || ')'
			WHEN ty.typelem <> 0 AND ty.typlen = -1 AND ty.typcategory = 'A' THEN
				(SELECT pgc.type_display(e.typname) FROM pgc.pg_type e WHERE e.oid = ty.typelem) || '[]'
			ELSE pgc.type_display(ty.typname) END
		FROM pgc.pg_type ty WHERE ty.oid = t), '???') END`,
	`CREATE MACRO pgc.pg_get_expr(a, b) AS NULL::VARCHAR, (a, b, c) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_table_is_visible(x) AS true`,
	`CREATE MACRO pgc.pg_type_is_visible(x) AS true`,
	`CREATE MACRO pgc.pg_function_is_visible(x) AS true`,
	`CREATE MACRO pgc.has_table_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE MACRO pgc.has_schema_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE MACRO pgc.has_database_privilege(a, b) AS true, (a, b, c) AS true`,
	`CREATE MACRO pgc.has_column_privilege(a, b, c) AS true, (a, b, c, d) AS true`,
	`CREATE MACRO pgc.pg_has_role(a, b) AS true, (a, b, c) AS true`,
	`CREATE MACRO pgc.pg_encoding_to_char(x) AS 'UTF8'`,
	`CREATE MACRO pgc.current_schemas(b) AS CASE WHEN b THEN ['pg_catalog', 'public'] ELSE ['public'] END`,
	`CREATE MACRO pgc.array_upper(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN len(a) END`,
	`CREATE MACRO pgc.array_lower(a, d) AS CASE WHEN d = 1 AND len(a) > 0 THEN 1 END`,
	`CREATE MACRO pgc.quote_ident(s) AS CASE WHEN regexp_full_match(s, '[a-z_][a-z0-9_$]*') THEN s ELSE '"' || replace(s, '"', '""') || '"' END`,
	// pg_get_indexdef and pg_get_constraintdef read the key tables (rewriteIndexDef,
	// rewriteConstraintDef); the macros answer only calls with other numbers of arguments.
	`CREATE MACRO pgc.pg_get_indexdef(a) AS NULL::VARCHAR, (a, b, c) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_constraintdef(a) AS NULL::VARCHAR, (a, b) AS NULL::VARCHAR`,
	// key_def(oids, defs, o) is the definition of o given the oids and definitions of the
	// constraints in scope; index_def(oids, defs, o, k) the k-th entry (0: the statement) of an
	// index's definitions.
	`CREATE MACRO pgc.key_def(oids, defs, o) AS defs[list_position(oids, o)]`,
	// oid_lookup(keys, values, k) is the value of key k: a reg* cast's lookup, evaluated outside
	// the sub-selects that list the keys and values so that its argument binds in the client's
	// query (rewrite_cast.go).
	`CREATE MACRO pgc.oid_lookup(keys, vals, k) AS vals[list_position(keys, k)]`,
	`CREATE MACRO pgc.oid_name(keys, vals, k) AS vals[list_position(keys, TRY_CAST(k AS BIGINT))]`,
	// oid_vector reads an oid list of any spelling the emulation holds (an oidvector's "23 25",
	// an array's {23,25} or a list) as a list of oids.
	`CREATE MACRO pgc.oid_vector(x) AS CASE WHEN x IS NULL THEN NULL ELSE list_transform(
		list_filter(string_split_regex(CAST(x AS VARCHAR), '[^0-9]+'), e -> e <> ''), e -> e::BIGINT) END`,
	`CREATE MACRO pgc.index_def(oids, defs, o, k) AS defs[list_position(oids, o)][k + 1]`,
	`CREATE MACRO pgc.pg_get_viewdef(a) AS NULL::VARCHAR, (a, b) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_triggerdef(a) AS NULL::VARCHAR, (a, b) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_partkeydef(a) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_function_result(a) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_function_arguments(a) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_statisticsobjdef_columns(a) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_serial_sequence(a, b) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_is_in_recovery() AS false`,
	`CREATE MACRO pgc.pg_relation_is_publishable(a) AS false`,
	`CREATE MACRO pgc.has_any_column_privilege(a, b) AS true, (a, b, c) AS true`,
	// Sizes: a dataset is not stored by the gateway, so it takes no bytes here (psql's and
	// pgcli's \dt+ show "0 bytes"); pg_size_pretty formats any size as PostgreSQL 15 does.
	`CREATE MACRO pgc.pg_relation_size(a) AS 0::BIGINT, (a, b) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_total_relation_size(a) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_table_size(a) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_indexes_size(a) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_database_size(a) AS 0::BIGINT`,
	// size_div divides truncating toward zero, as C does; size_half is PostgreSQL's half_rounded.
	`CREATE MACRO pgc.size_div(s, bits) AS CASE WHEN s < 0 THEN -((-s) // (1::BIGINT << bits)) ELSE s // (1::BIGINT << bits) END`,
	`CREATE MACRO pgc.size_half(s) AS CASE WHEN s < 0 THEN -((1 - s) // 2) ELSE (s + 1) // 2 END`,
	`CREATE MACRO pgc.size_unit(s, bits, unit) AS pgc.size_half(pgc.size_div(s, bits))::VARCHAR || ' ' || unit`,
	`CREATE MACRO pgc.pg_size_pretty(a) AS CASE
		WHEN a IS NULL THEN NULL
		WHEN abs(a::BIGINT) < 10240 THEN a::BIGINT::VARCHAR || ' bytes'
		WHEN abs(pgc.size_div(a::BIGINT, 9)) < 20479 THEN pgc.size_unit(a::BIGINT, 9, 'kB')
		WHEN abs(pgc.size_div(a::BIGINT, 19)) < 20479 THEN pgc.size_unit(a::BIGINT, 19, 'MB')
		WHEN abs(pgc.size_div(a::BIGINT, 29)) < 20479 THEN pgc.size_unit(a::BIGINT, 29, 'GB')
		WHEN abs(pgc.size_div(a::BIGINT, 39)) < 20479 THEN pgc.size_unit(a::BIGINT, 39, 'TB')
		ELSE pgc.size_unit(a::BIGINT, 49, 'PB') END`,
	`CREATE MACRO pgc.pg_postmaster_start_time() AS TIMESTAMPTZ '2000-01-01 00:00:00+00'`,
	`CREATE MACRO pgc.txid_current() AS 1::BIGINT`,
	// information_schema's helpers, which JDBC- and ODBC-based tools call directly.
	`CREATE MACRO pgc._pg_expandarray(a) AS list_transform(range(1, len(a) + 1), i -> {'x': a[i], 'n': i::INTEGER})`,
	`CREATE MACRO pgc._pg_numeric_precision(t, m) AS CASE t WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64
		WHEN 1700 THEN CASE WHEN m = -1 THEN NULL ELSE ((m - 4) >> 16) & 65535 END WHEN 700 THEN 24 WHEN 701 THEN 53 END`,
	`CREATE MACRO pgc._pg_numeric_precision_radix(t, m) AS CASE WHEN t IN (21, 23, 20, 700, 701) THEN 2 WHEN t = 1700 THEN 10 END`,
	`CREATE MACRO pgc._pg_numeric_scale(t, m) AS CASE WHEN t IN (21, 23, 20) THEN 0
		WHEN t = 1700 THEN CASE WHEN m = -1 THEN NULL ELSE (m - 4) & 65535 END END`,
	`CREATE MACRO pgc._pg_datetime_precision(t, m) AS CASE WHEN t = 1082 THEN 0
		WHEN t IN (1083, 1114, 1184, 1266) THEN CASE WHEN m < 0 THEN 6 ELSE m END
		WHEN t = 1186 THEN CASE WHEN m < 0 OR m & 65535 = 65535 THEN 6 ELSE m & 65535 END END`,
	`CREATE MACRO pgc._pg_char_max_length(t, m) AS CASE WHEN m = -1 THEN NULL WHEN t IN (1042, 1043) THEN m - 4 WHEN t IN (1560, 1562) THEN m END`,
	`CREATE MACRO pgc._pg_char_octet_length(t, m) AS CASE WHEN t IN (25, 1042, 1043) THEN CASE WHEN m = -1 THEN 1073741824 ELSE (m - 4) * 4 END END`,
	`CREATE MACRO pgc._pg_interval_type(t, m) AS NULL::VARCHAR`,
	// format() pieces and name handling.
	`CREATE MACRO pgc.format_s(x) AS coalesce(CAST(x AS VARCHAR), '')`,
	`CREATE MACRO pgc.quote_literal(x) AS '''' || replace(CAST(x AS VARCHAR), '''', '''''') || ''''`,
	`CREATE MACRO pgc.quote_nullable(x) AS CASE WHEN x IS NULL THEN 'NULL' ELSE '''' || replace(CAST(x AS VARCHAR), '''', '''''') || '''' END`,
	`CREATE MACRO pgc.parse_ident(s) AS list_transform(string_split(s, '.'),
		p -> CASE WHEN p LIKE '"%"' THEN replace(p[2:-2], '""', '"') ELSE lower(trim(p)) END)`,
	`CREATE MACRO pgc.relation_name(s) AS pgc.parse_ident(s)[-1]`,
	`CREATE MACRO pgc.regexp_instr(s, p) AS CASE WHEN regexp_matches(s, p) THEN strpos(s, regexp_extract(s, p)) ELSE 0 END,
		(s, p, st) AS CASE WHEN regexp_matches(substr(s, st), p) THEN st - 1 + strpos(substr(s, st), regexp_extract(substr(s, st), p)) ELSE 0 END`,
	// Statistics and server facts the gateway does not have: neutral values.
	`CREATE MACRO pgc.pg_my_temp_schema() AS 0`,
	`CREATE MACRO pgc.pg_is_other_temp_schema(x) AS false`,
	`CREATE MACRO pgc.pg_stat_get_numscans(x) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_stat_get_live_tuples(x) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_stat_get_dead_tuples(x) AS 0::BIGINT`,
	`CREATE MACRO pgc.pg_tablespace_location(x) AS ''`,
	`CREATE MACRO pgc.age(x) AS 0`,
	`CREATE MACRO pgc.inet_server_addr() AS NULL::VARCHAR`,
	`CREATE MACRO pgc.inet_server_port() AS NULL::INTEGER`,
	`CREATE MACRO pgc.inet_client_addr() AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_conf_load_time() AS TIMESTAMPTZ '2000-01-01 00:00:00+00'`,
	`CREATE MACRO pgc.pg_get_function_identity_arguments(a) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_get_ruledef(a) AS NULL::VARCHAR, (a, b) AS NULL::VARCHAR`,
	`CREATE MACRO pgc.pg_index_column_has_property(a, b, c) AS NULL::BOOLEAN`,
}
