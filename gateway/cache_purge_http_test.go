package gateway

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

// POST /internal/cache/purge empties the result cache for admin keys only; the next identical
// query is a miss again.
func TestCachePurgeOverHTTP(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	const q = "SELECT city, total_revenue FROM orders ORDER BY city"
	for i := 0; i < 2; i++ {
		testkit.RowsText(t, conn, q)
	}
	if st := gw.cache.Cache.Stats(); st.Hits != 1 || st.Misses != 1 {
		t.Fatalf("before the purge: %+v, want one miss then one hit", st)
	}
	purge := func(key, query string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+gw.HTTPAddr().String()+"/internal/cache/purge"+query, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := purge("tenantA-key", ""); code != http.StatusForbidden {
		t.Errorf("a viewer key purged: %d %v", code, body)
	}
	if code, body := purge("dev-key-123", "?dataset=orders"); code != http.StatusOK || body["purged"] != float64(1) {
		t.Errorf("admin purge of orders: %d %v, want 200 with one entry purged", code, body)
	}
	testkit.RowsText(t, conn, q)
	if st := gw.cache.Cache.Stats(); st.Misses != 2 {
		t.Errorf("after the purge: %+v, want the query to miss again", st)
	}
}
