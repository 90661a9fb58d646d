package gateway

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/state"
)

// sharedStateDSN is the test PostgreSQL with the search_path of a fresh schema (dropped when the
// test ends): a state store two gateways can share. "" when the test is skipped.
func sharedStateDSN(t *testing.T) string {
	t.Helper()
	schema := testkit.PostgresSchema(t)
	if schema == "" {
		return ""
	}
	u, err := url.Parse(testkit.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// startReplica starts a production gateway on the shared state store dsn. Its SQLite path is
// one that does not exist, so anything it finds came from PostgreSQL.
func startReplica(t *testing.T, dsn, catalog string) *keyEnv {
	t.Helper()
	e := &keyEnv{t: t, logs: &lockedBuffer{}, clock: &testClock{t: time.Now()}}
	cfg := Default()
	cfg.Env = "production"
	cfg.PGAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Catalog = catalog
	cfg.StateDB = filepath.Join(t.TempDir(), "absent", "state.db")
	cfg.StateDSN = Secret(dsn)
	gw, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(e.logs, nil)))
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
	})
	return e
}

// Two replicas share one PostgreSQL state store: a key revoked through one is refused by the
// other, a key created through one is accepted by the other, both within 5 s; last-used times
// and audit rows written by one are seen through the other.
func TestReplicasShareTheStateStore(t *testing.T) {
	dsn := sharedStateDSN(t)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	// The operator's CLI creates the first keys in the shared store.
	db, err := state.OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	boot := &keyEnv{t: t}
	admin := boot.create(keys, auth.KeySpec{Name: "admin", Tenants: []string{"default"}, Role: auth.RoleAdmin})
	viewer := boot.create(keys, auth.KeySpec{Name: "viewer", Tenants: []string{"tenantA"}, Role: auth.RoleViewer})
	keys.Close()
	defer db.Close()

	catalog := twoDatasetCatalog(t, t.TempDir())
	a, b := startReplica(t, dsn, catalog), startReplica(t, dsn, catalog)
	for name, e := range map[string]*keyEnv{"a": a, "b": b} {
		if code, out := e.call("GET", "/v1/datasets", viewer, nil); code != 200 {
			t.Fatalf("replica %s before the revocation: %d %v", name, code, out)
		}
	}

	// Revoke through a; b refuses within 5 s.
	if code, out := a.call("DELETE", "/v1/api-keys/"+keyID(viewer), admin, nil); code != 200 {
		t.Fatalf("revoke on a: %d %v", code, out)
	}
	testkit.EventuallyWithin(t, 5*time.Second, "replica b refuses the key revoked on a", func() bool {
		code, out := b.call("GET", "/v1/datasets", viewer, nil)
		return code == 403 && out["error"] == "api_key_revoked"
	})

	// Create through b; a accepts within 5 s.
	code, out := b.call("POST", "/v1/api-keys", admin, map[string]any{"name": "bi", "role": "viewer", "tenants": []string{"tenantB"}})
	if code != 201 {
		t.Fatalf("create on b: %d %v", code, out)
	}
	fresh, _ := out["key"].(string)
	testkit.EventuallyWithin(t, 5*time.Second, "replica a accepts the key created on b", func() bool {
		code, _ := a.call("GET", "/v1/datasets", fresh, nil)
		return code == 200
	})

	// b's use of the new key and its refusal of the revoked one are in the shared store: the
	// audit log read through a holds b's refusal, and after b writes its last-used times, a
	// lists them.
	if err := b.store().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if code, _ := b.call("GET", "/v1/datasets", fresh, nil); code != 200 {
		t.Fatalf("new key on b: %d", code)
	}
	if err := b.store().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := a.store().Key(ctx, keyID(fresh))
	if err != nil || rec.LastUsed.IsZero() {
		t.Fatalf("replica a sees no last use of the key used on b: %+v %v", rec.LastUsed, err)
	}
	events, err := db.AuditLog(ctx, keyID(viewer), 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, ev := range events {
		seen[ev.Event]++
	}
	if seen[auth.EventKeyRevoked] != 1 || seen[auth.EventRevokedKeyUsed] < 1 {
		t.Fatalf("shared audit log of the viewer key: %v", seen)
	}
}

// The failed-login limit of one address counts across replicas: six wrong secrets for a key id
// on replica a and four on b reach the pair limit (10), so b then refuses even the right
// secret from that address, as a would; four alone would not.
func TestReplicasShareFailedLoginLimits(t *testing.T) {
	dsn := sharedStateDSN(t)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	db, err := state.OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := auth.NewKeys(db, auth.KeysConfig{})
	boot := &keyEnv{t: t}
	viewer := boot.create(keys, auth.KeySpec{Name: "viewer", Tenants: []string{"tenantA"}, Role: auth.RoleViewer})
	keys.Close()
	wrong := "sp_" + keyID(viewer) + "_" + strings.Repeat("b", 52)

	catalog := twoDatasetCatalog(t, t.TempDir())
	a, b := startReplica(t, dsn, catalog), startReplica(t, dsn, catalog)
	for i := 0; i < 6; i++ {
		if code, _ := a.call("GET", "/v1/datasets", wrong, nil); code != 403 {
			t.Fatalf("wrong secret %d on a: %d", i+1, code)
		}
	}
	// b learns of a's six within a poll or two.
	testkit.EventuallyWithin(t, 5*time.Second, "replica b replays a's failures", func() bool {
		return b.gw.keys.feed.replayed.Load() == 6
	})
	for i := 0; i < 4; i++ {
		if code, _ := b.call("GET", "/v1/datasets", wrong, nil); code != 403 {
			t.Fatalf("wrong secret %d on b: %d", i+1, code)
		}
	}
	if code, out := b.call("GET", "/v1/datasets", viewer, nil); code != 429 {
		t.Fatalf("right secret on b after 10 failures across replicas: %d %v, want 429", code, out)
	}
	// a replays b's four within a poll or two. (A right secret a accepted before that would
	// forgive the pair's failures, as on one replica; so ask only after the replay.)
	testkit.EventuallyWithin(t, 5*time.Second, "replica a replays b's failures", func() bool {
		return a.gw.keys.feed.replayed.Load() == 4
	})
	if code, out := a.call("GET", "/v1/datasets", viewer, nil); code != 429 {
		t.Fatalf("right secret on a after 10 failures across replicas: %d %v, want 429", code, out)
	}

}
