package pgcatalog

import (
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
)

// starCatalog is a star schema with every way a key is reported or not:
//   - customers, products: single-field primary keys shown by a dimension;
//   - orders: many_to_one customers (reported), many_to_one regions over a field no dimension
//     shows (not reported);
//   - order_items: a composite primary key, many_to_one orders (reported), and products'
//     one_to_many to it (reported from order_items' side);
//   - regions: its key field is physical only, so it has no reported primary key;
//   - profiles: shares customers' key; customers' one_to_one to it is a foreign key of
//     customers, the declaring side;
//   - returns: a composite foreign key to order_items, its pairs in another order than the key.
const starCatalog = `
datasets:
  - id: customers
    source: { engine: duckdb, type: table, reference: customers }
    primaryKey: customer_id
    fields:
      - { name: customer_id, type: string }
      - { name: region, type: string }
    dimensions:
      - { name: customer_id, field: customer_id }
      - { name: region, field: region }
    metrics:
      - { name: customers_count, expression: { type: aggregation, agg: count, field: customer_id } }
    joins:
      - dataset: profiles
        relationship: one_to_one
        on: { customer_id: customer_id }
  - id: profiles
    source: { engine: duckdb, type: table, reference: profiles }
    primaryKey: customer_id
    fields:
      - { name: customer_id, type: string }
      - { name: segment, type: string }
    dimensions:
      - { name: segment, field: segment }
      - { name: customer_id, field: customer_id }
  - id: regions
    source: { engine: duckdb, type: table, reference: regions }
    primaryKey: code
    fields:
      - { name: code, type: string }
      - { name: name, type: string }
    dimensions:
      - { name: region_name, field: name }
  - id: orders
    source: { engine: duckdb, type: table, reference: orders }
    primaryKey: order_id
    fields:
      - { name: order_id, type: string }
      - { name: customer_id, type: string }
      - { name: region_code, type: string }
      - { name: revenue, type: double }
    dimensions:
      - { name: order_id, field: order_id }
      - { name: customer, field: customer_id }
    metrics:
      - { name: revenue, expression: { type: aggregation, agg: sum, field: revenue } }
    joins:
      - dataset: customers
        relationship: many_to_one
        on: { customer_id: customer_id }
      - dataset: regions
        relationship: many_to_one
        on: { region_code: code }
  - id: products
    source: { engine: duckdb, type: table, reference: products }
    primaryKey: product_id
    fields:
      - { name: product_id, type: string }
      - { name: category, type: string }
    dimensions:
      - { name: product_id, field: product_id }
      - { name: category, field: category }
    joins:
      - dataset: order_items
        relationship: one_to_many
        on: { product_id: product_id }
  - id: order_items
    source: { engine: duckdb, type: table, reference: order_items }
    primaryKey: [order_id, line]
    fields:
      - { name: order_id, type: string }
      - { name: line, type: int32 }
      - { name: product_id, type: string }
      - { name: quantity, type: int64 }
    dimensions:
      - { name: line, field: line }
      - { name: order_id, field: order_id }
      - { name: product_id, field: product_id }
    metrics:
      - { name: units, expression: { type: aggregation, agg: sum, field: quantity } }
    joins:
      - dataset: orders
        relationship: many_to_one
        on: { order_id: order_id }
  - id: returns
    source: { engine: duckdb, type: table, reference: returns }
    fields:
      - { name: item_line, type: int32 }
      - { name: item_order, type: string }
    dimensions:
      - { name: item_order, field: item_order }
      - { name: item_line, field: item_line }
    joins:
      - dataset: order_items
        relationship: many_to_one
        on: { item_line: line, item_order: order_id }
`

// loadedFixture is the fixture of a catalog given as YAML text.
func loadedFixture(t *testing.T, yaml, name string) *fixture {
	t.Helper()
	cat, err := catalog.Load([]byte(yaml), name)
	if err != nil {
		t.Fatal(err)
	}
	return fixtureOf(t, cat)
}

func newKeysFixture(t *testing.T) *fixture { return loadedFixture(t, starCatalog, "star.yaml") }

func (f *fixture) want(t *testing.T, p auth.Principal, sql string, want ...string) {
	t.Helper()
	got, _, err := f.query(p, sql)
	if err != nil {
		t.Errorf("%s: %v", sql, err)
		return
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot  %q\nwant %q", sql, got, want)
	}
}

var everyDataset = auth.Principal{Tenants: []string{"tenantA"}}

func TestPrimaryKeys(t *testing.T) {
	f := newKeysFixture(t)
	f.want(t, everyDataset, `SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints
		WHERE constraint_type = 'PRIMARY KEY' ORDER BY 1`,
		"customers|customers_pkey|PRIMARY KEY", "order_items|order_items_pkey|PRIMARY KEY",
		"orders|orders_pkey|PRIMARY KEY", "products|products_pkey|PRIMARY KEY", "profiles|profiles_pkey|PRIMARY KEY")
	// A composite key keeps its declared order, whatever the columns' order.
	f.want(t, everyDataset, `SELECT column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage
		WHERE constraint_name = 'order_items_pkey' ORDER BY ordinal_position`, "order_id|1|NULL", "line|2|NULL")
	f.want(t, everyDataset, `SELECT c.conname, c.contype, c.conkey, pg_get_constraintdef(c.oid, true), c.conindid::regclass
		FROM pg_constraint c WHERE c.conrelid = 'order_items'::regclass AND contype = 'p'`,
		"order_items_pkey|p|{2,1}|PRIMARY KEY (order_id, line)|order_items_pkey")
	// The key's index as psql \d and pgjdbc getPrimaryKeys read it.
	f.want(t, everyDataset, `SELECT ci.relname, ci.relkind, i.indisprimary, i.indisunique, i.indkey, pg_get_indexdef(i.indexrelid, 0, true),
		pg_get_indexdef(i.indexrelid, 2, true), pg_get_indexdef(i.indexrelid), t.relhasindex
		FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'order_items'`,
		"order_items_pkey|i|true|true|{2,1}|CREATE UNIQUE INDEX order_items_pkey ON public.order_items USING btree (order_id, line)|line|"+
			"CREATE UNIQUE INDEX order_items_pkey ON public.order_items USING btree (order_id, line)|true")
	// The index's own columns, as psql \d order_items_pkey lists them.
	f.want(t, everyDataset, `SELECT attname, attnum, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'order_items_pkey'::regclass ORDER BY attnum`, "order_id|1|text", "line|2|integer")
	// regions' key field is shown by no dimension: no key, no index.
	f.want(t, everyDataset, `SELECT count(*), bool_or(c.relhasindex) FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid
		WHERE c.relname = 'regions'`, "1|false")
	f.want(t, everyDataset, `SELECT count(*) FROM information_schema.table_constraints WHERE table_name = 'regions'`, "0")
}

func TestForeignKeys(t *testing.T) {
	f := newKeysFixture(t)
	f.want(t, everyDataset, `SELECT conrelid::regclass, conname, confrelid::regclass, conkey, confkey, pg_get_constraintdef(oid)
		FROM pg_catalog.pg_constraint WHERE contype = 'f' ORDER BY 1, 2`,
		"customers|customers_customer_id_fkey|profiles|{1}|{2}|FOREIGN KEY (customer_id) REFERENCES profiles(customer_id)",
		"order_items|order_items_order_id_fkey|orders|{2}|{1}|FOREIGN KEY (order_id) REFERENCES orders(order_id)",
		"order_items|order_items_product_id_fkey|products|{3}|{1}|FOREIGN KEY (product_id) REFERENCES products(product_id)",
		"orders|orders_customer_fkey|customers|{2}|{1}|FOREIGN KEY (customer) REFERENCES customers(customer_id)",
		"returns|returns_item_line_item_order_fkey|order_items|{2,1}|{1,2}|FOREIGN KEY (item_line, item_order) REFERENCES order_items(line, order_id)")
	// A composite foreign key: conkey and confkey pairwise, and each column's position in the
	// target's key (order_items' key is [order_id, line]).
	f.want(t, everyDataset, `SELECT conname, conkey, confkey, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'returns'::regclass`,
		"returns_item_line_item_order_fkey|{2,1}|{1,2}|FOREIGN KEY (item_line, item_order) REFERENCES order_items(line, order_id)")
	f.want(t, everyDataset, `SELECT column_name, ordinal_position, position_in_unique_constraint FROM information_schema.key_column_usage
		WHERE table_name = 'returns' ORDER BY ordinal_position`, "item_line|1|2", "item_order|2|1")
	// The foreign key's index is the target's primary key index (pgjdbc's PK_NAME).
	f.want(t, everyDataset, `SELECT c.conname, i.relname FROM pg_constraint c JOIN pg_class i ON i.oid = c.conindid
		WHERE c.conrelid = 'public.orders'::regclass ORDER BY 1`, "orders_customer_fkey|customers_pkey", "orders_pkey|orders_pkey")
	f.want(t, everyDataset, `SELECT rc.constraint_name, rc.unique_constraint_name, rc.match_option, rc.update_rule, rc.delete_rule,
		kcu.table_name, kcu.column_name, kcu.position_in_unique_constraint, ccu.table_name, ccu.column_name
		FROM information_schema.referential_constraints rc
		JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
		JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.constraint_name
		WHERE kcu.table_name = 'orders'`,
		"orders_customer_fkey|customers_pkey|NONE|NO ACTION|NO ACTION|orders|customer|1|customers|customer_id")
	f.want(t, everyDataset, `SELECT constraint_name FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'
		AND table_name = 'order_items' ORDER BY 1`, "order_items_order_id_fkey", "order_items_product_id_fkey")
	// Power BI's relationship query (shared/bi-queries/powerbi.jsonl), asked for customers.
	f.want(t, everyDataset, `select pkcol.COLUMN_NAME as PK_COLUMN_NAME, fkcol.TABLE_SCHEMA AS FK_TABLE_SCHEMA,
			fkcol.TABLE_NAME AS FK_TABLE_NAME, fkcol.COLUMN_NAME as FK_COLUMN_NAME, fkcol.ORDINAL_POSITION as ORDINAL,
			fkcon.CONSTRAINT_SCHEMA || '_' || fkcol.TABLE_NAME || '_' || 'customers' || '_' || fkcon.CONSTRAINT_NAME as FK_NAME
		from (select distinct constraint_catalog, constraint_schema, unique_constraint_schema, constraint_name, unique_constraint_name
				from INFORMATION_SCHEMA.REFERENTIAL_CONSTRAINTS) fkcon
			inner join INFORMATION_SCHEMA.KEY_COLUMN_USAGE fkcol
				on fkcon.CONSTRAINT_SCHEMA = fkcol.CONSTRAINT_SCHEMA and fkcon.CONSTRAINT_NAME = fkcol.CONSTRAINT_NAME
			inner join INFORMATION_SCHEMA.KEY_COLUMN_USAGE pkcol
				on fkcon.UNIQUE_CONSTRAINT_SCHEMA = pkcol.CONSTRAINT_SCHEMA and fkcon.UNIQUE_CONSTRAINT_NAME = pkcol.CONSTRAINT_NAME
		where pkcol.TABLE_SCHEMA = 'public' and pkcol.TABLE_NAME = 'customers' and pkcol.ORDINAL_POSITION = fkcol.ORDINAL_POSITION
		order by FK_NAME, fkcol.ORDINAL_POSITION`,
		"customer_id|public|orders|customer|1|public_orders_customers_orders_customer_fkey")
	// Every dataset has relhastriggers when the catalog reports foreign keys: psql \d then
	// looks for them (and for the keys referencing the table).
	f.want(t, everyDataset, `SELECT bool_and(relhastriggers) FROM pg_class WHERE relkind = 'r'`, "true")
}

// A key sees a foreign key only when it sees both datasets; a primary key with its dataset.
func TestKeysFollowScope(t *testing.T) {
	f := newKeysFixture(t)
	ordersOnly := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"orders", "order_items"}}
	f.want(t, ordersOnly, `SELECT table_name, constraint_name FROM information_schema.table_constraints ORDER BY 2`,
		"order_items|order_items_order_id_fkey", "order_items|order_items_pkey", "orders|orders_pkey")
	// The target in scope and the referencing dataset not: orders' foreign key is not shown
	// on customers' side either.
	customersOnly := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"customers", "profiles"}}
	f.want(t, customersOnly, `SELECT table_name, constraint_name FROM information_schema.table_constraints ORDER BY 2`,
		"customers|customers_customer_id_fkey", "customers|customers_pkey", "profiles|profiles_pkey")
	f.want(t, customersOnly, `SELECT count(*) FROM pg_constraint WHERE confrelid = 'customers'::regclass`, "0")
	f.want(t, customersOnly, `SELECT table_name, constraint_name FROM information_schema.constraint_column_usage ORDER BY 2`,
		"profiles|customers_customer_id_fkey", "customers|customers_pkey", "profiles|profiles_pkey")
	for _, q := range []string{
		"SELECT conname FROM pg_constraint WHERE conname LIKE '%customer%' OR conname LIKE '%product%'",
		"SELECT relname FROM pg_class WHERE relname LIKE 'customers%' OR relname LIKE 'products%'",
		"SELECT indexrelid FROM pg_index WHERE indrelid NOT IN ('orders'::regclass, 'order_items'::regclass)",
		"SELECT constraint_name FROM information_schema.key_column_usage WHERE table_name NOT IN ('orders', 'order_items')",
		"SELECT constraint_name FROM information_schema.key_column_usage WHERE constraint_name LIKE '%product%'",
		"SELECT constraint_name FROM information_schema.constraint_column_usage WHERE table_name NOT IN ('orders', 'order_items')",
		"SELECT constraint_name FROM information_schema.constraint_column_usage WHERE constraint_name LIKE '%product%'",
		"SELECT constraint_name FROM information_schema.referential_constraints WHERE constraint_name <> 'order_items_order_id_fkey'",
		// The definition of a constraint out of scope, asked for by oid, is nothing.
		"SELECT d FROM (SELECT pg_get_constraintdef(o) AS d FROM generate_series(16384, 16500) s(o), pg_namespace n WHERE n.nspname = 'public') x WHERE d LIKE '%customer%' OR d LIKE '%product%'",
		"SELECT d FROM (SELECT pg_get_indexdef(o) AS d FROM generate_series(16384, 16500) s(o), pg_namespace n WHERE n.nspname = 'public') x WHERE d LIKE '%customer%'",
	} {
		f.want(t, ordersOnly, q)
	}
	// The hidden columns never reach a client.
	// DBeaver reads c.* beside pg_get_constraintdef(c.oid): the definition's lookup reads the
	// hidden column, the client's c does not.
	for _, q := range []string{"SELECT * FROM pg_constraint", "SELECT * FROM information_schema.referential_constraints", "SELECT * FROM pg_index",
		"SELECT c.oid, c.*, pg_get_constraintdef(c.oid) FROM pg_constraint c", "SELECT i.*, pg_get_indexdef(i.indexrelid, 0, true) FROM pg_index i"} {
		_, plan, err := f.query(everyDataset, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for _, c := range plan.Columns {
			if hiddenColumns[c.Name] || strings.HasPrefix(c.Name, "setu_") {
				t.Errorf("%s shows %s", q, c.Name)
			}
		}
	}
}

// The demo catalog without joins reports no foreign key, and tables without keys keep
// relhasindex and relhastriggers false.
func TestNoKeysWithoutDeclarations(t *testing.T) {
	f := loadedFixture(t, `
datasets:
  - id: events
    source: { engine: duckdb, type: table, reference: events }
    fields:
      - { name: kind, type: string }
    dimensions:
      - { name: kind, field: kind }
`, "plain.yaml")
	f.want(t, everyDataset, `SELECT relname, relhasindex, relhastriggers FROM pg_class WHERE relnamespace = 2200`, "events|false|false")
	f.want(t, everyDataset, `SELECT count(*) FROM pg_constraint`, "0")
	f.want(t, everyDataset, `SELECT count(*) FROM information_schema.table_constraints`, "0")
}

// An index is named <dataset>_pkey, numbered when a dataset already has that name.
func TestKeyIndexNameAvoidsRelations(t *testing.T) {
	f := loadedFixture(t, `
datasets:
  - id: t
    source: { engine: duckdb, type: table, reference: t }
    primaryKey: k
    fields:
      - { name: k, type: string }
    dimensions:
      - { name: k, field: k }
  - id: t_pkey
    source: { engine: duckdb, type: table, reference: t2 }
    fields:
      - { name: k, type: string }
    dimensions:
      - { name: k, field: k }
`, "names.yaml")
	f.want(t, everyDataset, `SELECT relname, relkind FROM pg_class WHERE relnamespace = 2200 ORDER BY 1`, "t|r", "t_pkey|r", "t_pkey1|i")
	f.want(t, everyDataset, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint`, "t_pkey1|PRIMARY KEY (k)")
}
