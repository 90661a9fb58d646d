package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/auth"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newKeys(t *testing.T, db *DB, clk *clock, log *slog.Logger) *auth.Keys {
	t.Helper()
	k := auth.NewKeys(db, auth.KeysConfig{Now: clk.Now, Log: log, TouchEvery: time.Hour,
		Limits: auth.LimitConfig{AddrFailures: 4, KeyFailures: 100, Window: time.Minute, Lockout: 5 * time.Minute}})
	t.Cleanup(func() { k.Close() })
	return k
}

func TestAPIKeyLifecycle(t *testing.T) {
	ctx := auth.WithRemoteAddr(context.Background(), "192.0.2.7:40000")
	forEachStore(t, func(t *testing.T, db *DB) {
		clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		var logs bytes.Buffer
		keys := newKeys(t, db, clk, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

		key, rec, err := keys.Create(ctx, auth.KeySpec{Name: "bi", Tenants: []string{"tenantA"}, Role: auth.RoleViewer, Scopes: []string{"orders"}}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if auth.KeyIDOf(key) != rec.ID {
			t.Fatalf("key %s... does not carry id %s", key[:8], rec.ID)
		}
		p, err := keys.Authenticate(ctx, key)
		if err != nil || p.KeyID != rec.ID || !slices.Equal(p.Tenants, []string{"tenantA"}) || !slices.Equal(p.Scopes, []string{"orders"}) || p.Role != auth.RoleViewer {
			t.Fatalf("authenticate: %+v %v", p, err)
		}

		// Nothing the DB holds is the key or its secret part.
		assertNoSecretInDB(t, db, key)

		// Last use is recorded in memory and written by Flush, not by the login.
		got, _ := keys.Key(ctx, rec.ID)
		if !got.LastUsed.IsZero() {
			t.Fatalf("last used written on login: %v", got.LastUsed)
		}
		if err := keys.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ = keys.Key(ctx, rec.ID); !got.LastUsed.Equal(clk.Now()) {
			t.Fatalf("last used %v, want %v", got.LastUsed, clk.Now())
		}

		// A wrong secret with the right id fails.
		wrong := key[:len(key)-4] + "aaaa"
		if wrong == key {
			wrong = key[:len(key)-4] + "bbbb"
		}
		if _, err := keys.Authenticate(ctx, wrong); !errors.Is(err, auth.ErrInvalidKey) {
			t.Fatalf("wrong secret: %v", err)
		}

		// Rotation: both secrets work during the grace period, only the new one after it.
		clk.Add(time.Hour)
		newKey, err := keys.Rotate(ctx, rec.ID, 10*time.Minute, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if auth.KeyIDOf(newKey) != rec.ID || newKey == key {
			t.Fatal("rotated key has another id or the same secret")
		}
		for _, k := range []string{key, newKey} {
			if _, err := keys.Authenticate(ctx, k); err != nil {
				t.Fatalf("during grace: %v", err)
			}
		}
		clk.Add(10 * time.Minute)
		if _, err := keys.Authenticate(ctx, key); !errors.Is(err, auth.ErrInvalidKey) {
			t.Fatalf("old secret after grace: %v", err)
		}
		if _, err := keys.Authenticate(ctx, newKey); err != nil {
			t.Fatalf("new secret after grace: %v", err)
		}
		// A second rotation drops the secret whose grace ended.
		newest, err := keys.Rotate(ctx, rec.ID, 0, "cli")
		if err != nil {
			t.Fatal(err)
		}
		full, _ := db.APIKey(ctx, rec.ID)
		if len(full.Secrets) != 2 {
			t.Errorf("%d secrets stored after two rotations, want 2 (the ended one deleted)", len(full.Secrets))
		}
		if _, err := keys.Authenticate(ctx, newKey); !errors.Is(err, auth.ErrInvalidKey) {
			t.Fatalf("secret rotated with no grace: %v", err)
		}

		// Revoked: the right secret is refused as revoked.
		if err := keys.Revoke(ctx, rec.ID, "cli"); err != nil {
			t.Fatal(err)
		}
		if _, err := keys.Authenticate(ctx, newest); !errors.Is(err, auth.ErrRevokedKey) {
			t.Fatalf("revoked: %v", err)
		}
		if _, err := keys.Rotate(ctx, rec.ID, 0, "cli"); err == nil {
			t.Fatal("rotated a revoked key")
		}

		// The audit trail tells the key's life, with the address and never the secret.
		events, err := db.AuditLog(ctx, rec.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ev := range events {
			names = append(names, ev.Event)
			if ev.Event == auth.EventAuthFailed || ev.Event == auth.EventRevokedKeyUsed {
				if ev.RemoteAddr != "192.0.2.7:40000" {
					t.Errorf("%s without the remote address: %+v", ev.Event, ev)
				}
			}
		}
		want := []string{auth.EventKeyCreated, auth.EventAuthFailed, auth.EventKeyRotated, auth.EventAuthFailed,
			auth.EventKeyRotated, auth.EventAuthFailed, auth.EventKeyRevoked, auth.EventRevokedKeyUsed}
		if !slices.Equal(names, want) {
			t.Errorf("audit trail\n got %v\nwant %v", names, want)
		}
		for _, s := range []string{key, newKey, newest} {
			secretPart := s[len(s)-52:]
			if strings.Contains(logs.String(), secretPart) {
				t.Error("a secret appears in the logs")
			}
		}
		if !strings.Contains(logs.String(), rec.ID) {
			t.Error("the logs do not name the key id")
		}
	})
}

func TestAPIKeyExpiry(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, db *DB) {
		clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		keys := newKeys(t, db, clk, nil)
		key, rec, err := keys.Create(ctx, auth.KeySpec{Name: "tmp", Tenants: []string{"t"}, Role: auth.RoleViewer, Expires: clk.Now().Add(time.Hour)}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := keys.Active(ctx); n != 1 {
			t.Fatalf("active %d", n)
		}
		clk.Add(time.Hour)
		if _, err := keys.Authenticate(ctx, key); !errors.Is(err, auth.ErrExpiredKey) {
			t.Fatalf("expired: %v", err)
		}
		if n, _ := keys.Active(ctx); n != 0 {
			t.Fatalf("active %d after expiry", n)
		}
		events, _ := db.AuditLog(ctx, rec.ID, 1)
		if len(events) != 1 || events[0].Event != auth.EventExpiredKeyUsed {
			t.Errorf("last event %+v", events)
		}
		if _, _, err := keys.Create(ctx, auth.KeySpec{Name: "past", Tenants: []string{"t"}, Role: auth.RoleViewer, Expires: clk.Now()}, "cli"); err == nil {
			t.Error("created a key expiring now")
		}
		if _, _, err := keys.Create(ctx, auth.KeySpec{Name: "x", Role: auth.RoleViewer}, "cli"); err == nil {
			t.Error("created a viewer key without a tenant")
		}
		if _, _, err := keys.Create(ctx, auth.KeySpec{Name: "x", Tenants: []string{"t"}, Role: "root"}, "cli"); err == nil {
			t.Error("created a key with an unknown role")
		}
	})
}

func TestAPIKeyLockout(t *testing.T) {
	ctx := auth.WithRemoteAddr(context.Background(), "198.51.100.9:1234")
	forEachStore(t, func(t *testing.T, db *DB) {
		clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		keys := newKeys(t, db, clk, nil)
		key, _, err := keys.Create(ctx, auth.KeySpec{Name: "k", Tenants: []string{"t"}, Role: auth.RoleViewer}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			if _, err := keys.Authenticate(ctx, "guess-"+string(rune('a'+i))); !errors.Is(err, auth.ErrInvalidKey) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		// Locked: even the right key is refused from this address, not from another.
		if _, err := keys.Authenticate(ctx, key); !errors.Is(err, auth.ErrLockedOut) {
			t.Fatalf("locked out: %v", err)
		}
		other := auth.WithRemoteAddr(context.Background(), "198.51.100.10:1")
		if _, err := keys.Authenticate(other, key); err != nil {
			t.Fatalf("other address: %v", err)
		}
		clk.Add(5 * time.Minute)
		if _, err := keys.Authenticate(ctx, key); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
		events, _ := db.AuditLog(ctx, "", 0)
		n := 0
		for _, ev := range events {
			if ev.Event == auth.EventLockedOut {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lockout events, want 1", n)
		}
		got := counters(t, keys.Collectors())
		want := map[string]float64{
			`setu_auth_key_refusals_total{reason="invalid"}`:    4,
			`setu_auth_key_refusals_total{reason="locked_out"}`: 1,
			`setu_auth_lockouts_total{by="addr"}`:               1,
			`setu_auth_key_failure_alarms_total{}`:              0,
		}
		if !maps.Equal(got, want) {
			t.Errorf("metrics %v, want %v", got, want)
		}
	})
}

// counters gathers counter values by name{label="value"}.
func counters(t *testing.T, cs []prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetCounter().GetValue()
		}
	}
	return out
}

// assertNoSecretInDB dumps every table and looks for the key and its secret part.
func assertNoSecretInDB(t *testing.T, db *DB, key string) {
	t.Helper()
	secretPart := key[len(key)-52:]
	for _, table := range []string{"api_keys", "api_key_secrets", "audit_log"} {
		rows, err := db.sql.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				var s string
				switch v := v.(type) {
				case string:
					s = v
				case []byte:
					s = string(v)
				}
				if strings.Contains(s, secretPart) || strings.Contains(s, key) {
					t.Fatalf("table %s holds the secret", table)
				}
			}
		}
		rows.Close()
	}
}
