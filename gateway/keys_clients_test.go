package gateway

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// keysCatalog declares orders' many-to-one join to customers over fields that dimensions show
// on both sides, so that the catalog emulation reports the primary keys and the foreign key.
// The keys tests read the system catalogs only: no dataset row is read.
const keysCatalog = `
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
  - id: orders
    source: { engine: duckdb, type: table, reference: orders }
    primaryKey: order_id
    fields:
      - { name: order_id, type: string }
      - { name: customer_id, type: string }
      - { name: revenue, type: double }
    dimensions:
      - { name: order_id, field: order_id }
      - { name: customer, field: customer_id }
    metrics:
      - { name: total_revenue, expression: { type: aggregation, agg: sum, field: revenue } }
    joins:
      - dataset: customers
        relationship: many_to_one
        on: { customer_id: customer_id }
`

// startKeysGateway starts a gateway on keysCatalog.
func startKeysGateway(t *testing.T) *Gateway {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	testkit.WriteFile(t, path, keysCatalog)
	return startTestGateway(t, func(c *Config) { c.Catalog = path })
}

// TestPsqlDescribeShowsKeys: psql \d shows the primary key index and the foreign key of the
// referencing table, and "Referenced by" on the target.
func TestPsqlDescribeShowsKeys(t *testing.T) {
	psql := requireClient(t, "psql", "--version")
	gw := startKeysGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	describe := func(table string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, psql, "host="+host+" port="+port+" user=demo dbname=setupranali sslmode=disable",
			"-X", "-v", "ON_ERROR_STOP=1", "-c", `\d `+table)
		cmd.Env = append(os.Environ(), "PGPASSWORD=tenantA-key", "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf(`psql \d %s: %v\n%s`, table, err, out)
		}
		return string(out)
	}
	orders := describe("orders")
	for _, want := range []string{
		"Indexes:",
		`"orders_pkey" PRIMARY KEY, btree (order_id)`,
		"Foreign-key constraints:",
		`"orders_customer_fkey" FOREIGN KEY (customer) REFERENCES customers(customer_id)`,
	} {
		if !strings.Contains(orders, want) {
			t.Errorf(`\d orders lacks %q:\n%s`, want, orders)
		}
	}
	if index := describe("orders_pkey"); !strings.Contains(index, `primary key, btree, for table "public.orders"`) ||
		!regexp.MustCompile(`order_id\s*\|\s*text\s*\|\s*yes\s*\|\s*order_id`).MatchString(index) {
		t.Errorf(`\d orders_pkey:\n%s`, index)
	}
	customers := describe("customers")
	for _, want := range []string{
		`"customers_pkey" PRIMARY KEY, btree (customer_id)`,
		"Referenced by:",
		`TABLE "orders" CONSTRAINT "orders_customer_fkey" FOREIGN KEY (customer) REFERENCES customers(customer_id)`,
	} {
		if !strings.Contains(customers, want) {
			t.Errorf(`\d customers lacks %q:\n%s`, want, customers)
		}
	}
}

// TestPgJDBCKeys: DatabaseMetaData's getPrimaryKeys, getImportedKeys and getExportedKeys.
func TestPgJDBCKeys(t *testing.T) {
	java, classPath := compileJDBCCheck(t, "KeysCheck")
	gw := startKeysGateway(t)
	var got struct {
		PK       []string `json:"pk"`
		Imported []string `json:"imported"`
		Exported []string `json:"exported"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, java, "-cp", classPath, "KeysCheck")
	if want := []string{"orders|order_id|1|orders_pkey"}; !reflect.DeepEqual(got.PK, want) {
		t.Errorf("getPrimaryKeys(orders) %q, want %q", got.PK, want)
	}
	fk := []string{"customers|customer_id|orders|customer|1|orders_customer_fkey|customers_pkey"}
	if !reflect.DeepEqual(got.Imported, fk) {
		t.Errorf("getImportedKeys(orders) %q, want %q", got.Imported, fk)
	}
	if !reflect.DeepEqual(got.Exported, fk) {
		t.Errorf("getExportedKeys(customers) %q, want %q", got.Exported, fk)
	}
}

// TestSQLAlchemyKeys: the inspector's get_pk_constraint and get_foreign_keys.
func TestSQLAlchemyKeys(t *testing.T) {
	python := requireClient(t, "/usr/bin/python3", "-c", "import sqlalchemy, psycopg2")
	gw := startKeysGateway(t)
	type pk struct {
		Columns []string `json:"constrained_columns"`
		Name    string   `json:"name"`
	}
	type fk struct {
		Name       string   `json:"name"`
		Columns    []string `json:"constrained_columns"`
		RefSchema  *string  `json:"referred_schema"`
		RefTable   string   `json:"referred_table"`
		RefColumns []string `json:"referred_columns"`
	}
	var got struct {
		OrdersPK      pk    `json:"orders_pk"`
		CustomersPK   pk    `json:"customers_pk"`
		OrdersFKs     []fk  `json:"orders_fks"`
		CustomersFKs  []fk  `json:"customers_fks"`
		OrdersIndexes []any `json:"orders_indexes"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, python, filepath.Join(driversDir(t), "keys_check.py"))
	if want := (pk{[]string{"order_id"}, "orders_pkey"}); !reflect.DeepEqual(got.OrdersPK, want) {
		t.Errorf("get_pk_constraint(orders) %+v, want %+v", got.OrdersPK, want)
	}
	if want := (pk{[]string{"customer_id"}, "customers_pkey"}); !reflect.DeepEqual(got.CustomersPK, want) {
		t.Errorf("get_pk_constraint(customers) %+v, want %+v", got.CustomersPK, want)
	}
	want := []fk{{Name: "orders_customer_fkey", Columns: []string{"customer"}, RefTable: "customers", RefColumns: []string{"customer_id"}}}
	if len(got.OrdersFKs) == 1 && got.OrdersFKs[0].RefSchema != nil && *got.OrdersFKs[0].RefSchema == "public" {
		// SQLAlchemy names the schema when the inspector was asked with one.
		want[0].RefSchema = got.OrdersFKs[0].RefSchema
	}
	if !reflect.DeepEqual(got.OrdersFKs, want) {
		t.Errorf("get_foreign_keys(orders) %+v, want %+v", got.OrdersFKs, want)
	}
	if len(got.CustomersFKs) != 0 || len(got.OrdersIndexes) != 0 {
		t.Errorf("customers has no foreign keys (%+v); a primary key index is no get_indexes entry (%v)", got.CustomersFKs, got.OrdersIndexes)
	}
}
