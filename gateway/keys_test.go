package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/state"
)

// testCA is a certificate authority made for one test, and a server certificate it signed.
type testCA struct {
	caFile, certFile, keyFile string
}

// newTestCA writes a CA certificate and a server certificate for hosts (IP addresses or names)
// to dir, with names prefixed by name.
func newTestCA(t *testing.T, dir, name string, hosts ...string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "setupranali test server"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	c := testCA{
		caFile:   filepath.Join(dir, name+"-ca.pem"),
		certFile: filepath.Join(dir, name+"-server.pem"),
		keyFile:  filepath.Join(dir, name+"-server.key"),
	}
	write := func(path, typ string, der []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(c.caFile, "CERTIFICATE", caDER)
	write(c.certFile, "CERTIFICATE", leafDER)
	write(c.keyFile, "EC PRIVATE KEY", keyDER)
	return c
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testClock is a settable clock for the key store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// keyEnv is a production-mode gateway over a fresh state DB with TLS from a test CA. Every log
// line of the gateway is captured; when the test ends, no secret of a key the test made may
// appear in it.
type keyEnv struct {
	t       *testing.T
	dir     string
	ca      testCA
	gw      *Gateway
	logs    *lockedBuffer
	clock   *testClock
	secrets []string
	// viewer is a tenantA key scoped to orders; admin an admin key with every dataset.
	viewer, admin string
}

// twoDatasetCatalog is the demo catalog plus a second dataset over the same table, so scopes
// have something to hide.
func twoDatasetCatalog(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra := `
  - id: shipments
    name: Shipments
    source: { engine: duckdb, type: table, reference: orders }
    fields:
      - { name: order_id, type: string, semanticType: identifier }
      - { name: tenant_id, type: string, semanticType: dimension }
      - { name: city, type: string, semanticType: dimension }
    dimensions:
      - { name: city, field: city, label: City }
    metrics:
      - name: shipments_count
        label: Shipments
        expression: { type: aggregation, agg: count, field: order_id }
        returnType: int64
    rls: { enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true }
`
	path := filepath.Join(dir, "catalog.yaml")
	if err := os.WriteFile(path, append(b, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKeyEnv(t *testing.T, mutate ...func(*Config)) *keyEnv {
	t.Helper()
	dir := t.TempDir()
	e := &keyEnv{t: t, dir: dir, logs: &lockedBuffer{}, clock: &testClock{t: time.Now()}}
	e.ca = newTestCA(t, dir, "one", "127.0.0.1", "localhost", nonLoopbackIP())
	stateDB := filepath.Join(dir, "state.db")

	db, err := state.Open(context.Background(), stateDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	e.viewer = e.create(keys, auth.KeySpec{Name: "viewer", Tenants: []string{"tenantA"}, Role: auth.RoleViewer, Scopes: []string{"orders"}})
	e.admin = e.create(keys, auth.KeySpec{Name: "admin", Tenants: []string{"default"}, Role: auth.RoleAdmin})
	keys.Close()
	db.Close()

	cfg, err := Default(), error(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env = "production"
	cfg.PGAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Catalog = twoDatasetCatalog(t, dir)
	cfg.StateDB = stateDB
	cfg.TLSCert, cfg.TLSKey = e.ca.certFile, e.ca.keyFile
	cfg.clock = e.clock.Now
	for _, m := range mutate {
		m(&cfg)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		e.assertNoSecretLogged()
	})
	return e
}

func (e *keyEnv) create(keys *auth.Keys, spec auth.KeySpec) string {
	e.t.Helper()
	key, _, err := keys.Create(context.Background(), spec, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	e.secrets = append(e.secrets, key)
	return key
}

// store is the running gateway's key store.
func (e *keyEnv) store() *auth.Keys { return e.gw.keys.Keys() }

func (e *keyEnv) assertNoSecretLogged() {
	logs := e.logs.String()
	if logs == "" {
		e.t.Error("no log lines captured")
	}
	for _, k := range e.secrets {
		if i := strings.LastIndex(k, "_"); strings.Contains(logs, k[i+1:]) {
			e.t.Errorf("a key secret appears in the logs")
		}
	}
}

// nonLoopbackIP is an IPv4 address of this machine that is not loopback, or "".
func nonLoopbackIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

// dsn builds a connection string to the gateway; extra adds or overrides settings.
func (e *keyEnv) dsn(user, password string, extra ...string) string {
	host, port, _ := net.SplitHostPort(e.gw.Addr().String())
	parts := []string{"host=" + host, "port=" + port, "user=" + user, "dbname=setupranali", "password=" + password,
		"sslmode=verify-full", "sslrootcert=" + e.ca.caFile, "connect_timeout=10"}
	return strings.Join(append(parts, extra...), " ")
}

// try connects and runs a query, returning its rows as text or the error.
func try(dsn, sql string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	// One attempt: pgx would otherwise retry without TLS after a refusal, hiding the reason.
	cfg.Fallbacks = nil
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	return tryRows(conn, sql)
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func keyID(key string) string { return auth.KeyIDOf(key) }

const tenantARevenue = "SELECT city, total_revenue FROM orders ORDER BY city"

func TestProductionStartsOnlyWithKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := Default(), error(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env, cfg.PGAddr, cfg.Catalog = "production", "127.0.0.1:0", "../catalog.yaml"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.StateDB = filepath.Join(dir, "state.db")
	_, err = Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "no active") {
		t.Fatalf("production with an empty key store: %v", err)
	}
	// A key made in the state DB, as 'setupranali keys create' makes it (tested in cmd).
	db, err := state.Open(context.Background(), cfg.StateDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	key, _, err := keys.Create(context.Background(), auth.KeySpec{Name: "ops", Role: auth.RoleAdmin}, "test")
	keys.Close()
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	gw, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	// The demo keys are not keys in production.
	if _, err := try(fmt.Sprintf("host=%s port=%s user=x password=dev-key-123 sslmode=disable", host, port), "SELECT 1"); pgCode(err) != "28P01" {
		t.Errorf("demo key in production: %v", err)
	}
	rows, err := try(fmt.Sprintf("host=%s port=%s user=x password=%s sslmode=disable", host, port, key), "SELECT count(*) FROM orders")
	if err != nil || len(rows) != 1 {
		t.Errorf("created key: %v %v", rows, err)
	}
}

func TestWireTLSAndSCRAM(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)
	id := keyID(e.viewer)
	want := []string{"Bhopal|500", "Indore|1000"}
	cases := []struct {
		name string
		dsn  string
	}{
		{"cleartext over TLS", e.dsn("bi", e.viewer)},
		{"SCRAM without TLS", e.dsn(id, e.viewer, "sslmode=disable")},
		{"SCRAM over TLS, no channel binding", e.dsn(id, e.viewer, "channel_binding=disable")},
		{"SCRAM-SHA-256-PLUS over TLS", e.dsn(id, e.viewer, "channel_binding=require")},
		{"direct TLS", e.dsn("bi", e.viewer, "sslnegotiation=direct")},
		{"direct TLS with SCRAM-PLUS", e.dsn(id, e.viewer, "sslnegotiation=direct", "channel_binding=require")},
		{"cleartext from loopback without TLS", e.dsn("bi", e.viewer, "sslmode=disable")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rows, err := try(c.dsn, tenantARevenue)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rows, want) {
				t.Errorf("rows %v, want %v", rows, want)
			}
		})
	}
	// A key given as the user name is refused before it can reach a log line.
	if _, err := try(e.dsn(e.viewer, e.viewer), "SELECT 1"); pgCode(err) != "28000" {
		t.Errorf("key as the user name: %v", err)
	}
	// A wrong secret fails SCRAM; so does an id that is no key, the same way.
	wrong := e.viewer[:len(e.viewer)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(e.viewer, "a")]
	for _, dsn := range []string{e.dsn(id, wrong), e.dsn("aaaaaaaaaaaaaaaa", e.viewer, "sslmode=disable")} {
		if _, err := try(dsn, "SELECT 1"); pgCode(err) != "28P01" {
			t.Errorf("bad SCRAM login: %v", err)
		}
	}
}

func TestWireCleartextNeedsTLSOffLoopback(t *testing.T) {
	t.Parallel()
	ip := nonLoopbackIP()
	mutate := func(c *Config) { c.PGAddr = net.JoinHostPort(ip, "0") }
	if ip == "" {
		// No other interface: the same rule, with the loopback exemption turned off.
		mutate = func(c *Config) { c.PGCleartext = "tls" }
	}
	e := newKeyEnv(t, mutate)
	_, err := try(e.dsn("bi", e.viewer, "sslmode=disable"), "SELECT 1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || !strings.Contains(pe.Message, "clear text") {
		t.Fatalf("cleartext without TLS from %q: %v", ip, err)
	}
	if _, err := try(e.dsn("bi", e.viewer), "SELECT 1"); err != nil {
		t.Errorf("cleartext over TLS: %v", err)
	}
	if _, err := try(e.dsn(keyID(e.viewer), e.viewer, "sslmode=disable"), "SELECT 1"); err != nil {
		t.Errorf("SCRAM without TLS: %v", err)
	}
	if !strings.Contains(e.logs.String(), "clear-text password not allowed") {
		t.Error("refusal not logged")
	}
}

func TestWireRequireTLS(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t, func(c *Config) { c.TLSRequire = true })
	if _, err := try(e.dsn(keyID(e.viewer), e.viewer, "sslmode=disable"), "SELECT 1"); pgCode(err) != "28000" {
		t.Errorf("no TLS with TLS required: %v", err)
	}
	if _, err := try(e.dsn(keyID(e.viewer), e.viewer), "SELECT 1"); err != nil {
		t.Errorf("TLS with TLS required: %v", err)
	}
}

func TestWireKeyStates(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)
	ctx := context.Background()
	ks := e.store()
	expiring := e.create(ks, auth.KeySpec{Name: "temp", Tenants: []string{"tenantA"}, Role: auth.RoleViewer, Expires: e.clock.Now().Add(time.Hour)})
	revoked := e.create(ks, auth.KeySpec{Name: "gone", Tenants: []string{"tenantA"}, Role: auth.RoleViewer})
	rotating := e.create(ks, auth.KeySpec{Name: "rot", Tenants: []string{"tenantA"}, Role: auth.RoleViewer})

	both := func(key string) map[string]error {
		out := map[string]error{}
		_, out["cleartext"] = try(e.dsn("bi", key), "SELECT 1")
		_, out["scram"] = try(e.dsn(keyID(key), key, "channel_binding=require"), "SELECT 1")
		return out
	}
	expect := func(what, key, code, msg string) {
		t.Helper()
		for proto, err := range both(key) {
			var pe *pgconn.PgError
			if code == "" {
				if err != nil {
					t.Errorf("%s over %s: %v", what, proto, err)
				}
				continue
			}
			if !errors.As(err, &pe) || pe.Code != code || !strings.Contains(pe.Message, msg) {
				t.Errorf("%s over %s: %v, want %s %q", what, proto, err, code, msg)
			}
		}
	}
	if err := ks.Revoke(ctx, keyID(revoked), "test"); err != nil {
		t.Fatal(err)
	}
	expect("revoked key", revoked, "28P01", "revoked")
	expect("key before expiry", expiring, "", "")
	e.clock.Add(time.Hour)
	expect("expired key", expiring, "28P01", "expired")

	rotated, err := ks.Rotate(ctx, keyID(rotating), 30*time.Minute, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.secrets = append(e.secrets, rotated)
	expect("old secret in grace", rotating, "", "")
	expect("new secret", rotated, "", "")
	e.clock.Add(30 * time.Minute)
	expect("old secret after grace", rotating, "28P01", "invalid API key")
	expect("new secret after grace", rotated, "", "")

	events, err := e.gw.keys.db.AuditLog(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev.Event]++
		if ev.Event == auth.EventRevokedKeyUsed && !strings.HasPrefix(ev.RemoteAddr, "127.0.0.1:") {
			t.Errorf("revoked use without the remote address: %+v", ev)
		}
	}
	if seen[auth.EventRevokedKeyUsed] != 2 || seen[auth.EventExpiredKeyUsed] != 2 || seen[auth.EventKeyRotated] != 1 || seen[auth.EventAuthFailed] != 2 {
		t.Errorf("audit events %v", seen)
	}
}

func TestWireScopesHideDatasets(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)
	// The viewer is scoped to orders: shipments does not exist for it, in queries or catalogs.
	for _, dsn := range []string{e.dsn("bi", e.viewer), e.dsn(keyID(e.viewer), e.viewer)} {
		if _, err := try(dsn, "SELECT city, shipments_count FROM shipments"); pgCode(err) != "42P01" {
			t.Errorf("out-of-scope dataset: %v, want 42P01", err)
		}
		if _, err := try(dsn, "SELECT o.city FROM orders o JOIN shipments s ON o.city = s.city"); pgCode(err) != "42P01" {
			t.Errorf("out-of-scope dataset in a join: %v, want 42P01", err)
		}
	}
	catalogs := map[string]string{
		"information_schema.tables":  "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
		"information_schema.columns": "SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1",
		"pg_class":                   "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
	}
	for name, sql := range catalogs {
		scoped, want := []string{"orders"}, []string{"customers", "orders", "shipments"}
		if name == "pg_class" {
			// pg_class also holds the primary key indexes: orders' in the scoped key's sight,
			// customers' out of it.
			scoped, want = []string{"orders", "orders_pkey"}, []string{"customers", "customers_pkey", "orders", "orders_pkey", "shipments"}
		}
		got, err := try(e.dsn("bi", e.viewer), sql)
		if err != nil || !slices.Equal(got, scoped) {
			t.Errorf("%s for the scoped key: %v %v, want %v", name, got, err, scoped)
		}
		got, err = try(e.dsn("bi", e.admin), sql)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s for the unscoped key: %v %v", name, got, err)
		}
	}
	if rows, err := try(e.dsn("bi", e.admin), "SELECT shipments_count FROM shipments"); err != nil || len(rows) != 1 {
		t.Errorf("unscoped key on shipments: %v %v", rows, err)
	}
}

func TestWireBruteForceLimit(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)
	id := keyID(e.viewer)
	// Guesses from this address, by cleartext and by SCRAM, until the address is locked out.
	var lockedAt int
	for i := 1; i <= 20; i++ {
		var err error
		if i%2 == 0 {
			_, err = try(e.dsn("bi", "sp_"+id+"_"+strings.Repeat("a", 52)), "SELECT 1")
		} else {
			_, err = try(e.dsn(id, "guess"), "SELECT 1")
		}
		if pgCode(err) == "28000" {
			lockedAt = i
			break
		}
		if pgCode(err) != "28P01" {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if lockedAt != 11 {
		t.Fatalf("locked out at attempt %d, want 11 (after 10 failures)", lockedAt)
	}
	// The right key is refused too while the lockout lasts, over both protocols.
	for _, dsn := range []string{e.dsn("bi", e.viewer), e.dsn(id, e.viewer)} {
		_, err := try(dsn, "SELECT 1")
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "28000" || !strings.Contains(pe.Message, "too many failed") {
			t.Errorf("good key while locked out: %v", err)
		}
	}
	// HTTP from the same address is locked out as well: 429, not a 403 that reads as a bad key.
	if code, body := e.call("GET", "/v1/datasets", e.viewer, nil); code != 429 || body["error"] != "too_many_failed_logins" {
		t.Errorf("HTTP while locked out: %d %v, want 429 too_many_failed_logins", code, body)
	}
	e.clock.Add(5 * time.Minute)
	if _, err := try(e.dsn(id, e.viewer), "SELECT 1"); err != nil {
		t.Errorf("after the lockout: %v", err)
	}
	if code, body := e.call("GET", "/v1/datasets", e.viewer, nil); code != 200 {
		t.Errorf("HTTP after the lockout: %d %v", code, body)
	}
	if !strings.Contains(e.logs.String(), "locked out") {
		t.Error("lockout not logged")
	}
}

func TestWireCertificateReload(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)
	if _, err := try(e.dsn("bi", e.viewer), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	// New files from another CA replace the old ones in place; the next handshake serves them.
	two := newTestCA(t, e.dir, "two", "127.0.0.1", "localhost")
	for src, dst := range map[string]string{two.certFile: e.ca.certFile, two.keyFile: e.ca.keyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(dst+".new", dst); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := try(e.dsn("bi", e.viewer, "sslrootcert="+two.caFile), "SELECT 1"); err != nil {
		t.Errorf("new certificate not served: %v", err)
	}
	if _, err := try(e.dsn("bi", e.viewer), "SELECT 1"); err == nil {
		t.Error("old CA still verifies the server")
	}
	// Channel binding follows the new certificate.
	if _, err := try(e.dsn(keyID(e.viewer), e.viewer, "sslrootcert="+two.caFile, "channel_binding=require"), "SELECT 1"); err != nil {
		t.Errorf("SCRAM-PLUS after reload: %v", err)
	}
}

func TestPsqlTLSAndSCRAM(t *testing.T) {
	t.Parallel()
	psql := requireClient(t, "psql", "--version")
	e := newKeyEnv(t)
	host, port, _ := net.SplitHostPort(e.gw.Addr().String())
	run := func(user, key string, extra ...string) (string, error) {
		conn := fmt.Sprintf("host=%s port=%s user=%s dbname=setupranali sslmode=verify-full sslrootcert=%s %s",
			host, port, user, e.ca.caFile, strings.Join(extra, " "))
		cmd := exec.Command(psql, conn, "-XAtc", "SELECT count(*) FROM orders")
		cmd.Env = append(os.Environ(), "PGPASSWORD="+key, "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for _, c := range []struct {
		name, user string
		extra      []string
	}{
		{"cleartext over TLS", "bi", nil},
		{"SCRAM-SHA-256-PLUS", keyID(e.viewer), []string{"channel_binding=require"}},
		{"SCRAM without channel binding", keyID(e.viewer), []string{"channel_binding=disable"}},
		{"SCRAM without TLS", keyID(e.viewer), []string{"sslmode=disable"}},
	} {
		out, err := run(c.user, e.viewer, c.extra...)
		if err != nil || out != "2" {
			t.Errorf("%s: %q %v", c.name, out, err)
		}
	}
	if err := e.store().Revoke(context.Background(), keyID(e.viewer), "test"); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"bi", keyID(e.viewer)} {
		if out, err := run(user, e.viewer); err == nil || !strings.Contains(out, "revoked") {
			t.Errorf("revoked key as %s: %q %v", user, out, err)
		}
	}
}
