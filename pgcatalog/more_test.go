package pgcatalog

import (
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
)

// moreColumns are the columns of the added tables as PostgreSQL 15 (and, for the svv_, stv_,
// stl_ and pg_external_ tables, Redshift's documentation) lists them.
var moreColumns = map[string]string{
	"pg_stat_user_tables": `relid schemaname relname seq_scan seq_tup_read idx_scan idx_tup_fetch n_tup_ins n_tup_upd
		n_tup_del n_tup_hot_upd n_live_tup n_dead_tup n_mod_since_analyze n_ins_since_vacuum last_vacuum last_autovacuum
		last_analyze last_autoanalyze vacuum_count autovacuum_count analyze_count autoanalyze_count`,
	"pg_statio_user_tables": `relid schemaname relname heap_blks_read heap_blks_hit idx_blks_read idx_blks_hit
		toast_blks_read toast_blks_hit tidx_blks_read tidx_blks_hit`,
	"pg_stat_activity": `datid datname pid leader_pid usesysid usename application_name client_addr client_hostname
		client_port backend_start xact_start query_start state_change wait_event_type wait_event state backend_xid
		backend_xmin query_id query backend_type`,
	"pg_stat_ssl": `pid ssl version cipher bits client_dn client_serial issuer_dn`,
	"pg_locks":    `locktype database relation page tuple virtualxid transactionid classid objid objsubid virtualtransaction pid mode granted fastpath waitstart`,
	"pg_language": `oid lanname lanowner lanispl lanpltrusted lanplcallfoid laninline lanvalidator lanacl`,
	"pg_cast":     `oid castsource casttarget castfunc castcontext castmethod`,
	"pg_operator": `oid oprname oprnamespace oprowner oprkind oprcanmerge oprcanhash oprleft oprright oprresult oprcom oprnegate oprcode oprrest oprjoin`,
	"pg_shdepend": `dbid classid objid objsubid refclassid refobjid deptype`,
	"pg_stat_database": `datid datname numbackends xact_commit xact_rollback blks_read blks_hit tup_returned tup_fetched
		tup_inserted tup_updated tup_deleted conflicts temp_files temp_bytes deadlocks checksum_failures
		checksum_last_failure blk_read_time blk_write_time session_time active_time idle_in_transaction_time sessions
		sessions_abandoned sessions_fatal sessions_killed stats_reset`,
	"pg_get_keywords":                            `word catcode barelabel catdesc baredesc`,
	"pg_timezone_names":                          `name abbrev utc_offset is_dst`,
	"pg_timezone_abbrevs":                        `abbrev utc_offset is_dst`,
	"information_schema.role_table_grants":       `grantor grantee table_catalog table_schema table_name privilege_type is_grantable with_hierarchy`,
	"information_schema.column_privileges":       `grantor grantee table_catalog table_schema table_name column_name privilege_type is_grantable`,
	"information_schema.sql_implementation_info": `implementation_info_id implementation_info_name integer_value character_value comments`,
	"information_schema.sql_sizing":              `sizing_id sizing_name supported_value comments`,
	"information_schema.sql_features":            `feature_id feature_name sub_feature_id sub_feature_name is_supported is_verified_by comments`,
	"information_schema.character_sets": `character_set_catalog character_set_schema character_set_name
		character_repertoire form_of_use default_collate_catalog default_collate_schema default_collate_name`,
	"information_schema.triggers": `trigger_catalog trigger_schema trigger_name event_manipulation event_object_catalog
		event_object_schema event_object_table action_order action_condition action_statement action_orientation
		action_timing action_reference_old_table action_reference_new_table action_reference_old_row
		action_reference_new_row created`,
	"svv_table_info": `database schema table_id table encoded diststyle sortkey1 max_varchar sortkey1_enc sortkey_num
		size pct_used empty unsorted stats_off tbl_rows skew_sortkey1 skew_rows estimated_visible_rows risk_event
		vacuum_sort_benefit create_time`,
	"svv_tables":           `table_catalog table_schema table_name table_type remarks`,
	"svv_external_schemas": `esoid eskind schemaname esowner databasename esoptions`,
	"pg_external_schema":   `esoid eskind esdbname esoptions`,
	"stv_slices":           `node slice localslice type`,
	"stl_query":            `userid query label xid pid database querytxt starttime endtime aborted insert_pristine concurrency_scaling_status`,
	"stl_querytext":        `userid xid pid query sequence text`,
	"stl_ddltext":          `userid xid pid label starttime endtime sequence text`,
}

func TestMoreTablesColumns(t *testing.T) {
	f := newFixture(t)
	for name, want := range moreColumns {
		_, plan, err := f.query(tenantA, "SELECT * FROM "+name+" LIMIT 0")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for _, c := range plan.Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("%s columns:\n got %s\nwant %s", name, strings.Join(got, " "), strings.Join(strings.Fields(want), " "))
		}
	}
}

// The per-dataset rows follow the key's scope like pg_class does.
func TestMoreTablesScope(t *testing.T) {
	f := newFixture(t)
	queries := []string{
		"SELECT relname FROM pg_stat_user_tables",
		"SELECT relname FROM pg_catalog.pg_stat_all_tables",
		"SELECT relname FROM pg_statio_user_tables",
		"SELECT table_name FROM information_schema.role_table_grants",
		"SELECT table_name FROM information_schema.table_privileges",
		"SELECT column_name FROM information_schema.role_column_grants",
		"SELECT column_name FROM information_schema.column_privileges",
		"SELECT table_name FROM svv_tables",
		"SELECT column_name FROM svv_columns",
		`SELECT "table" FROM svv_table_info`,
	}
	hidden := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"returns"}}
	shown := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"orders"}}
	for _, q := range queries {
		if got, _, err := f.query(hidden, q); err != nil || len(got) != 0 {
			t.Errorf("out-of-scope key: %s returned %q, %v", q, got, err)
		}
		if got, _, err := f.query(shown, q); err != nil || len(got) == 0 {
			t.Errorf("in-scope key: %s returned %q, %v", q, got, err)
		}
	}
}

// Probes as BI tools send them (the shared corpus), over the fixture's orders dataset.
func TestMoreTablesProbes(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ sql, want string }{
		// Metabase: the estimated row count of each table.
		{`SELECT "c"."relname" AS "name", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c"
			INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid"
			LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname")
			WHERE "n"."nspname" IN ('public') AND c.relkind IN ('r', 'p', 'v', 'f', 'm')`, "orders|0\ncustomers|0"},
		{"SELECT relid, schemaname, heap_blks_read FROM pg_catalog.pg_statio_user_tables ORDER BY relid ASC", "16384|public|0\n16385|public|0"},
		// Observable: the privileges of the session user.
		{`SELECT DISTINCT privilege_type FROM information_schema.role_table_grants WHERE grantee = user
			UNION SELECT DISTINCT privilege_type FROM information_schema.role_column_grants WHERE grantee = user`, "SELECT"},
		{"SELECT grantor, grantee, table_catalog, table_name, is_grantable, with_hierarchy FROM information_schema.table_privileges",
			"demo|demo|setupranali|orders|NO|YES\ndemo|demo|setupranali|customers|NO|YES"},
		{"SELECT count(*) FROM information_schema.column_privileges WHERE table_name = 'orders' AND grantee = 'demo'", "11"},
		// DBeaver's key word list (the lead reads FROM pg_get_keywords() as this table).
		{"SELECT count(*) FROM pg_catalog.pg_get_keywords WHERE word IN ('select', 'abort') AND catcode IN ('R', 'U')", "2"},
		// DataGrip's time zone list.
		{`SELECT count(*) > 100 FROM (SELECT name, is_dst FROM pg_catalog.pg_timezone_names
			UNION DISTINCT SELECT abbrev AS name, is_dst FROM pg_catalog.pg_timezone_abbrevs) z`, "true"},
		{"SELECT utc_offset FROM pg_timezone_names WHERE name = 'Asia/Kolkata'", "05:30:00"},
		// QuickSight: DBMS name and version, sizing.
		{"SELECT character_value FROM INFORMATION_SCHEMA.SQL_IMPLEMENTATION_INFO WHERE implementation_info_id IN ('17','18') ORDER BY implementation_info_id",
			"PostgreSQL\n15.08.0000"},
		{"SELECT supported_value FROM INFORMATION_SCHEMA.SQL_SIZING WHERE sizing_id = 34 or sizing_id = 30", "63\n63"},
		{"SELECT count(*) > 400 FROM information_schema.sql_features WHERE is_supported = 'YES'", "true"},
		{`with nodes as (select count(distinct node) as node_count from STV_SLICES)
			select case when diststyle = 'ALL' then size/cast(nodes.node_count as float) else size end as sizeMBs
			from SVV_TABLE_INFO join nodes on 1=1 where "table" = 'orders' and "schema" = 'public'`, "0"},
		{"select nspname from pg_external_schema pe join pg_namespace pn on pe.esoid = pn.oid where nspowner != 1 and nspname = 'public'", ""},
		// Monte Carlo.
		{`SELECT "database", "table", "table_id", "schema", "size", CAST("tbl_rows" AS bigint), CAST("estimated_visible_rows" AS bigint) FROM svv_table_info
			WHERE ("database" = 'setupranali' AND "schema" = 'public' AND "table" = 'orders') ORDER BY "table_id"`,
			"setupranali|orders|16384|public|0|0|0"},
		{`SELECT stl_query.query, stl_querytext.sequence, stl_querytext.text, stl_query.database, pg_user.usename
			FROM stl_query INNER JOIN pg_user ON stl_query.userid = pg_user.usesysid INNER JOIN stl_querytext USING (query)
			WHERE endtime >= '2022-11-15 16:18:47.814515' AND stl_querytext.userid > 1 ORDER BY 1, 2`, ""},
		{"SELECT * FROM stl_ddltext ORDER BY xid ASC, sequence ASC", ""},
		// ThoughtSpot and Metabase on Redshift.
		{"select 1 from svv_external_schemas where schemaname like 'public'", ""},
		{"SELECT table_catalog, table_schema, table_name, table_type, remarks FROM svv_tables ORDER BY table_name DESC",
			"setupranali|public|orders|BASE TABLE|Customer orders, one row per order.\nsetupranali|public|customers|BASE TABLE|The customers who place orders, one row per customer."},
		{"SELECT column_name, ordinal_position, data_type FROM svv_columns WHERE table_name = 'orders' AND ordinal_position = 2",
			"order_date|2|date"},
		// Server views that are empty or describe the session.
		{"SELECT count(*) FROM pg_replication_slots", "0"},
		{"SELECT ssl FROM pg_stat_ssl WHERE pid = 1", ""},
		{"SELECT count(*) FROM pg_catalog.pg_stat_activity", "0"},
		{"SELECT datid, datname, numbackends FROM pg_stat_database", "16383|setupranali|1"},
		{"SELECT role_name FROM information_schema.enabled_roles", "demo"},
		{"SELECT character_set_name, default_collate_catalog FROM information_schema.character_sets", "UTF8|setupranali"},
		{"SELECT lanname FROM pg_language ORDER BY oid", "internal\nc\nsql\nplpgsql"},
		{"SELECT count(*) > 100 FROM pg_cast WHERE castcontext = 'i'", "true"},
	}
	for _, c := range cases {
		got, _, err := f.query(tenantA, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if strings.Join(got, "\n") != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, strings.Join(got, "\n"), c.want)
		}
	}
}
