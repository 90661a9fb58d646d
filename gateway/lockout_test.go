package gateway

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/internal/clientaddr"
)

// tryFrom is try with the client's socket bound to the loopback address from (127.0.0.x), so
// one test can log in from several addresses.
func tryFrom(from, dsn, sql string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Fallbacks = nil
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	cfg.DialFunc = d.DialContext
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	return tryRows(conn, sql)
}

// callFrom is keyEnv.call with an X-Forwarded-For header; it returns the status and the error
// code of the JSON body.
func callFrom(t *testing.T, base, forwardedFor, key string) (int, string) {
	t.Helper()
	c := &httpClient{t: t, base: base}
	var hdr []string
	if forwardedFor != "" {
		hdr = []string{"X-Forwarded-For", forwardedFor}
	}
	r := c.do("GET", "/v1/datasets", key, nil, hdr...)
	code, _ := r.json(t)["error"].(string)
	return r.status, code
}

func scrape(t *testing.T, gw *Gateway) string {
	t.Helper()
	r := newHTTPClient(t, gw).do("GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("/metrics: %d", r.status)
	}
	return string(r.body)
}

// Failed logins naming a victim's key id from other addresses, by clear text and by SCRAM,
// lock those addresses out for that key id but never the victim's correct key elsewhere.
func TestWireVictimKeyAfterForgedFailures(t *testing.T) {
	e := newKeyEnv(t)
	id := keyID(e.viewer)
	attackers := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"}
	for _, from := range attackers {
		for i := 0; i < 10; i++ {
			var err error
			if i%2 == 0 {
				_, err = tryFrom(from, e.dsn("bi", "sp_"+id+"_"+strings.Repeat("b", 52)), "SELECT 1")
			} else {
				_, err = tryFrom(from, e.dsn(id, "guess"), "SELECT 1")
			}
			if pgCode(err) != "28P01" {
				t.Fatalf("forged failure %d from %s: %v, want 28P01", i+1, from, err)
			}
		}
	}
	// 30 failures for the id from anywhere: the victim still logs in, both ways, and over HTTP.
	for _, dsn := range []string{e.dsn("bi", e.viewer), e.dsn(id, e.viewer)} {
		if rows, err := tryFrom("127.0.0.1", dsn, tenantARevenue); err != nil || len(rows) != 2 {
			t.Errorf("victim's key after 30 forged failures: %v %v", rows, err)
		}
	}
	if code, body := e.call("GET", "/v1/datasets", e.viewer, nil); code != 200 {
		t.Errorf("victim's key over HTTP: %d %v", code, body)
	}
	// An attacker's address is over its limit for that key id: refused even with the right
	// secret (28000, not checked) ...
	for _, dsn := range []string{e.dsn("bi", e.viewer), e.dsn(id, e.viewer)} {
		if _, err := tryFrom(attackers[0], dsn, "SELECT 1"); pgCode(err) != "28000" {
			t.Errorf("good key from an address locked out for it: %v, want 28000", err)
		}
	}
	// ... but not for other keys: its own budget (30) is not spent.
	if _, err := tryFrom(attackers[0], e.dsn("bi", e.admin), "SELECT 1"); err != nil {
		t.Errorf("another key from that address: %v", err)
	}
	// Every failure reached setu_auth_failures_total for the pg door, and the id raised one alarm.
	text := scrape(t, e.gw)
	if v, _ := metricValue(text, `setu_auth_failures_total{protocol="pg",reason="invalid"}`); v != 30 {
		t.Errorf("pg invalid auth failures = %v, want 30", v)
	}
	if v, _ := metricValue(text, `setu_auth_failures_total{protocol="pg",reason="locked"}`); v != 2 {
		t.Errorf("pg locked auth failures = %v, want 2", v)
	}
	if v, _ := metricValue(text, "setu_auth_key_failure_alarms_total"); v != 1 {
		t.Errorf("key failure alarms = %v, want 1", v)
	}
	if v, _ := metricValue(text, `setu_auth_lockouts_total{by="addr_key"}`); v != 3 {
		t.Errorf("pair lockouts = %v, want 3", v)
	}
}

// Behind a trusted proxy each forwarded client has its own budget: failures forged for the
// victim's key id from other forwarded addresses do not refuse the victim.
func TestHTTPVictimKeyBehindTrustedProxy(t *testing.T) {
	e := newKeyEnv(t, func(c *Config) {
		r, err := clientaddr.Parse("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = r
	})
	base := "http://" + e.gw.HTTPAddr().String()
	id := keyID(e.viewer)
	wrong := "sp_" + id + "_" + strings.Repeat("c", 52)
	for i := 0; i < 30; i++ {
		// A client-chosen hop on the left is not believed; the proxy's own hop is.
		xff := fmt.Sprintf("10.9.9.9, 198.51.100.%d", 1+i%3)
		if status, code := callFrom(t, base, xff, wrong); status != 403 || code != "invalid_api_key" {
			t.Fatalf("forged failure %d: %d %s", i+1, status, code)
		}
	}
	for _, xff := range []string{"203.0.113.7", ""} {
		if status, code := callFrom(t, base, xff, e.viewer); status != 200 {
			t.Errorf("victim (X-Forwarded-For %q) after 30 forged failures: %d %s", xff, status, code)
		}
	}
	// The forging addresses are locked out for the key id, with the right secret too.
	if status, code := callFrom(t, base, "198.51.100.1", e.viewer); status != 429 || code != "too_many_failed_logins" {
		t.Errorf("good key from a locked-out forwarded address: %d %s, want 429", status, code)
	}
	// The victim's pg wire login is not affected either.
	if _, err := try(e.dsn("bi", e.viewer), "SELECT 1"); err != nil {
		t.Errorf("victim over pg wire: %v", err)
	}
	// The audit log names the forwarded client, not the proxy.
	if !strings.Contains(e.logs.String(), "remote_addr=198.51.100.1") {
		t.Error("the lockout is not logged with the forwarded client's address")
	}
}

// A peer that is not a trusted proxy cannot choose its address with X-Forwarded-For: its
// failures count against the peer, whatever the header says.
func TestHTTPUntrustedForwardedForIgnored(t *testing.T) {
	e := newKeyEnv(t, func(c *Config) {
		r, err := clientaddr.Parse("10.0.0.0/8")
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = r
	})
	base := "http://" + e.gw.HTTPAddr().String()
	for i := 0; i < 30; i++ {
		// No key id, so only the address counts; a new forwarded address every time.
		status, code := callFrom(t, base, fmt.Sprintf("198.51.100.%d", i+1), "guess")
		if status != 403 || code != "invalid_api_key" {
			t.Fatalf("failure %d: %d %s", i+1, status, code)
		}
	}
	if status, code := callFrom(t, base, "203.0.113.50", e.admin); status != 429 || code != "too_many_failed_logins" {
		t.Errorf("good key from the locked-out peer with a fresh X-Forwarded-For: %d %s, want 429", status, code)
	}
	// The peer's lockout holds on pg wire too, with the right secret: 28000.
	if _, err := try(e.dsn("bi", e.admin), "SELECT 1"); pgCode(err) != "28000" {
		t.Errorf("pg wire from the locked-out peer: %v, want 28000", err)
	}
	// Another address is not locked out.
	if _, err := tryFrom("127.0.0.5", e.dsn("bi", e.admin), "SELECT 1"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// The demo keys have the per-address limit too, over both doors, sharing one budget.
func TestDemoKeysThrottledPerAddress(t *testing.T) {
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	dsn := func(key string) string {
		return fmt.Sprintf("host=%s port=%s user=demo dbname=setupranali password=%s sslmode=disable", host, port, key)
	}
	for i := 0; i < 30; i++ {
		if _, err := tryFrom("127.0.0.2", dsn(fmt.Sprintf("guess-%d", i)), "SELECT 1"); pgCode(err) != "28P01" {
			t.Fatalf("guess %d: %v, want 28P01", i+1, err)
		}
	}
	if _, err := tryFrom("127.0.0.2", dsn("tenantA-key"), "SELECT 1"); pgCode(err) != "28000" {
		t.Errorf("demo key from the locked-out address: %v, want 28000", err)
	}
	if rows, err := tryFrom("127.0.0.1", dsn("tenantA-key"), tenantARevenue); err != nil || len(rows) != 2 {
		t.Errorf("demo key from another address: %v %v", rows, err)
	}
	// Bad passwords over pg wire are counted in setu_auth_failures_total.
	text := scrape(t, gw)
	if v, _ := metricValue(text, `setu_auth_failures_total{protocol="pg",reason="invalid"}`); v != 30 {
		t.Errorf("pg invalid auth failures = %v, want 30", v)
	}
	if v, _ := metricValue(text, `setu_auth_failures_total{protocol="pg",reason="locked"}`); v != 1 {
		t.Errorf("pg locked auth failures = %v, want 1", v)
	}
	if v, _ := metricValue(text, `setu_auth_lockouts_total{by="addr"}`); v != 1 {
		t.Errorf("address lockouts = %v, want 1", v)
	}
	// HTTP from an address that is not locked out works.
	base := "http://" + gw.HTTPAddr().String()
	if status, _ := callFrom(t, base, "", "tenantA-key"); status != 200 {
		t.Errorf("demo key over HTTP: %d", status)
	}
}
