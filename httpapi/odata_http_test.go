package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// odataRows reads an OData collection page: its rows, @odata.count (-1 when absent) and
// @odata.nextLink as a path on the test server ("" when absent).
func (g *gateway) odataRows(path, key string) (rows []map[string]any, count int64, next string) {
	g.t.Helper()
	resp := g.get(path, key)
	if resp.status != http.StatusOK {
		g.t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
	}
	if resp.header.Get("OData-Version") != "4.0" || !strings.HasPrefix(resp.header.Get("Content-Type"), "application/json;odata.metadata=minimal") {
		g.t.Errorf("GET %s: headers %v", path, resp.header)
	}
	m := resp.json(g.t)
	for _, v := range m["value"].([]any) {
		rows = append(rows, v.(map[string]any))
	}
	count = -1
	if c, ok := m["@odata.count"]; ok {
		count = integer(g.t, c)
	}
	if l, ok := m["@odata.nextLink"].(string); ok {
		if !strings.HasPrefix(l, g.url+"/") {
			g.t.Fatalf("nextLink %q is not on this server (%s)", l, g.url)
		}
		next = strings.TrimPrefix(l, g.url)
	}
	return rows, count, next
}

// checkODataError checks OData's error shape and returns the message.
func (r response) checkODataError(t *testing.T, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if r.header.Get("OData-Version") != "4.0" {
		t.Errorf("OData error without OData-Version: %v", r.header)
	}
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("not an OData error: %s", r.body)
	}
	if e["code"] != code {
		t.Errorf("code %v, want %q: %s", e["code"], code, r.body)
	}
	inner, _ := e["innererror"].(map[string]any)
	if id := r.header.Get("X-Request-ID"); id == "" || inner["request_id"] != id {
		t.Errorf("innererror %v, X-Request-ID %q", inner, id)
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Errorf("OData error without a message: %s", r.body)
	}
	return msg
}

// The service document and $metadata list exactly the entity sets the key may see.
func TestODataServiceAndMetadata(t *testing.T) {
	g := newGateway(t, nil)
	for _, base := range []string{"/odata", "/odata/", "/v1/odata"} {
		resp := g.get(base, keyT1)
		m := resp.json(t)
		wantCtx := g.url + strings.TrimSuffix(base, "/") + "/$metadata"
		if resp.status != http.StatusOK || m["@odata.context"] != wantCtx {
			t.Errorf("GET %s: %d context %v, want %s", base, resp.status, m["@odata.context"], wantCtx)
		}
		var sets []string
		for _, v := range m["value"].([]any) {
			e := v.(map[string]any)
			sets = append(sets, fmt.Sprint(e["name"], ":", e["url"], ":", e["kind"]))
		}
		if !slices.Equal(sets, []string{"orders:orders:EntitySet", "products:products:EntitySet"}) {
			t.Errorf("GET %s: entity sets %v", base, sets)
		}
	}
	m := g.get("/odata", keyScoped).json(t)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["name"] != "products" {
		t.Errorf("scoped key sees %v", v)
	}

	resp := g.get("/odata/$metadata", keyT1)
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "application/xml") || resp.header.Get("OData-Version") != "4.0" {
		t.Fatalf("$metadata: %d %v", resp.status, resp.header)
	}
	x := string(resp.body)
	for _, want := range []string{`<EntityType Name="orders">`, `<EntityType Name="products">`, `<PropertyRef Name="_key"`,
		`<Property Name="city" Type="Edm.String"`, `<Property Name="order_date" Type="Edm.Date"`, `<Property Name="total_revenue" Type="Edm.Double"`,
		`<EntitySet Name="orders" EntityType=`} {
		if !strings.Contains(x, want) {
			t.Errorf("$metadata lacks %s:\n%s", want, x)
		}
	}
	if x := string(g.get("/odata/$metadata", keyScoped).body); strings.Contains(x, `Name="orders"`) {
		t.Errorf("$metadata shows a scoped-away dataset:\n%s", x)
	}
}

// $select, $filter, $orderby and $count answer what the fixture gives; each entity carries its
// key, the JSON array of its dimension values.
func TestODataEntitySet(t *testing.T) {
	g := newGateway(t, nil)
	keep := func(o order) bool { return o.tenant == "t1" && o.city != "Pune" && o.city != "" }
	want := groupOrders(g.orders, keep, byCity)
	var cities []string
	for c := range want {
		cities = append(cities, c)
	}
	sort.Slice(cities, func(i, j int) bool { return want[cities[i]].revenue > want[cities[j]].revenue })

	q := url.Values{"$select": {"city,total_revenue,orders_count"}, "$filter": {"city ne 'Pune' and city ne null"},
		"$orderby": {"total_revenue desc"}, "$count": {"true"}}
	rows, count, next := g.odataRows("/odata/orders?"+q.Encode(), keyT1)
	if count != int64(len(want)) || next != "" {
		t.Errorf("count %d next %q, want %d and none", count, next, len(want))
	}
	var got []string
	for _, r := range rows {
		c := str(r["city"])
		got = append(got, c)
		if num(t, r["total_revenue"]) != want[c].revenue || integer(t, r["orders_count"]) != want[c].count {
			t.Errorf("%s: %v, want %+v", c, r, want[c])
		}
		if r["_key"] != `["`+strings.ReplaceAll(c, `"`, `\"`)+`"]` {
			t.Errorf("%s: key %v", c, r["_key"])
		}
		if len(r) != 4 {
			t.Errorf("entity has %d properties, want _key and the three selected: %v", len(r), r)
		}
	}
	if !slices.Equal(got, cities) {
		t.Errorf("order %v, want %v", got, cities)
	}

	// Without $select an entity has every dimension and metric; /$count counts the entities.
	day := fixtureStart.AddDate(0, 0, 9)
	keepDay := func(o order) bool {
		return o.tenant == "t2" && !o.date.Before(day) && o.date.Before(day.AddDate(0, 0, 7))
	}
	wantDay := groupOrders(g.orders, keepDay, func(o order) string { return cityKey(o.city) + "|" + o.date.Format(time.DateOnly) })
	filter := url.Values{"$filter": {"order_date ge 2025-01-10 and order_date lt 2025-01-17"}}
	rows, _, _ = g.odataRows("/odata/orders?"+filter.Encode(), keyT2)
	if len(rows) != len(wantDay) {
		t.Errorf("%d entities, want %d", len(rows), len(wantDay))
	}
	for _, r := range rows {
		k := str(r["city"]) + "|" + str(r["order_date"])
		w, ok := wantDay[k]
		if !ok || num(t, r["total_revenue"]) != w.revenue || integer(t, r["orders_count"]) != w.count || integer(t, r["total_quantity"]) != w.quantity {
			t.Errorf("entity %s: %v, want %+v", k, r, w)
		}
	}
	resp := g.get("/odata/orders/$count?"+filter.Encode(), keyT2)
	if resp.status != http.StatusOK || string(resp.body) != strconv.Itoa(len(wantDay)) || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
		t.Errorf("$count: %d %q, want %d", resp.status, resp.body, len(wantDay))
	}

	// $apply groups and aggregates as asked.
	apply := url.Values{"$apply": {"filter(city eq 'Indore')/groupby((city),aggregate(total_revenue with sum as rev))"}}
	rows, _, _ = g.odataRows("/odata/orders?"+apply.Encode(), keyT1)
	indore := groupOrders(g.orders, func(o order) bool { return o.tenant == "t1" && o.city == "Indore" }, byCity)["Indore"]
	if len(rows) != 1 || rows[0]["city"] != "Indore" || num(t, rows[0]["rev"]) != indore.revenue {
		t.Errorf("$apply: %v, want Indore %v", rows, indore.revenue)
	}
}

// Server-driven paging: following @odata.nextLink reads every entity once, in pages of the
// server's size; $top and $skip cut the same ordered result.
func TestODataPaging(t *testing.T) {
	g := newGateway(t, func(c *Config) { c.ODataPageSize = 7 })
	key := func(o order) string { return cityKey(o.city) + "|" + o.date.Format(time.DateOnly) }
	want := groupOrders(g.orders, ofTenant("t1"), key)
	type entity struct {
		key string
		rev float64
	}
	read := func(path string) (all []entity, pages int) {
		for next := path; next != ""; pages++ {
			if pages > len(want) {
				t.Fatalf("more pages than entities: the nextLinks do not end")
			}
			var rows []map[string]any
			rows, _, next = g.odataRows(next, keyT1)
			if len(rows) > 7 {
				t.Errorf("page of %d rows, page size 7", len(rows))
			}
			if strings.Contains(next, "$skiptoken") {
				t.Errorf("a nextLink with a $skiptoken and no admission: %s", next)
			}
			for _, r := range rows {
				all = append(all, entity{str(r["city"]) + "|" + str(r["order_date"]), num(t, r["total_revenue"])})
			}
		}
		return all, pages
	}
	all, pages := read("/odata/orders?$select=city,order_date,total_revenue")
	if len(all) != len(want) || pages != (len(want)+6)/7 {
		t.Errorf("%d entities in %d pages, want %d in %d", len(all), pages, len(want), (len(want)+6)/7)
	}
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.key] {
			t.Errorf("entity %s read twice", e.key)
		}
		seen[e.key] = true
		if w, ok := want[e.key]; !ok || w.revenue != e.rev {
			t.Errorf("entity %s: revenue %v, want %+v", e.key, e.rev, w)
		}
	}
	window, _ := read("/odata/orders?$select=city,order_date,total_revenue&$skip=3&$top=10")
	if len(window) != 10 || !slices.Equal(window, all[3:13]) {
		t.Errorf("$skip=3&$top=10: %v\nwant %v", window, all[3:13])
	}
}

// OData refusals come in OData's error shape, with the request id inside.
func TestODataRefusals(t *testing.T) {
	g := newGateway(t, nil)
	for _, tc := range []struct {
		path, key string
		status    int
		code      string
	}{
		{"/odata/invoices", keyT1, 404, "dataset_not_found"},
		{"/odata/orders", keyScoped, 404, "dataset_not_found"},
		{"/odata/orders('x')", keyT1, 501, "not_supported"},
		{"/odata/orders/city", keyT1, 501, "not_supported"},
		{"/odata/orders?$expand=x", keyT1, 501, "not_supported"},
		{"/odata/orders?$format=xml", keyT1, 501, "not_supported"},
		{"/odata/orders?$bogus=1", keyT1, 400, "invalid_request"},
		{"/odata/orders?$top=-1", keyT1, 400, "invalid_request"},
		{"/odata/orders?$count=maybe", keyT1, 400, "invalid_request"},
		{"/odata/orders?$select=_key", keyT1, 400, "invalid_request"},
		{"/odata/orders?$select=country", keyT1, 400, "invalid_request"},
		{"/odata/orders?$orderby=country", keyT1, 400, "invalid_request"},
		{"/odata/orders?$filter=" + url.QueryEscape("city eq"), keyT1, 400, "invalid_request"},
		{"/odata/orders?$filter=" + url.QueryEscape("order_date ge 2025-01-01 and order_date le 2025-03-15"), keyT1, 400, "incremental_window_exceeded"},
		{"/odata/orders/$count?$filter=" + url.QueryEscape("nope eq 1"), keyT1, 400, "invalid_request"},
		{"/odata/orders", "", 401, "authentication_required"},
		{"/odata/orders", "wrong", 403, "invalid_api_key"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			g.get(tc.path, tc.key).checkODataError(t, tc.status, tc.code)
		})
	}
}
