// Package joindiff is the join differential test's model: a generated star/snowflake schema
// (customers <- orders <- order_items -> products, a snowflake step customers -> regions, a
// one-to-one customers - customer_profiles, a bridge product_tags), its catalog YAML with
// primaryKey and joins, its rows as SQL for DuckDB and PostgreSQL, random join queries over
// it, and a reference that computes each query's true answer in Go.
//
// The reference is deliberately naive and apart from the planner: it joins the tenant's rows
// tuple by tuple (nested loops over a few hundred rows), applies the filters, groups the tuples,
// and aggregates each metric over the distinct rows of the metric's own dataset that the group's
// tuples contain: each row once, however many tuples repeat it. That is the invariant of
// ARCHITECTURE.md ("Metric grain across joins"), stated as code a reader can check by hand.
//
// Queries (gen.go, rendered by query.go) join two to four steps along declared joins (either
// way), the second way to customers (orders.ship_customer_id: customers under two aliases) and
// self-joins on non-key columns; inner, left, right and full, ON, USING or NATURAL (where the
// common columns are unambiguous), a trailing run of inner joins as comma-separated FROM items
// with their conditions in WHERE; sometimes equating the tenant column too (what makes a key
// unique across the admin's tenants); a dataset step may be wrapped in up to three plain
// sub-selects or CTEs; a step may be a
// one-column sub-select of a dataset, grouped (unique on the key, optionally with HAVING on a
// metric: Tableau's sets) or not (repeating the other side); filters on any step, IN lists and
// IN (SELECT ...); metrics bare, in MEASURE() or in their matching aggregate, derived metrics
// among them; written plain, with implicit grouping, inside Power BI's wrapper or a CTE.
// Query.Lookup tells the queries whose joins cannot repeat a metric's rows, which the issue
// says are never refused; Query.LookupAcrossTenants those that stay so over several tenants'
// rows.
//
// The data is built to catch the fan-out trap and tenant leaks: one-to-many steps, NULL join
// keys, keys that match nothing, and join keys that collide across tenants (every tenant has a
// customer "c01" and an order "o001"), with products and product_tags shared (no RLS).
//
// Invariants: everything is seeded (the same seed gives the same queries; the data is fixed);
// the package imports nothing of the module, so the ground truth cannot borrow the gateway's
// logic by accident; every generated query is meant to plan, so an answer other than the truth
// or a refusal (0A000/42P10) is a finding.
package joindiff
