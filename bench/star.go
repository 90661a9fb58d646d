package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
)

// The star join of issue 17: customers <- orders <- order_items, each with a tenant column
// under row-level security, four tenants. A query as one tenant through the gateway, grouping
// orders' metrics by the customer's region while filtering on the items' category, crosses the
// one-to-many step orders -> order_items: each order would count once per matching item unless
// the gateway keeps the orders' grain. The reference is the SQL an expert writes for the same
// answer on the same engine: a semi-join (EXISTS) to the items, so each order counts once.

// starTenants are the tenant values of the generated rows; a row's tenant is its customer's,
// chosen by the customer id modulo 4. The bench queries as starTenant (the demo key
// tenantA-key), so the other three tenants' rows are in every table and must not count.
var starTenants = []string{"tenantA", "tenantB", "tenantC", "default"}

const (
	starTenant    = "tenantA"
	starTenantKey = "tenantA-key"
	starCategory  = "K3"
)

// tenantOf is the SQL for the tenant name of an id column: starTenants[id % 4].
func tenantOf(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CASE %s %% 4", id)
	for i, t := range starTenants {
		fmt.Fprintf(&b, " WHEN %d THEN '%s'", i, t)
	}
	b.WriteString(" END")
	return b.String()
}

// starTables are the CREATE ... AS queries of the three tables, over a row number i read from
// {from}, with integer products and remainders only (as salesColumns) so DuckDB and PostgreSQL
// generate the same rows; the hashes take remainders of a prime first, so the small remainders
// that pick regions and orders do not follow the tenant's residue of the id. An order's
// customer is one of its own tenant's customers (same residue modulo 4) and an item's tenant is
// its order's. Items pick their order by a hash of their id, about four an order (some orders
// have none); categories K0-K9 spread evenly over the items. Amounts and prices are multiples
// of 0.25 below 10,000, exact in float64, so any summation order gives the same total and the
// answers of a pair compare exactly.
func starTables(sz size) map[string]string {
	return map[string]string{
		"customers": fmt.Sprintf(`SELECT
  i AS customer_id,
  %s AS tenant_id,
  'R' || CAST(((i * 2654435761) %% 4294967291) %% 8 AS VARCHAR) AS region,
  'S' || CAST(((i * 40503) %% 65521) %% 4 AS VARCHAR) AS segment
FROM {from}`, tenantOf("i")),
		"orders": fmt.Sprintf(`SELECT
  i AS order_id,
  %s AS tenant_id,
  (((i * 69069) %% 1000003) %% %d) * 4 + i %% 4 AS customer_id,
  'S' || CAST(((i * 48271) %% 2147483647) %% 5 AS VARCHAR) AS status,
  DATE '2024-01-01' + CAST(((i * 16807) %% 2147483647) %% 730 AS INTEGER) AS order_date,
  CAST(((i * 2654435761) %% 4294967291) %% 40000 AS DOUBLE PRECISION) / 4 AS amount
FROM {from}`, tenantOf("i"), sz.StarCustomers/4),
		"order_items": fmt.Sprintf(`SELECT
  i AS item_id,
  order_id,
  %s AS tenant_id,
  'K' || CAST(((i * 40503) %% 65521) %% 10 AS VARCHAR) AS category,
  CAST(((i * 16807) %% 2147483647) %% 5 + 1 AS INTEGER) AS quantity,
  CAST(((i * 69069) %% 1000003) %% 40000 AS DOUBLE PRECISION) / 4 AS price
FROM (SELECT i, ((i * 2654435761) %% 4294967291) %% %d AS order_id FROM {from}) t`, tenantOf("order_id"), sz.StarOrders),
	}
}

// starRows is how many rows each table has.
func starRows(sz size) map[string]int64 {
	return map[string]int64{"customers": sz.StarCustomers, "orders": sz.StarOrders, "order_items": sz.StarItems}
}

var starOrder = []string{"customers", "orders", "order_items"}

// loadStarDuckDB adds the three tables to the DuckDB file at path.
func loadStarDuckDB(ctx context.Context, path string, sz size) error {
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer connector.Close()
	defer db.Close()
	for _, q := range starDuckDB(sz) {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: %s: %w", firstLine(q), err)
		}
	}
	_, err = db.ExecContext(ctx, "CHECKPOINT")
	return err
}

// starDuckDB are the statements that create the three tables in DuckDB.
func starDuckDB(sz size) []string {
	tables, rows := starTables(sz), starRows(sz)
	var out []string
	for _, t := range starOrder {
		out = append(out, fmt.Sprintf("CREATE TABLE %s AS %s ORDER BY 1", t, strings.ReplaceAll(tables[t], "{from}", fmt.Sprintf("range(%d) r(i)", rows[t]))))
	}
	return out
}

// loadStarPostgres adds the three tables to schema, each with its primary key, analyzed, as a
// star schema in PostgreSQL is kept.
func loadStarPostgres(ctx context.Context, dsn, schema string, sz size) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	s := pgx.Identifier{schema}.Sanitize()
	tables, rows := starTables(sz), starRows(sz)
	keys := map[string]string{"customers": "customer_id", "orders": "order_id", "order_items": "item_id"}
	for _, t := range starOrder {
		stmts := []string{
			fmt.Sprintf("CREATE UNLOGGED TABLE %s.%s AS %s", s, t, strings.ReplaceAll(tables[t], "{from}", fmt.Sprintf("generate_series(0::bigint, %d) r(i)", rows[t]-1))),
			fmt.Sprintf("ALTER TABLE %s.%s ADD PRIMARY KEY (%s)", s, t, keys[t]),
			fmt.Sprintf("VACUUM ANALYZE %s.%s", s, t),
		}
		for _, q := range stmts {
			if _, err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("postgres: %s: %w", firstLine(q), err)
			}
		}
	}
	return nil
}

// starCatalog is the catalog text of the three datasets over the tables named by ref (one
// dataset set per engine; suffix tells them apart).
func starCatalog(engine, suffix string, ref func(table string) string) string {
	return fmt.Sprintf(`  - id: customers%[1]s
    source: {engine: %[2]s, type: table, reference: %[3]s}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: int64, semanticType: identifier}
      - {name: tenant_id, type: string, semanticType: dimension}
      - {name: region, type: string, semanticType: dimension}
      - {name: segment, type: string, semanticType: dimension}
    dimensions:
      - {name: customer_id, field: customer_id}
      - {name: region, field: region}
      - {name: segment, field: segment}
    metrics:
      - {name: customers_count, expression: {type: aggregation, agg: count, field: customer_id}, returnType: int64}
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
  - id: orders%[1]s
    source: {engine: %[2]s, type: table, reference: %[4]s}
    primaryKey: order_id
    fields:
      - {name: order_id, type: int64, semanticType: identifier}
      - {name: tenant_id, type: string, semanticType: dimension}
      - {name: customer_id, type: int64, semanticType: identifier}
      - {name: status, type: string, semanticType: dimension}
      - {name: order_date, type: date, semanticType: time}
      - {name: amount, type: double, semanticType: metric}
    dimensions:
      - {name: order_id, field: order_id}
      - {name: customer_id, field: customer_id}
      - {name: status, field: status}
      - {name: order_date, field: order_date}
    metrics:
      - {name: revenue, expression: {type: aggregation, agg: sum, field: amount}, returnType: double}
      - {name: orders_count, expression: {type: aggregation, agg: count, field: order_id}, returnType: int64}
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: customers%[1]s, relationship: many_to_one, on: {customer_id: customer_id}}
  - id: order_items%[1]s
    source: {engine: %[2]s, type: table, reference: %[5]s}
    primaryKey: item_id
    fields:
      - {name: item_id, type: int64, semanticType: identifier}
      - {name: order_id, type: int64, semanticType: identifier}
      - {name: tenant_id, type: string, semanticType: dimension}
      - {name: category, type: string, semanticType: dimension}
      - {name: quantity, type: int64, semanticType: metric}
      - {name: price, type: double, semanticType: metric}
    dimensions:
      - {name: item_id, field: item_id}
      - {name: order_id, field: order_id}
      - {name: category, field: category}
    metrics:
      - {name: units, expression: {type: aggregation, agg: sum, field: quantity}, returnType: int64}
      - {name: items_count, expression: {type: aggregation, agg: count, field: item_id}, returnType: int64}
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: orders%[1]s, relationship: many_to_one, on: {order_id: order_id}}
`, suffix, engine, ref("customers"), ref("orders"), ref("order_items"))
}

// starGatewaySQL is what the client sends: revenue and the order count by the customer's
// region, over orders that have an item in one category. Joining order_items repeats each order
// once per matching item; the gateway must count it once.
func starGatewaySQL(suffix string) string {
	return fmt.Sprintf("SELECT c.region, o.revenue, o.orders_count FROM orders%[1]s o "+
		"JOIN customers%[1]s c ON c.customer_id = o.customer_id "+
		"JOIN order_items%[1]s i ON i.order_id = o.order_id "+
		"WHERE i.category = '%[2]s' GROUP BY c.region", suffix, starCategory)
}

// starReferenceSQL is the hand-written correct SQL for the same answer on the engine itself,
// with the tenant filter the gateway applies written on every table: the orders of the
// tenant with at least one item of the category (a semi-join, so an order counts once), joined
// to their customer, summed by region. prefix qualifies the tables ("" or "schema.").
func starReferenceSQL(prefix string) string {
	t := starTenant
	return fmt.Sprintf("SELECT c.region, sum(o.amount) AS revenue, count(o.order_id) AS orders_count "+
		"FROM %[1]sorders o JOIN %[1]scustomers c ON c.customer_id = o.customer_id "+
		"WHERE o.tenant_id = '%[2]s' AND c.tenant_id = '%[2]s' "+
		"AND EXISTS (SELECT 1 FROM %[1]sorder_items i WHERE i.order_id = o.order_id AND i.tenant_id = '%[2]s' AND i.category = '%[3]s') "+
		"GROUP BY c.region", prefix, t, starCategory)
}

// starAnswer is a result as sorted rows of normalised text, so an answer read through pgx and
// one read through duckdb-go compare equal when their values are.
type starAnswer []string

func (a starAnswer) String() string { return strings.Join(a, "; ") }

func normValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return normValue(float64(x))
	case int64, int32, int16, int8, int, uint64, uint32:
		return fmt.Sprint(x)
	case string:
		return strconv.Quote(x)
	}
	return fmt.Sprintf("%v", v)
}

func sortedAnswer(rows [][]any) starAnswer {
	var out starAnswer
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = normValue(v)
		}
		out = append(out, strings.Join(cells, ", "))
	}
	slices.Sort(out)
	return out
}

// pgxAnswer reads the whole result of q on conn, decoded.
func pgxAnswer(ctx context.Context, conn *pgx.Conn, q string) (starAnswer, error) {
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	var all [][]any
	for rows.Next() {
		vs, err := rows.Values()
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, vs)
	}
	rows.Close()
	return sortedAnswer(all), rows.Err()
}

// duckAnswer reads the whole result of q on db.
func duckAnswer(ctx context.Context, db *sql.DB, q string) (starAnswer, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var all [][]any
	for rows.Next() {
		vs := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vs {
			ptrs[i] = &vs[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		all = append(all, vs)
	}
	return sortedAnswer(all), rows.Err()
}

// sameAnswer fails unless the gateway and the reference gave the same, non-empty answer: a
// timing of a wrong answer compares nothing.
func sameAnswer(gw, ref starAnswer) error {
	if len(ref) == 0 {
		return fmt.Errorf("the reference answered no rows")
	}
	if !slices.Equal(gw, ref) {
		return fmt.Errorf("answers differ:\n  gateway   %s\n  reference %s", gw, ref)
	}
	return nil
}
