package joindiff

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Tenants of the generated data. The first three are the demo keys' tenants (tenantA-key,
// tenantB-key, readonly-key-456); tenantC's rows are seen by no key and must never show.
var Tenants = []string{"tenantA", "tenantB", "default", "tenantC"}

// The shape of the schema: the datasets, their keys, metrics and declared joins.
func newSchema() *Schema {
	return &Schema{
		Tenants: Tenants,
		Datasets: []*Dataset{
			{
				ID: "regions",
				Columns: []Column{
					{"tenant_id", String}, {"region_id", Int}, {"region_name", String}, {"country", String},
				},
				PrimaryKey: []string{"region_id"},
				RLS:        true,
				Metrics:    []Metric{{Name: "region_count", Agg: "count", Field: "region_id"}},
			},
			{
				ID: "customers",
				Columns: []Column{
					{"tenant_id", String}, {"customer_id", String}, {"region_id", Int}, {"segment", String},
					{"signup_date", Date},
				},
				PrimaryKey: []string{"customer_id"},
				RLS:        true,
				Metrics: []Metric{
					{Name: "customer_count", Agg: "count", Field: "customer_id"},
					{Name: "segments", Agg: "count_distinct", Field: "segment"},
					{Name: "first_signup", Agg: "min", Field: "signup_date"},
				},
				Joins: []Join{
					{"regions", ManyToOne, []string{"region_id"}, []string{"region_id"}},
					{"customer_profiles", OneToOne, []string{"customer_id"}, []string{"customer_id"}},
				},
			},
			{
				ID: "customer_profiles",
				Columns: []Column{
					{"tenant_id", String}, {"customer_id", String}, {"tier", String}, {"credit_limit", Double},
				},
				PrimaryKey: []string{"customer_id"},
				RLS:        true,
				Metrics: []Metric{
					{Name: "total_credit", Agg: "sum", Field: "credit_limit"},
					{Name: "profile_count", Agg: "count"},
				},
			},
			{
				ID: "orders",
				Columns: []Column{
					{"tenant_id", String}, {"order_id", String}, {"customer_id", String},
					{"ship_customer_id", String}, {"status", String}, {"order_date", Date}, {"amount", Double},
				},
				PrimaryKey: []string{"order_id"},
				RLS:        true,
				Metrics: []Metric{
					{Name: "order_count", Agg: "count", Field: "order_id"},
					{Name: "revenue", Agg: "sum", Field: "amount"},
					{Name: "avg_amount", Agg: "avg", Field: "amount"},
					{Name: "max_amount", Agg: "max", Field: "amount"},
					{Name: "buyers", Agg: "count_distinct", Field: "customer_id"},
					{Name: "last_order", Agg: "max", Field: "order_date"},
					{Name: "revenue_per_order", Agg: "ratio", Num: "revenue", Den: "order_count"},
				},
				Joins: []Join{
					{"customers", ManyToOne, []string{"customer_id"}, []string{"customer_id"}},
				},
			},
			{
				ID: "order_items",
				Columns: []Column{
					{"tenant_id", String}, {"order_id", String}, {"line_no", Int}, {"product_id", Int},
					{"quantity", Int}, {"line_amount", Double},
				},
				PrimaryKey: []string{"order_id", "line_no"},
				RLS:        true,
				Metrics: []Metric{
					{Name: "item_count", Agg: "count"},
					{Name: "units", Agg: "sum", Field: "quantity"},
					{Name: "item_revenue", Agg: "sum", Field: "line_amount"},
					{Name: "min_line", Agg: "min", Field: "line_amount"},
					{Name: "revenue_per_unit", Agg: "ratio", Num: "item_revenue", Den: "units"},
				},
				Joins: []Join{
					{"orders", ManyToOne, []string{"order_id"}, []string{"order_id"}},
					{"products", ManyToOne, []string{"product_id"}, []string{"product_id"}},
				},
			},
			{
				ID: "products",
				Columns: []Column{
					{"product_id", Int}, {"category", String}, {"brand", String}, {"price", Double},
				},
				PrimaryKey: []string{"product_id"},
				Metrics: []Metric{
					{Name: "product_count", Agg: "count", Field: "product_id"},
					{Name: "avg_price", Agg: "avg", Field: "price"},
					{Name: "brands", Agg: "count_distinct", Field: "brand"},
				},
			},
			{
				ID: "product_tags",
				Columns: []Column{
					{"product_id", Int}, {"tag", String},
				},
				PrimaryKey: []string{"product_id", "tag"},
				Metrics:    []Metric{{Name: "tag_links", Agg: "count"}},
				Joins: []Join{
					{"products", ManyToOne, []string{"product_id"}, []string{"product_id"}},
				},
			},
		},
	}
}

// Generate builds the schema and its rows. The rows are fixed by the seed; amounts are
// multiples of 1/4, so sums are exact in any order on any engine.
func Generate(seed uint64) *Schema {
	s := newSchema()
	rng := rand.New(rand.NewPCG(seed, 17))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	quarter := func(max int) float64 { return float64(1+rng.IntN(max*4)) / 4 }
	chance := func(pct int) bool { return rng.IntN(100) < pct }
	day := func(base time.Time, span int) string {
		return base.AddDate(0, 0, rng.IntN(span)).Format("2006-01-02")
	}
	add := func(id string, r Row) { d := s.Dataset(id); d.Rows = append(d.Rows, r) }

	// Products and tags are shared by every tenant. Product 13 has no tags; tags of product 99
	// match no product.
	const products = 12
	for p := int64(1); p <= products; p++ {
		r := Row{"product_id": p, "category": pick("tools", "toys", "food", "books"), "brand": pick("Acme", "Zenith", "Orbit")}
		if !chance(10) {
			r["price"] = quarter(50)
		}
		add("products", r)
		for _, tag := range []string{"sale", "new", "eco", "gift"} {
			if chance(35) {
				add("product_tags", Row{"product_id": p, "tag": tag})
			}
		}
	}
	add("products", Row{"product_id": int64(products + 1), "category": "garden", "brand": "Acme", "price": 12.5})
	add("product_tags", Row{"product_id": int64(99), "tag": "orphan"})

	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for ti, tn := range Tenants {
		// Every tenant uses the same key values (region 1.., c01.., o001..): a join that
		// forgot a tenant filter on either side multiplies or mixes rows, and shows.
		nRegions := 3 + ti%2
		for r := 1; r <= nRegions; r++ {
			add("regions", Row{"tenant_id": tn, "region_id": int64(r),
				"region_name": pick("North", "South", "East", "West") + fmt.Sprint(r%2), "country": pick("IN", "US", "FR")})
		}
		nCustomers := 10 + 2*ti
		for c := 1; c <= nCustomers; c++ {
			cid := fmt.Sprintf("c%02d", c)
			r := Row{"tenant_id": tn, "customer_id": cid, "segment": pick("retail", "pro", "edu")}
			switch {
			case chance(10): // NULL region
			case chance(10):
				r["region_id"] = int64(9) // matches no region
			default:
				r["region_id"] = int64(1 + rng.IntN(nRegions))
			}
			if chance(85) {
				r["signup_date"] = day(base, 365)
			}
			add("customers", r)
			if chance(70) {
				p := Row{"tenant_id": tn, "customer_id": cid, "tier": pick("gold", "silver")}
				if !chance(15) {
					p["credit_limit"] = quarter(1000)
				}
				add("customer_profiles", p)
			}
		}
		// A profile whose customer does not exist.
		add("customer_profiles", Row{"tenant_id": tn, "customer_id": "c77", "tier": "gold", "credit_limit": 100.0})

		nOrders := 25 + 5*ti
		for o := 1; o <= nOrders; o++ {
			oid := fmt.Sprintf("o%03d", o)
			r := Row{"tenant_id": tn, "order_id": oid, "status": pick("open", "shipped", "returned"), "amount": quarter(400)}
			switch {
			case chance(8): // NULL customer
			case chance(8):
				r["customer_id"] = "c99" // matches no customer
			default:
				r["customer_id"] = fmt.Sprintf("c%02d", 1+rng.IntN(nCustomers))
			}
			if chance(70) {
				r["ship_customer_id"] = fmt.Sprintf("c%02d", 1+rng.IntN(nCustomers))
			}
			if chance(92) {
				r["order_date"] = day(base.AddDate(0, 3, 0), 300)
			}
			add("orders", r)
			// Orders with no items, and orders with several (the one-to-many step).
			for line := 1; line <= rng.IntN(5); line++ {
				it := Row{"tenant_id": tn, "order_id": oid, "line_no": int64(line), "quantity": int64(1 + rng.IntN(6)), "line_amount": quarter(100)}
				switch {
				case chance(7): // NULL product
				case chance(7):
					it["product_id"] = int64(50) // matches no product
				default:
					it["product_id"] = int64(1 + rng.IntN(products+1))
				}
				add("order_items", it)
			}
		}
		// An item whose order does not exist.
		add("order_items", Row{"tenant_id": tn, "order_id": "o999", "line_no": int64(1), "product_id": int64(1), "quantity": int64(2), "line_amount": 10.0})
	}
	return s
}
