package gateway

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

// demoOrder and demoCustomer are the rows of the embedded demo (demo.sql) the join test reads.
type demoOrder struct {
	tenant, customer string
	revenue          float64
}

type demoCustomer struct{ tenant, region string }

// The demo's INSERT rows, one per line: ('o1', 'tenantA', DATE '2025-12-01', 'Indore', 1000.0, 2, 'c1')
// and ('c1', 'tenantA', 'Malwa Traders', 'Central', 'retail').
var (
	demoOrderRow    = regexp.MustCompile(`\('(o\d+)', '([^']+)', DATE '[^']+', '[^']+',\s*([0-9.]+),\s*\d+,\s*'([^']+)'\)`)
	demoCustomerRow = regexp.MustCompile(`\('(c\d+)', '([^']+)', '[^']+',\s*'([^']+)',\s*'[^']+'\)`)
)

// demoRows reads the orders and customers of the embedded demo, so the expected numbers below come
// from the same rows the gateway serves rather than from a second hand-kept copy.
func demoRows(t *testing.T) ([]demoOrder, map[string]demoCustomer) {
	t.Helper()
	var orders []demoOrder
	for _, m := range demoOrderRow.FindAllStringSubmatch(demoSQL, -1) {
		rev, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("order %s revenue %q: %v", m[1], m[3], err)
		}
		orders = append(orders, demoOrder{tenant: m[2], customer: m[4], revenue: rev})
	}
	customers := map[string]demoCustomer{}
	for _, m := range demoCustomerRow.FindAllStringSubmatch(demoSQL, -1) {
		customers[m[1]] = demoCustomer{tenant: m[2], region: m[3]}
	}
	if len(orders) == 0 || len(customers) == 0 {
		t.Fatalf("demo.sql: read %d orders and %d customers; the row patterns no longer match", len(orders), len(customers))
	}
	for _, o := range orders {
		if _, ok := customers[o.customer]; !ok {
			t.Fatalf("demo.sql: an order's customer %q is not among the customers read", o.customer)
		}
	}
	return orders, customers
}

// revenueByRegion is the demo join computed from the rows: each order counted once, under its
// customer's region, over the orders and customers the tenant may see (both datasets filter by
// tenant; the admin sees all). An inner join drops an order whose customer is hidden.
func revenueByRegion(orders []demoOrder, customers map[string]demoCustomer, tenant string) []string {
	sums := map[string]float64{}
	for _, o := range orders {
		c := customers[o.customer]
		if tenant != "" && (o.tenant != tenant || c.tenant != tenant) {
			continue
		}
		sums[c.region] += o.revenue
	}
	var out []string
	for region, sum := range sums {
		out = append(out, fmt.Sprintf("%s|%v", region, sum))
	}
	return sorted(out)
}

// The README's join runs on the demo as the catalog ships: orders joins customers many-to-one on
// customer_id, so grouping orders' revenue by a customer's region repeats no order. By hand on
// demo.sql: tenantA has o1 1000 and o2 500, both of c1 (Central): Central 1500; the admin adds
// tenantB's o3 250 and o4 1200 of c3 (North) and default's o5 800 of c5 (West) and o6 600 of c6
// (South).
func TestDemoJoinOrdersToCustomers(t *testing.T) {
	t.Parallel()
	orders, customers := demoRows(t)
	gw := startTestGateway(t)
	const join = "SELECT c.region, o.total_revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1"
	cases := []struct {
		key, tenant string
		byHand      []string
	}{
		{"tenantA-key", "tenantA", []string{"Central|1500"}},
		{"dev-key-123", "", []string{"Central|1500", "North|1450", "South|600", "West|800"}},
	}
	for _, c := range cases {
		conn := connect(t, gw, c.key)
		want := revenueByRegion(orders, customers, c.tenant)
		if !equal(want, c.byHand) {
			t.Fatalf("%s: computed from demo.sql %v, checked by hand %v: the demo rows changed", c.key, want, c.byHand)
		}
		if got := sorted(testkit.RowsText(t, conn, join)); !equal(got, want) {
			t.Errorf("%s: %s\n got %v\nwant %v", c.key, join, got, want)
		}
	}
	// Every demo order is read: the rows above are all the admin's orders.
	admin := connect(t, gw, "dev-key-123")
	if got, want := testkit.RowsText(t, admin, "SELECT orders_count FROM orders"), []string{strconv.Itoa(len(orders))}; !equal(got, want) {
		t.Errorf("orders_count %v, but demo.sql has %v orders", got, want)
	}
}
