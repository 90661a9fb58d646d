package pgcatalog

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/planner/session"
)

// The generated information_schema tables (scripts/gen-pgcatalog writes them to a
// subdirectory, apart from the pg_catalog tables loadStatic reads).
//
//go:embed static/information_schema/*.csv
var staticInfoSchema embed.FS

// staticInfoSchemaTables are the generated files loaded into schema pgis.
var staticInfoSchemaTables = []string{"sql_features", "sql_implementation_info", "sql_sizing"}

// moreCols is cols with the column types the statistics and Redshift tables need besides:
// i8 bigint, f8 double precision, ts timestamp, tz timestamptz, n numeric(38,0) and n(p,s).
func moreCols(spec string) []column {
	var out []column
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		switch {
		case typ == "i8":
			out = append(out, column{name, "BIGINT"})
		case typ == "f8":
			out = append(out, column{name, "DOUBLE"})
		case typ == "ts":
			out = append(out, column{name, "TIMESTAMP"})
		case typ == "tz":
			out = append(out, column{name, "TIMESTAMPTZ"})
		case typ == "n":
			out = append(out, column{name, "DECIMAL(38,0)"})
		case strings.HasPrefix(typ, "n("):
			out = append(out, column{name, "DECIMAL" + typ[1:]})
		default:
			out = append(out, cols(f)...)
		}
	}
	return out
}

// moreTables are the statistics, privilege and server-description tables BI tools probe,
// PostgreSQL's and the Redshift ones some tools send to any PostgreSQL-speaking server.
func moreTables(cat *catalog.Catalog) []*table {
	var out []*table
	add := func(schema, name, spec string, rows ...[]any) *table {
		t := &table{schema: schema, name: name, cols: moreCols(spec), rows: rows}
		out = append(out, t)
		return t
	}

	// Statistics: one row per dataset, every counter zero (the gateway keeps no storage).
	statSpec := `relid:i schemaname relname seq_scan:i8 seq_tup_read:i8 idx_scan:i8 idx_tup_fetch:i8 n_tup_ins:i8
		n_tup_upd:i8 n_tup_del:i8 n_tup_hot_upd:i8 n_live_tup:i8 n_dead_tup:i8 n_mod_since_analyze:i8
		n_ins_since_vacuum:i8 last_vacuum:tz last_autovacuum:tz last_analyze:tz last_autoanalyze:tz vacuum_count:i8
		autovacuum_count:i8 analyze_count:i8 autoanalyze_count:i8 dataset_id`
	statioSpec := `relid:i schemaname relname heap_blks_read:i8 heap_blks_hit:i8 idx_blks_read:i8 idx_blks_hit:i8
		toast_blks_read:i8 toast_blks_hit:i8 tidx_blks_read:i8 tidx_blks_hit:i8 dataset_id`
	statUser := add("pg_catalog", "pg_stat_user_tables", statSpec)
	statAll := add("pg_catalog", "pg_stat_all_tables", statSpec)
	statioUser := add("pg_catalog", "pg_statio_user_tables", statioSpec)
	statioAll := add("pg_catalog", "pg_statio_all_tables", statioSpec)

	// Privileges: the gateway answers SELECT only; the session user owns every dataset.
	grantSpec := `grantor grantee table_catalog table_schema table_name privilege_type is_grantable with_hierarchy dataset_id`
	colGrantSpec := `grantor grantee table_catalog table_schema table_name column_name privilege_type is_grantable dataset_id`
	var grants []*table
	for _, name := range []string{"role_table_grants", "table_privileges"} {
		grants = append(grants, add("information_schema", name, grantSpec))
	}
	var colGrants []*table
	for _, name := range []string{"role_column_grants", "column_privileges"} {
		colGrants = append(colGrants, add("information_schema", name, colGrantSpec))
	}
	for _, t := range append(grants, colGrants...) {
		t.scoped = true
		t.usCols = []string{"grantor", "grantee"}
		t.dbCols = []string{"table_catalog"}
	}

	// Redshift's catalog views, as Metabase, QuickSight, ThoughtSpot and Monte Carlo read them.
	svvTables := add("pg_catalog", "svv_tables", `table_catalog table_schema table_name table_type remarks dataset_id`)
	svvColumns := add("pg_catalog", "svv_columns", `table_catalog table_schema table_name column_name ordinal_position:i
		column_default is_nullable data_type character_maximum_length:i numeric_precision:i numeric_precision_radix:i
		numeric_scale:i datetime_precision:i interval_type interval_precision character_set_catalog character_set_schema
		character_set_name collation_catalog collation_schema collation_name domain_name remarks dataset_id`)
	svvTableInfo := add("pg_catalog", "svv_table_info", `database schema table_id:i table encoded diststyle sortkey1
		max_varchar:i sortkey1_enc sortkey_num:i size:i8 pct_used:n(10,4) empty:i8 unsorted:n(5,2) stats_off:n(5,2)
		tbl_rows:n skew_sortkey1:n(19,2) skew_rows:n(19,2) estimated_visible_rows:n risk_event
		vacuum_sort_benefit:n(12,2) create_time:ts dataset_id`)
	svvTables.dbCols = []string{"table_catalog"}
	svvColumns.dbCols = []string{"table_catalog"}
	svvTableInfo.dbCols = []string{"database"}

	for _, t := range []*table{statUser, statAll, statioUser, statioAll, svvTables, svvColumns, svvTableInfo} {
		t.scoped = true
	}

	keys := keysOf(cat, firstDatasetOID+len(cat.Datasets))
	for i, ds := range cat.Datasets {
		oid := firstDatasetOID + i
		var zero int64
		stat := []any{oid, "public", ds.ID, zero, zero, nil, nil, zero, zero, zero, zero, zero, zero, zero, zero,
			nil, nil, nil, nil, zero, zero, zero, zero, ds.ID}
		statUser.rows = append(statUser.rows, stat)
		statAll.rows = append(statAll.rows, stat)
		statio := []any{oid, "public", ds.ID, zero, zero, nil, nil, nil, nil, nil, nil, ds.ID}
		statioUser.rows = append(statioUser.rows, statio)
		statioAll.rows = append(statioAll.rows, statio)

		for _, t := range grants {
			t.rows = append(t.rows, []any{nil, nil, nil, "public", ds.ID, "SELECT", "NO", "YES", ds.ID})
		}
		remarks := firstNonEmpty(ds.Description, ds.Name)
		svvTables.rows = append(svvTables.rows, []any{nil, "public", ds.ID, "BASE TABLE", nullIfEmpty(remarks), ds.ID})
		svvTableInfo.rows = append(svvTableInfo.rows, []any{nil, "public", oid, ds.ID, "N", "EVEN", nil, 0, nil, 0,
			zero, 0, zero, nil, 0, 0, nil, nil, 0, nil, nil, nil, ds.ID})
		notes := columnNotes(ds)
		notNull := keys.notNull(ds)
		for j, c := range planner.DatasetColumns(ds) {
			for _, t := range colGrants {
				t.rows = append(t.rows, []any{nil, nil, nil, "public", ds.ID, c.Name, "SELECT", "NO", ds.ID})
			}
			ti := typeInfo(c.Type)
			svvColumns.rows = append(svvColumns.rows, []any{nil, "public", ds.ID, c.Name, j + 1, nil, yesNo(!notNull[j+1]), ti.dataType,
				nil, ti.precision, ti.radix, ti.scl, ti.datetime, nil, nil, nil, nil, nil, nil, nil, nil, nil,
				nullIfEmpty(notes[c.Name]), ds.ID})
		}
	}

	// The session's database, as pg_stat_database shows it; the name is the session's.
	stat := add("pg_catalog", "pg_stat_database", `datid:i datname numbackends:i xact_commit:i8 xact_rollback:i8
		blks_read:i8 blks_hit:i8 tup_returned:i8 tup_fetched:i8 tup_inserted:i8 tup_updated:i8 tup_deleted:i8
		conflicts:i8 temp_files:i8 temp_bytes:i8 deadlocks:i8 checksum_failures:i8 checksum_last_failure:tz
		blk_read_time:f8 blk_write_time:f8 session_time:f8 active_time:f8 idle_in_transaction_time:f8 sessions:i8
		sessions_abandoned:i8 sessions_fatal:i8 sessions_killed:i8 stats_reset:tz`,
		[]any{databaseOID, nil, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, nil, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, nil})
	stat.dbCols = []string{"datname"}

	enabled := add("information_schema", "enabled_roles", `role_name`, []any{nil})
	enabled.usCols = []string{"role_name"}
	charsets := add("information_schema", "character_sets", `character_set_catalog character_set_schema
		character_set_name character_repertoire form_of_use default_collate_catalog default_collate_schema
		default_collate_name`, []any{nil, nil, "UTF8", "UCS", "UTF8", nil, nil, nil})
	charsets.dbCols = []string{"default_collate_catalog"}
	collations := add("information_schema", "collations", `collation_catalog collation_schema collation_name pad_attribute`)
	for _, name := range []string{"default", "C", "POSIX", "ucs_basic"} {
		collations.rows = append(collations.rows, []any{nil, "pg_catalog", name, "NO PAD"})
	}
	collations.dbCols = []string{"collation_catalog"}

	// A single node with a single slice: QuickSight divides by the node count.
	add("pg_catalog", "stv_slices", `node:i slice:i localslice:i type`, []any{0, 0, 0, "D"})

	// Tables that are empty here: activity, replication and locks of a server the gateway is
	// not, objects (operators, foreign servers, triggers, sequences, ...) the gateway has none of.
	for _, e := range []struct{ schema, name, spec string }{
		{"pg_catalog", "pg_stat_activity", `datid:i datname pid:i leader_pid:i usesysid:i usename application_name
			client_addr client_hostname client_port:i backend_start:tz xact_start:tz query_start:tz state_change:tz
			wait_event_type wait_event state backend_xid:i8 backend_xmin:i8 query_id:i8 query backend_type`},
		{"pg_catalog", "pg_stat_ssl", `pid:i ssl:b version cipher bits:i client_dn client_serial:n issuer_dn`},
		{"pg_catalog", "pg_locks", `locktype database:i relation:i page:i tuple:s virtualxid transactionid:i8 classid:i
			objid:i objsubid:s virtualtransaction pid:i mode granted:b fastpath:b waitstart:tz`},
		// PostgreSQL's pg_replication_slots has an xmin column between active_pid and catalog_xmin;
		// here the system column xmin New adds to every pg_catalog table stands in for it.
		{"pg_catalog", "pg_replication_slots", `slot_name plugin slot_type datoid:i database temporary:b active:b
			active_pid:i catalog_xmin:i8 restart_lsn confirmed_flush_lsn wal_status safe_wal_size:i8 two_phase:b`},
		{"pg_catalog", "pg_stat_replication", `pid:i usesysid:i usename application_name client_addr client_hostname
			client_port:i backend_start:tz backend_xmin:i8 state sent_lsn write_lsn flush_lsn replay_lsn write_lag
			flush_lag replay_lag sync_priority:i sync_state reply_time:tz`},
		{"pg_catalog", "pg_prepared_xacts", `transaction:i8 gid prepared:tz owner database`},
		{"pg_catalog", "pg_event_trigger", `oid:i evtname evtevent evtowner:i evtfoid:i evtenabled evttags:l`},
		{"pg_catalog", "pg_operator", `oid:i oprname oprnamespace:i oprowner:i oprkind oprcanmerge:b oprcanhash:b
			oprleft:i oprright:i oprresult:i oprcom:i oprnegate:i oprcode oprrest oprjoin`},
		{"pg_catalog", "pg_opclass", `oid:i opcmethod:i opcname opcnamespace:i opcowner:i opcfamily:i opcintype:i
			opcdefault:b opckeytype:i`},
		{"pg_catalog", "pg_foreign_server", `oid:i srvname srvowner:i srvfdw:i srvtype srvversion srvacl:l srvoptions:l`},
		{"pg_catalog", "pg_foreign_data_wrapper", `oid:i fdwname fdwowner:i fdwhandler:i fdwvalidator:i fdwacl:l fdwoptions:l`},
		{"pg_catalog", "pg_user_mapping", `oid:i umuser:i umserver:i umoptions:l`},
		{"pg_catalog", "pg_shdepend", `dbid:i classid:i objid:i objsubid:i refclassid:i refobjid:i deptype`},
		{"pg_catalog", "pg_seclabel", `objoid:i classoid:i objsubid:i provider label`},
		{"pg_catalog", "pg_shseclabel", `objoid:i classoid:i provider label`},
		{"pg_catalog", "pg_init_privs", `objoid:i classoid:i objsubid:i privtype initprivs:l`},
		{"pg_catalog", "pg_default_acl", `oid:i defaclrole:i defaclnamespace:i defaclobjtype defaclacl:l`},
		{"information_schema", "check_constraints", `constraint_catalog constraint_schema constraint_name check_clause`},
		{"information_schema", "triggers", `trigger_catalog trigger_schema trigger_name event_manipulation
			event_object_catalog event_object_schema event_object_table action_order:i action_condition action_statement
			action_orientation action_timing action_reference_old_table action_reference_new_table
			action_reference_old_row action_reference_new_row created:tz`},
		{"information_schema", "sequences", `sequence_catalog sequence_schema sequence_name data_type numeric_precision:i
			numeric_precision_radix:i numeric_scale:i start_value minimum_value maximum_value increment cycle_option`},
		{"information_schema", "domains", `domain_catalog domain_schema domain_name data_type character_maximum_length:i
			character_octet_length:i character_set_catalog character_set_schema character_set_name collation_catalog
			collation_schema collation_name numeric_precision:i numeric_precision_radix:i numeric_scale:i
			datetime_precision:i interval_type interval_precision:i domain_default udt_catalog udt_schema udt_name
			scope_catalog scope_schema scope_name maximum_cardinality:i dtd_identifier`},
		{"information_schema", "element_types", `object_catalog object_schema object_name object_type
			collection_type_identifier data_type character_maximum_length:i character_octet_length:i
			character_set_catalog character_set_schema character_set_name collation_catalog collation_schema
			collation_name numeric_precision:i numeric_precision_radix:i numeric_scale:i datetime_precision:i
			interval_type interval_precision:i domain_default udt_catalog udt_schema udt_name scope_catalog scope_schema
			scope_name maximum_cardinality:i dtd_identifier`},
		{"information_schema", "parameters", `specific_catalog specific_schema specific_name ordinal_position:i
			parameter_mode is_result as_locator parameter_name data_type character_maximum_length:i
			character_octet_length:i character_set_catalog character_set_schema character_set_name collation_catalog
			collation_schema collation_name numeric_precision:i numeric_precision_radix:i numeric_scale:i
			datetime_precision:i interval_type interval_precision:i udt_catalog udt_schema udt_name scope_catalog
			scope_schema scope_name maximum_cardinality:i dtd_identifier parameter_default`},
		{"information_schema", "applicable_roles", `grantee role_name is_grantable`},
		// Redshift: external (Spectrum) schemas and the query and DDL logs.
		{"pg_catalog", "svv_external_schemas", `esoid:i eskind:s schemaname esowner:i databasename esoptions`},
		{"pg_catalog", "pg_external_schema", `esoid:i eskind:i esdbname esoptions`},
		{"pg_catalog", "stl_query", `userid:i query:i label xid:i8 pid:i database querytxt starttime:ts endtime:ts
			aborted:i insert_pristine:i concurrency_scaling_status:i`},
		{"pg_catalog", "stl_querytext", `userid:i xid:i8 pid:i query:i sequence:i text`},
		{"pg_catalog", "stl_ddltext", `userid:i xid:i8 pid:i label starttime:ts endtime:ts sequence:i text`},
	} {
		add(e.schema, e.name, e.spec)
	}

	static, err := loadStaticInfoSchema()
	if err != nil {
		// The files are embedded at build time; a broken one is a build defect.
		panic(err)
	}
	return append(out, static...)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// loadStaticInfoSchema reads the generated information_schema files. The DBMS VERSION the
// generating server recorded is replaced by the version the gateway speaks as.
func loadStaticInfoSchema() ([]*table, error) {
	var out []*table
	for _, name := range staticInfoSchemaTables {
		t, err := readStaticCSV(staticInfoSchema, "static/information_schema/"+name+".csv", "information_schema", name)
		if err != nil {
			return nil, err
		}
		if name == "sql_implementation_info" {
			for _, row := range t.rows {
				if row[0] == "18" {
					row[3] = dbmsVersion(session.ServerVersion)
				}
			}
		}
		out = append(out, t)
	}
	return out, nil
}

// dbmsVersion is how initdb records the server version in sql_implementation_info: "15.08.0000".
func dbmsVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	n := [3]int{}
	for i, p := range parts {
		n[i], _ = strconv.Atoi(p)
	}
	return fmt.Sprintf("%02d.%02d.%04d", n[0], n[1], n[2])
}

// readStaticCSV reads one generated file: a header of "column:type" names, then rows with \N
// for NULL.
func readStaticCSV(fsys fs.FS, path, schema, name string) (*table, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("pgcatalog static %s: %w", path, err)
	}
	t := &table{schema: schema, name: name}
	for _, h := range header {
		n, typ, _ := strings.Cut(h, ":")
		dt, ok := duckTypes[typ]
		if !ok {
			return nil, fmt.Errorf("pgcatalog static %s: column %s has unknown type %q", path, n, typ)
		}
		t.cols = append(t.cols, column{n, dt})
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("pgcatalog static %s: %w", path, err)
		}
		row := make([]any, len(rec))
		for i, v := range rec {
			if v != `\N` {
				row[i] = v
			}
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}
