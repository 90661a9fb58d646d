package catalog

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type badFixture struct {
	file string
	want []string
}

// badFixtures pairs each file under testdata/bad with every problem it must report, as
// "line: message", in the order reported. Each file breaks one family of rules several ways, so
// these also show that problems are collected rather than stopping at the first.
var badFixtures = []badFixture{
	{
		file: "semantic",
		want: []string{
			"9: dimension \"city_upper\": field \"cty\" is not a field of dataset \"orders\"",
			"10: dimension \"bucket\": missing required key \"type\"",
			"11: dimension \"both\": give either \"field\" or \"sql\", not both",
			"12: dimension \"typed\": \"type\" goes with \"sql\"; a field's dimension has its field's type",
			"13: dimension \"smuggled\": invalid SQL expression \"city FROM orders\": one expression expected",
			"16: metric \"paid\" expression: field \"stat\" is not a field of dataset \"orders\"",
			"18: metric \"ratio\" expression: \"nosuch\" is not a metric of dataset \"orders\"",
			"20: metric \"ratio2\" expression: \"agg\" does not apply to a derived metric",
			"20: metric \"ratio2\" expression: \"ratio\" is itself derived; a derived metric combines aggregation metrics",
			"22: metric \"stray\" expression: \"sql\" belongs to derived metrics (type: derived)",
			"24: metric \"none\" expression: a derived metric must use at least one metric",
		},
	},
	{
		file: "syntax",
		want: []string{
			"3: YAML syntax error: did not find expected ',' or '}'",
		},
	},
	{
		file: "empty",
		want: []string{
			"0: the file is empty: it needs a top-level \"datasets\" key",
		},
	},
	{
		file: "comment_only",
		want: []string{
			"0: the file is empty: it needs a top-level \"datasets\" key",
		},
	},
	{
		file: "multidoc",
		want: []string{
			"5: only one YAML document is allowed, found another",
		},
	},
	{
		file: "multidoc_syntax",
		want: []string{
			"3: YAML syntax error: did not find expected node content",
		},
	},
	{
		file: "unknown_anchor",
		want: []string{
			"0: YAML syntax error: unknown anchor 'missing' referenced",
		},
	},
	{
		file: "root_list",
		want: []string{
			"1: the file must be a mapping with a \"datasets\" key, got a list",
		},
	},
	{
		file: "top_level",
		want: []string{
			"1: catalog: unknown key \"version\" (known keys: datasets)",
			"2: catalog: \"datasets\" must be a list or a mapping of datasets, got \"orders\"",
			"3: catalog: unknown key \"datasources\" (known keys: datasets)",
		},
	},
	{
		file: "no_datasets",
		want: []string{
			"2: catalog: unknown key \"dataset\" (known keys: datasets)",
			"2: catalog: missing required key \"datasets\"",
		},
	},
	{
		file: "unknown_keys",
		want: []string{
			"3: dataset \"orders\": unknown key \"title\" (known keys: id, name, description, tags, defaultTimezone, source, fields, dimensions, metrics, rls, incremental, cache, primaryKey, joins)",
			"6: dataset \"orders\" source: unknown key \"schema\" (known keys: engine, type, reference, sourceId)",
			"10: field \"city\": unknown key \"nullable\" (known keys: name, type, semanticType)",
			"15: dimension \"city\": unknown key \"lable\" (known keys: name, field, sql, type, label, description)",
			"21: metric \"total_revenue\" expression: unknown key \"where\" (known keys: type, agg, field, filter, sql)",
			"22: metric \"total_revenue\": unknown key \"unit\" (known keys: name, label, description, expression, returnType, format)",
			"25: dataset \"orders\" rls: unknown key \"tenantColumn\" (known keys: enabled, column, mode, allowAdminBypass)",
			"28: dataset \"orders\" incremental: unknown key \"window\" (known keys: enabled, column, type, mode, maxWindowDays)",
			"29: dataset \"orders\" cache: unknown key \"ttl\" (known keys: ttlSeconds)",
			"29: dataset \"orders\" cache: missing required key \"ttlSeconds\"",
		},
	},
	{
		file: "cache",
		want: []string{
			"9: dataset \"negative\" cache: \"ttlSeconds\" must be between 0 (never cache) and 86400, got -1",
			"15: dataset \"words\" cache: \"ttlSeconds\" must be a whole number, got \"sixty\"",
			"21: dataset \"huge\" cache: \"ttlSeconds\" must be between 0 (never cache) and 86400, got 90000",
			"26: dataset \"list\": \"cache\" must be a mapping, got a list",
		},
	},
	{
		file: "merge",
		want: []string{
			"1: catalog: unknown key \"defaults\" (known keys: datasets)",
			"4: dataset \"orders\": missing required key \"source\"",
			"5: dataset \"orders\": merge keys (<<) are not supported",
		},
	},
	{
		file: "kinds",
		want: []string{
			"3: dataset \"orders\": \"name\" must be a string, got a list",
			"4: dataset \"orders\": \"tags\" must be a list, got \"demo\"",
			"5: dataset \"orders\": \"source\" must be a mapping, got \"orders\"",
			"7: dataset \"orders\": \"fields\" must be a list, got a mapping",
			"9: dataset \"orders\": item 1 of \"dimensions\" must be a mapping, got \"city\"",
			"10: dataset \"orders\": \"metrics\" must be a list, got a mapping",
			"11: dataset \"orders\": \"rls\" must be a mapping, got \"true\"",
			"12: catalog: item 2 of \"datasets\" must be a mapping, got \"customers\"",
			"14: dataset \"events\": \"description\" must be a string, got a mapping",
			"15: dataset \"events\": item 2 of \"tags\" must be a string, got a mapping",
			"15: dataset \"events\": item 3 of \"tags\" must be a string, got null",
			"16: dataset \"events\" source: \"sourceId\" must be a string, got a list",
			"18: field \"ts\": \"type\" must be a string, got a list",
			"21: metric \"events\": \"expression\" must be a mapping, got \"count\"",
			"22: dataset \"events\" rls: \"enabled\" must be true or false, got \"yes\"",
			"22: dataset \"events\" rls: \"allowAdminBypass\" must be true or false, got \"1\"",
			"23: dataset \"events\" incremental: \"enabled\" must be true or false, got \"on\"",
			"23: dataset \"events\" incremental: \"maxWindowDays\" must be a whole number, got \"ninety\"",
			"26: dataset \"misc\": item 1 of \"fields\" must be a mapping, got \"ts\"",
			"27: dataset \"misc\": item 1 of \"metrics\" must be a mapping, got \"count\"",
			"28: dataset \"misc\": keys must be plain names, got a list",
		},
	},
	{
		file: "empty_names",
		want: []string{
			"2: dataset #1: \"id\" must not be empty",
			"4: dataset #2: missing required key \"id\"",
			"7: dataset \"orders\" source: \"reference\" must not be empty",
			"9: field #1: \"name\" must not be empty",
			"10: field #2: missing required key \"name\"",
			"11: field \"city\": missing required key \"type\"",
			"12: field \"revenue\": missing required key \"type\"",
			"14: dimension #1: missing required key \"name\"",
			"15: dimension #2: \"name\" must not be empty",
			"17: metric #1: \"name\" must not be empty",
			"18: dataset \"events\": missing required key \"source\"",
			"20: dataset \"visits\" source: missing required key \"reference\"",
			"22: metric \"visits\": missing required key \"expression\"",
			"23: metric \"pages\" expression: missing required key \"agg\"",
			"23: metric \"pages\" expression: field \"pages\" is not a field of dataset \"visits\"",
		},
	},
	{
		file: "duplicates",
		want: []string{
			"7: dataset \"orders\": duplicate field \"city\" (first defined on line 5)",
			"11: dimension \"city\": column name \"city\" is already taken by the dimension on line 9 (dimensions and metrics share one namespace)",
			"13: metric \"revenue_dim\": column name \"revenue_dim\" is already taken by the dimension on line 10 (dimensions and metrics share one namespace)",
			"16: metric \"total\": duplicate key \"label\" (first on line 15)",
			"20: duplicate dataset id \"orders\" (first defined on line 2)",
			"22: dataset \"orders\": duplicate key \"source\" (first on line 21)",
		},
	},
	{
		file: "references",
		want: []string{
			"8: dimension \"city\": field \"cty\" is not a field of dataset \"orders\"",
			"9: dimension \"country\": field \"country\" is not a field of dataset \"orders\" (a dimension without \"field\" uses its name)",
			"11: metric \"total\" expression: field \"revnue\" is not a field of dataset \"orders\"",
			"12: metric \"buyers\" expression: field \"customer_id\" is not a field of dataset \"orders\"",
			"13: dataset \"orders\" rls: column \"tenant_id\" is not a field of dataset \"orders\"",
			"14: dataset \"orders\" incremental: column \"order_date\" is not a field of dataset \"orders\"",
		},
	},
	{
		file: "values",
		want: []string{
			"3: dataset \"orders\": unknown defaultTimezone \"Mars/Olympus_Mons\" (want an IANA zone name such as \"UTC\" or \"Europe/Berlin\")",
			"4: dataset \"orders\" source: unknown engine \"oracle\" (supported: duckdb, postgres, mysql, clickhouse)",
			"4: dataset \"orders\" source: unknown type \"view\" (supported: table)",
			"4: dataset \"orders\" source: reference \"sales..orders\" is not a table name (want table, schema.table or catalog.schema.table)",
			"6: field \"city\": unknown semanticType \"category\" (supported: dimension, metric, time, identifier, measure, attribute)",
			"7: field \"revenue\": unknown type \"money\" (supported: string, int32, int64, double, decimal, boolean, date, timestamp, timestamptz)",
			"11: metric \"median_amount\" expression: unknown agg \"median\" (supported: sum, avg, min, max, count, count_distinct, stddev, variance)",
			"12: metric \"total\" expression: unknown type \"formula\" (supported: aggregation, derived)",
			"12: metric \"total\": unknown returnType \"bignum\" (supported: string, int32, int64, double, decimal, boolean, date, timestamp, timestamptz)",
			"13: metric \"city_sum\": cannot sum field \"city\" of type string",
			"14: metric \"avg_date\": cannot average field \"order_date\" of type date",
			"15: metric \"cities\" expression: \"field\" is required for agg count_distinct",
			"16: metric \"total_amount\" expression: \"field\" is required for agg sum",
			"17: dataset \"orders\" rls: unknown mode \"not_in\" (supported: equals, in_list)",
			"17: dataset \"orders\" rls: \"column\" is required when rls is enabled",
			"18: dataset \"orders\" incremental: \"column\" is required when incremental is enabled",
			"18: dataset \"orders\" incremental: unknown type \"week\" (supported: string, int32, int64, double, decimal, boolean, date, timestamp, timestamptz)",
			"18: dataset \"orders\" incremental: \"maxWindowDays\" must not be negative, got -1",
			"20: dataset \"local\": unknown defaultTimezone \"Local\" (want an IANA zone name such as \"UTC\" or \"Europe/Berlin\")",
			"21: dataset \"local\" source: reference \"a.b.c.d\" is not a table name (want table, schema.table or catalog.schema.table)",
		},
	},
	{
		file: "map_form",
		want: []string{
			"3: dataset \"orders\": id \"order\" does not match its key \"orders\"",
			"5: dataset \"customers\" must be a mapping, got \"customers\"",
			"6: datasets: duplicate key \"orders\" (first on line 2)",
			"8: datasets: a dataset id must not be empty",
			"13: dataset \"visits\" must be a mapping, got null",
		},
	},
	{
		file: "many",
		want: []string{
			"11: field \"city\": unknown type \"sting\" (supported: string, int32, int64, double, decimal, boolean, date, timestamp, timestamptz)",
			"15: dimension \"city\": field \"cty\" is not a field of dataset \"orders\"",
			"20: metric \"total_revenue\" expression: unknown agg \"total\" (supported: sum, avg, min, max, count, count_distinct, stddev, variance)",
			"22: metric \"city\": column name \"city\" is already taken by the dimension on line 14 (dimensions and metrics share one namespace)",
			"25: dataset \"orders\" rls: \"enabled\" must be true or false, got \"yes\"",
			"26: dataset \"orders\" rls: unknown key \"colunm\" (known keys: enabled, column, mode, allowAdminBypass)",
		},
	},
	{
		file: "joins_form",
		want: []string{
			"4: dataset \"orders\": \"primaryKey\" must be a field name or a list of field names, got a mapping",
			"9: dataset \"orders\": item 1 of \"joins\" must be a mapping, got \"customers\"",
			"11: dataset \"orders\" join to \"customers\": unknown relationship \"many_to_many\" (supported: many_to_one, one_to_many, one_to_one)",
			"13: dataset \"orders\" join to \"customers\": unknown key \"how\" (known keys: dataset, relationship, on)",
			"14: dataset \"orders\" join #3: missing required key \"dataset\"",
			"15: dataset \"orders\" join #3: \"on\" must be a mapping, got a list",
			"16: dataset \"orders\" join to \"customers\": missing required key \"relationship\"",
			"17: dataset \"orders\" join to \"customers\": \"on\" must pair at least one field",
			"18: dataset \"orders\" join to \"customers\": missing required key \"on\" (a mapping from this dataset's fields to the target's, e.g. {customer_id: customer_id})",
			"21: dataset \"orders\" join to \"customers\": relationship many_to_one needs dataset \"customers\" to declare its primaryKey (add `primaryKey: <field>`, or a list for a composite key, to dataset \"customers\")",
			"22: dataset \"orders\" join to \"customers\" on: duplicate key \"customer_id\" (first on line 22)",
			"22: dataset \"orders\" join to \"customers\": field \"customer_id\" must be paired with a field of the target",
			"22: dataset \"orders\" join to \"customers\": field \"cust\" is not a field of dataset \"orders\"",
			"25: dataset \"customers\": \"primaryKey\" must name at least one field",
			"30: dataset \"lines\": item 4 of \"primaryKey\" must be a field name, got null",
			"30: dataset \"lines\": primaryKey field \"line\" is not a field of dataset \"lines\"",
			"30: dataset \"lines\": \"primaryKey\" names field \"order_id\" twice",
			"30: dataset \"lines\": \"primaryKey\" must not name an empty field",
			"33: dataset \"lines\": \"joins\" must be a list, got a mapping",
		},
	},
	{
		file: "joins_refs",
		want: []string{
			"11: dataset \"orders\" join to \"Customers\": relationship many_to_one needs dataset \"Customers\" to declare its primaryKey (add `primaryKey: <field>`, or a list for a composite key, to dataset \"Customers\")",
			"12: dataset \"orders\" join to \"custs\": \"custs\" is not a dataset of the catalog",
			"13: dataset \"orders\" join to \"STORES\": \"STORES\" is not a dataset of the catalog (ids are exact: did you mean \"stores\"?)",
			"15: dataset \"orders\" join to \"customers\": relationship many_to_one says a row of \"orders\" matches at most one row of \"customers\", but \"on\" does not pair every field of its primaryKey (customer_id)",
			"16: dataset \"orders\" join to \"customers\": field \"id\" is not a field of dataset \"customers\"",
			"16: dataset \"orders\" join to \"customers\": orders.placed_at is timestamp but customers.since is timestamptz; paired fields must have the same type",
			"17: dataset \"orders\" join to \"stores\": relationship many_to_one needs dataset \"stores\" to declare its primaryKey (add `primaryKey: <field>`, or a list for a composite key, to dataset \"stores\")",
			"18: dataset \"orders\" join to \"shifts\": relationship many_to_one says a row of \"orders\" matches at most one row of \"shifts\", but \"on\" does not pair every field of its primaryKey (store_id, day)",
			"19: dataset \"orders\" join to \"shipments\": relationship one_to_many says a row of \"shipments\" matches at most one row of \"orders\", but \"on\" does not pair every field of its primaryKey (order_id)",
			"47: dataset \"shipments\" join to \"profiles\": relationship one_to_one needs dataset \"profiles\" to declare its primaryKey (add `primaryKey: <field>`, or a list for a composite key, to dataset \"profiles\")",
			"49: dataset \"shipments\" join to \"shipments\": duplicate join: these fields of \"shipments\" and \"shipments\" are already joined on line 48",
			"55: dataset \"profiles\" join to \"shipments\": duplicate join: these fields of \"profiles\" and \"shipments\" are already joined from dataset \"shipments\" on line 47",
		},
	},
	{
		file: "joins_paths",
		want: []string{
			"23: dataset \"orders\" reaches dataset \"customers\" by two many-to-one paths, orders -> customers (line 20) and orders -> customers (line 23), so which one a query means is ambiguous; remove one of the joins, or declare a second dataset over the same table for the other role",
			"45: dataset \"orders\" reaches dataset \"regions\" by two many-to-one paths, orders -> customers (line 20) -> regions (line 31) and orders -> stores (line 21) -> regions (line 45), so which one a query means is ambiguous; remove one of the joins, or declare a second dataset over the same table for the other role",
			"54: dataset \"regions\" reaches dataset \"region_facts\" by two many-to-one paths, regions -> region_facts (line 46) and regions -> region_notes (line 47) -> region_facts (line 54), so which one a query means is ambiguous; remove one of the joins, or declare a second dataset over the same table for the other role",
		},
	},
}

func TestLoadBad(t *testing.T) {
	for _, tc := range badFixtures {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file+".yaml")
			c, err := LoadFile(path)
			if c != nil {
				t.Errorf("LoadFile returned a catalog along with the error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("LoadFile(%s) error = %v, want a *ValidationError", path, err)
			}
			var got []string
			for _, p := range ve.Problems {
				if p.File != path {
					t.Errorf("problem %q has File %q, want %q", p.Message, p.File, path)
				}
				got = append(got, fmt.Sprintf("%d: %s", p.Line, p.Message))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems of %s:\ngot:\n\t%s\nwant:\n\t%s", path, strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
		})
	}
}

// TestBadFixturesListed keeps the table and the directory in step: a fixture without
// expectations would silently test nothing.
func TestBadFixturesListed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if !slices.ContainsFunc(badFixtures, func(b badFixture) bool { return b.file == name }) {
			t.Errorf("%s has no entry in badFixtures", f)
		}
	}
}
