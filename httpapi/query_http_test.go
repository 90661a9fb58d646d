package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Each tenant's key sees its own rows' totals, per city and in all; an admin key of a dataset
// that allows the bypass sees every tenant's. The numbers are summed from the fixture.
func TestQueryTotalsPerTenant(t *testing.T) {
	g := newGateway(t, nil)
	for _, tc := range []struct {
		key  string
		keep func(order) bool
		rls  bool
	}{
		{keyT1, ofTenant("t1"), true},
		{keyT2, ofTenant("t2"), true},
		{keyAdmin, nil, false},
		{keyNoTenant, func(order) bool { return false }, true},
	} {
		want := groupOrders(g.orders, tc.keep, byCity)
		resp := g.query(tc.key, map[string]any{"dataset": "orders", "dimensions": []string{"city"},
			"metrics": []string{"total_revenue", "orders_count", "total_quantity"}})
		rows := resp.rows(t, "city", "total_revenue", "orders_count", "total_quantity")
		got := map[string]totals{}
		for _, r := range rows {
			got[str(r["city"])] = totals{num(t, r["total_revenue"]), integer(t, r["orders_count"]), integer(t, r["total_quantity"])}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("key %s: by city\n got  %v\n want %v", tc.key, got, want)
		}
		m := resp.json(t)
		cols := fmt.Sprint(m["columns"])
		if cols != "[map[name:city type:string] map[name:total_revenue type:number] map[name:orders_count type:integer] map[name:total_quantity type:integer]]" {
			t.Errorf("columns %s", cols)
		}
		stats := m["stats"].(map[string]any)
		if integer(t, stats["rowCount"]) != int64(len(want)) || stats["rlsApplied"] != tc.rls || stats["truncated"] != false || stats["cacheHit"] != false {
			t.Errorf("key %s: stats %v, want %d rows, rlsApplied %v", tc.key, stats, len(want), tc.rls)
		}

		// A metric alone is one total row.
		all := groupOrders(g.orders, tc.keep, func(order) string { return "" })[""]
		rows = g.query(tc.key, `{"dataset":"orders","metrics":["total_revenue",{"name":"orders_count","alias":"n"}]}`).rows(t, "total_revenue", "n")
		if len(rows) != 1 || integer(t, rows[0]["n"]) != all.count || (all.count > 0 && num(t, rows[0]["total_revenue"]) != all.revenue) {
			t.Errorf("key %s: total %v, want %+v", tc.key, rows, all)
		}
	}
}

// Filters on dimensions filter rows, filters on metrics filter groups; every operator family
// answers what the same condition applied to the fixture gives.
func TestQueryFilters(t *testing.T) {
	g := newGateway(t, nil)
	t1 := ofTenant("t1")
	day := func(n int) time.Time { return fixtureStart.AddDate(0, 0, n) }
	// Thresholds between the t1 cities' own totals, so a metric filter keeps some groups and
	// drops others.
	var revenues []float64
	var counts []int64
	for _, s := range groupOrders(g.orders, t1, byCity) {
		revenues = append(revenues, s.revenue)
		counts = append(counts, s.count)
	}
	slices.Sort(revenues)
	slices.Sort(counts)
	midRevenue := (revenues[len(revenues)/2-1] + revenues[len(revenues)/2]) / 2
	early := func(o order) bool { return o.date.Before(day(45)) }
	var earlyCounts []int64
	for _, s := range groupOrders(g.orders, func(o order) bool { return t1(o) && early(o) }, byCity) {
		earlyCounts = append(earlyCounts, s.count)
	}
	slices.Sort(earlyCounts)
	midCount := earlyCounts[len(earlyCounts)/2]
	if midCount == earlyCounts[0] {
		t.Fatalf("the fixture's early counts %v do not split", earlyCounts)
	}
	cases := []struct {
		name    string
		filters string
		keep    func(order) bool
		having  func(totals) bool
	}{
		{"eq", `{"field":"city","op":"eq","value":"Indore"}`, func(o order) bool { return o.city == "Indore" }, nil},
		{"quote in a value", `{"field":"city","op":"=","value":"O'Hare"}`, func(o order) bool { return o.city == "O'Hare" }, nil},
		{"ne", `{"field":"city","operator":"ne","value":"Indore"}`, func(o order) bool { return o.city != "" && o.city != "Indore" }, nil},
		{"in", `{"field":"city","op":"in","values":["Indore","Pune"]}`, func(o order) bool { return o.city == "Indore" || o.city == "Pune" }, nil},
		{"not_in", `{"field":"city","op":"not_in","values":["Indore"]}`, func(o order) bool { return o.city != "" && o.city != "Indore" }, nil},
		{"list is and", `[{"field":"city","op":"eq","value":"Pune"},{"field":"order_date","op":"gte","value":"2025-02-01"}]`,
			func(o order) bool { return o.city == "Pune" && !o.date.Before(day(31)) }, nil},
		{"or", `{"or":[{"field":"city","op":"eq","value":"Bhopal"},{"field":"city","op":"is_null"}]}`,
			func(o order) bool { return o.city == "Bhopal" || o.city == "" }, nil},
		{"not", `{"not":{"field":"city","op":"eq","value":"Bhopal"}}`, func(o order) bool { return o.city != "" && o.city != "Bhopal" }, nil},
		{"between dates", `{"field":"order_date","op":"between","values":["2025-01-10","2025-01-20"]}`,
			func(o order) bool { return !o.date.Before(day(9)) && !o.date.After(day(19)) }, nil},
		{"contains", `{"field":"city","op":"contains","value":"o"}`, func(o order) bool { return strings.Contains(o.city, "o") }, nil},
		{"starts_with", `{"field":"city","op":"starts_with","value":"B"}`, func(o order) bool { return strings.HasPrefix(o.city, "B") }, nil},
		{"is_not_null", `{"field":"city","op":"is_not_null"}`, func(o order) bool { return o.city != "" }, nil},
		{"metric filter", fmt.Sprintf(`{"field":"total_revenue","op":"gt","value":%v}`, midRevenue), nil, func(s totals) bool { return s.revenue > midRevenue }},
		{"row and group filters", fmt.Sprintf(`{"and":[{"field":"orders_count","op":"gte","value":%d},{"field":"order_date","op":"lt","value":"2025-02-15"}]}`, midCount),
			early, func(s totals) bool { return s.count >= midCount }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keep := func(o order) bool { return t1(o) && (tc.keep == nil || tc.keep(o)) }
			want := groupOrders(g.orders, keep, byCity)
			for k, s := range want {
				if tc.having != nil && !tc.having(s) {
					delete(want, k)
				}
			}
			// A case must keep something and leave something out, or it could not tell a
			// filter applied from one dropped.
			if len(want) == 0 || fmt.Sprint(want) == fmt.Sprint(groupOrders(g.orders, t1, byCity)) {
				t.Fatalf("the case keeps all or nothing: %v", want)
			}
			body := `{"dataset":"orders","dimensions":["city"],"metrics":["total_revenue","orders_count"],"filters":` + tc.filters + `}`
			got := map[string]totals{}
			for _, r := range g.query(keyT1, body).rows(t, "city", "total_revenue", "orders_count") {
				got[str(r["city"])] = totals{revenue: num(t, r["total_revenue"]), count: integer(t, r["orders_count"])}
			}
			for k, s := range want {
				want[k] = totals{revenue: s.revenue, count: s.count}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

// orderBy, limit and offset page through the groups in the asked order.
func TestQueryOrderLimitOffset(t *testing.T) {
	g := newGateway(t, nil)
	want := groupOrders(g.orders, ofTenant("t2"), byCity)
	var cities []string
	for c := range want {
		if c != "<null>" {
			cities = append(cities, c)
		}
	}
	sort.Slice(cities, func(i, j int) bool { return want[cities[i]].revenue > want[cities[j]].revenue })
	body := map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []any{map[string]string{"name": "total_revenue", "alias": "rev"}},
		"filters": map[string]any{"field": "city", "op": "is_not_null"}, "orderBy": []any{map[string]string{"field": "total_revenue", "direction": "desc"}},
		"limit": 2, "offset": 1}
	rows := g.query(keyT2, body).rows(t, "city", "rev")
	var got []string
	for _, r := range rows {
		got = append(got, str(r["city"]))
		if num(t, r["rev"]) != want[str(r["city"])].revenue {
			t.Errorf("%v: revenue %v, want %v", r["city"], r["rev"], want[str(r["city"])].revenue)
		}
	}
	if !slices.Equal(got, cities[1:3]) {
		t.Errorf("page %v, want %v of %v", got, cities[1:3], cities)
	}

	// "-city" orders descending by name; dimensions alone are their distinct values.
	rows = g.query(keyT2, `{"dataset":"orders","dimensions":["city"],"orderBy":["-city"],"filters":{"field":"city","op":"is_not_null"}}`).rows(t, "city")
	got = got[:0]
	for _, r := range rows {
		got = append(got, str(r["city"]))
	}
	sorted := slices.Clone(cities)
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	if !slices.Equal(got, sorted) {
		t.Errorf("distinct cities %v, want %v", got, sorted)
	}
}

// A time grain groups a date dimension by month; an incremental window keeps the days inside
// it, both ends included, and a window longer than the dataset's maxWindowDays is refused.
func TestQueryTimeGrainAndIncrementalWindow(t *testing.T) {
	g := newGateway(t, nil)
	month := func(o order) string { return o.date.Format("2006-01") + "-01" }
	want := groupOrders(g.orders, ofTenant("t1"), month)
	rows := g.query(keyT1, `{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"MONTH","alias":"month"}],"metrics":["total_revenue"],"orderBy":["month"]}`).
		rows(t, "month", "total_revenue")
	var months []string
	for _, r := range rows {
		m := str(r["month"])
		months = append(months, m)
		if num(t, r["total_revenue"]) != want[m].revenue {
			t.Errorf("month %s: %v, want %v", m, r["total_revenue"], want[m].revenue)
		}
	}
	if !slices.Equal(months, []string{"2025-01-01", "2025-02-01", "2025-03-01"}) {
		t.Errorf("months %v", months)
	}

	from, to := fixtureStart.AddDate(0, 0, 20), fixtureStart.AddDate(0, 0, 40)
	inWindow := func(o order) bool { return o.tenant == "t1" && !o.date.Before(from) && !o.date.After(to) }
	wantCity := groupOrders(g.orders, inWindow, byCity)
	body := fmt.Sprintf(`{"dataset":"orders","dimensions":["city"],"metrics":["orders_count","total_revenue"],"incrementalFrom":%q,"incrementalTo":%q}`,
		from.Format(time.DateOnly), to.Format(time.DateOnly))
	got := map[string]totals{}
	for _, r := range g.query(keyT1, body).rows(t, "city", "orders_count", "total_revenue") {
		got[str(r["city"])] = totals{revenue: num(t, r["total_revenue"]), count: integer(t, r["orders_count"])}
	}
	for k, s := range wantCity {
		wantCity[k] = totals{revenue: s.revenue, count: s.count}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantCity) {
		t.Errorf("window %s..%s\n got  %v\n want %v", from.Format(time.DateOnly), to.Format(time.DateOnly), got, wantCity)
	}

	// An RFC 3339 bound works too; a window of more than 31 days is refused by name.
	resp := g.query(keyT1, `{"dataset":"orders","metrics":["orders_count"],"incrementalFrom":"2025-01-01T00:00:00Z","incrementalTo":"2025-01-31T00:00:00Z"}`)
	n := integer(t, resp.rows(t, "orders_count")[0]["orders_count"])
	wantN := groupOrders(g.orders, func(o order) bool { return o.tenant == "t1" && o.date.Before(fixtureStart.AddDate(0, 0, 31)) }, func(order) string { return "" })[""].count
	if n != wantN {
		t.Errorf("January by timestamps: %d orders, want %d", n, wantN)
	}
	msg := g.query(keyT1, `{"dataset":"orders","metrics":["orders_count"],"incrementalFrom":"2025-01-01","incrementalTo":"2025-03-01"}`).
		checkError(t, http.StatusBadRequest, "incremental_window_exceeded", "")
	if !strings.Contains(msg, "maxWindowDays of 31") {
		t.Errorf("window refusal: %s", msg)
	}
	for _, bad := range []string{
		`{"dataset":"orders","metrics":["orders_count"],"incrementalTo":"2025-01-31"}`,
		`{"dataset":"orders","metrics":["orders_count"],"incrementalFrom":"January"}`,
		`{"dataset":"orders","metrics":["orders_count"],"incrementalFrom":"2025-01-31","incrementalTo":"2025-01-01"}`,
		`{"dataset":"products","metrics":["list_value"],"incrementalFrom":"2025-01-01"}`,
	} {
		g.query(keyT1, bad).checkError(t, http.StatusBadRequest, "invalid_query", "22023")
	}
}
