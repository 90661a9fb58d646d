package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
)

// call makes an HTTP request to the gateway with an API key and decodes the JSON answer.
func (e *keyEnv) call(method, path, key string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+e.gw.HTTPAddr().String()+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	if resp.StatusCode < 300 && resp.Header.Get("Cache-Control") != "no-store" {
		e.t.Errorf("%s %s: Cache-Control %q", method, path, resp.Header.Get("Cache-Control"))
	}
	return resp.StatusCode, out
}

func TestHTTPAPIKeys(t *testing.T) {
	t.Parallel()
	e := newKeyEnv(t)

	// Production never accepts the public demo keys, over HTTP either.
	if code, _ := e.call("GET", "/v1/datasets", "dev-key-123", nil); code != 403 {
		t.Errorf("demo key over HTTP in production: %d", code)
	}
	// Only admin keys manage keys.
	if code, out := e.call("GET", "/v1/api-keys", "", nil); code != 401 || out["error"] != "authentication_required" {
		t.Errorf("no key: %d %v", code, out)
	}
	if code, _ := e.call("GET", "/v1/api-keys", e.viewer, nil); code != 403 {
		t.Errorf("viewer key: %d", code)
	}
	if code, _ := e.call("POST", "/v1/api-keys", e.viewer, map[string]any{"name": "x", "role": "admin", "tenants": []string{"t"}}); code != 403 {
		t.Errorf("viewer minting a key: %d", code)
	}

	// Create: the key is in the response once.
	code, out := e.call("POST", "/v1/api-keys", e.admin, map[string]any{
		"name": "superset", "role": "viewer", "tenants": []string{"tenantB"}, "scopes": []string{"orders"}, "expires_in_days": 30})
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	key, _ := out["key"].(string)
	e.secrets = append(e.secrets, key)
	meta, _ := out["api_key"].(map[string]any)
	id := keyID(key)
	if id == "" || meta["id"] != id || meta["status"] != "active" || meta["expires_at"] == nil {
		t.Fatalf("create answered %v", out)
	}
	rows, err := try(e.dsn("bi", key), "SELECT city FROM orders ORDER BY 1")
	if err != nil || len(rows) == 0 {
		t.Fatalf("created key on pg wire: %v %v", rows, err)
	}
	if code, out := e.call("POST", "/v1/api-keys", e.admin, map[string]any{"name": "x", "role": "root", "tenants": []string{"t"}}); code != 400 {
		t.Errorf("bad role: %d %v", code, out)
	}

	// List: no secrets, the new key among the others.
	code, out = e.call("GET", "/v1/api-keys", e.admin, nil)
	list, _ := out["keys"].([]any)
	if code != 200 || len(list) != 3 {
		t.Fatalf("list: %d %v", code, out)
	}
	raw, _ := json.Marshal(out)
	for _, k := range e.secrets {
		if strings.Contains(string(raw), k[len(k)-52:]) {
			t.Error("the list holds a secret")
		}
	}

	// Rotate: a new secret; the old one keeps working for the grace period.
	code, out = e.call("POST", "/v1/api-keys/"+id+"/rotate", e.admin, map[string]any{"grace_seconds": 600})
	newKey, _ := out["key"].(string)
	e.secrets = append(e.secrets, newKey)
	if code != 200 || keyID(newKey) != id || newKey == key {
		t.Fatalf("rotate: %d %v", code, out)
	}
	for _, k := range []string{key, newKey} {
		if code, _ := e.call("GET", "/v1/datasets", k, nil); code != 200 {
			t.Errorf("during grace, a secret gets %d", code)
		}
	}
	e.clock.Add(10 * time.Minute)
	if code, out := e.call("GET", "/v1/datasets", key, nil); code != 403 || out["error"] != "invalid_api_key" {
		t.Errorf("old secret after grace: %d %v", code, out)
	}
	if _, err := try(e.dsn(id, key), "SELECT 1"); pgCode(err) != "28P01" {
		t.Errorf("old secret after grace on pg wire: %v", err)
	}

	// Revoke: refused in both protocols with the revoked error.
	if code, out := e.call("DELETE", "/v1/api-keys/"+id, e.admin, nil); code != 200 || out["api_key"].(map[string]any)["status"] != "revoked" {
		t.Fatalf("revoke: %d %v", code, out)
	}
	if code, out := e.call("GET", "/v1/datasets", newKey, nil); code != 403 || out["error"] != "api_key_revoked" {
		t.Errorf("revoked key over HTTP: %d %v", code, out)
	}
	if _, err := try(e.dsn(id, newKey), "SELECT 1"); pgCode(err) != "28P01" || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("revoked key on pg wire: %v", err)
	}
	if code, _ := e.call("DELETE", "/v1/api-keys/"+id, e.admin, nil); code != 409 {
		t.Errorf("revoking twice: %d", code)
	}
	if code, _ := e.call("POST", "/v1/api-keys/"+id+"/rotate", e.admin, nil); code != 409 {
		t.Errorf("rotating a revoked key: %d", code)
	}
	if code, _ := e.call("DELETE", "/v1/api-keys/aaaaaaaaaaaaaaaa", e.admin, nil); code != 404 {
		t.Errorf("revoking an unknown key: %d", code)
	}

	// Expired keys are refused over HTTP too.
	ks := e.store()
	expiring := e.create(ks, auth.KeySpec{Name: "short", Tenants: []string{"tenantA"}, Role: auth.RoleViewer, Expires: e.clock.Now().Add(time.Minute)})
	e.clock.Add(time.Minute)
	if code, out := e.call("GET", "/v1/datasets", expiring, nil); code != 403 || out["error"] != "api_key_expired" {
		t.Errorf("expired key over HTTP: %d %v", code, out)
	}

	// The audit log names the admin key as the actor of each change, with its client address
	// (as the failed-login limits see it: no port, forwarded through trusted proxies).
	events, err := e.gw.keys.db.AuditLog(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, ev := range events {
		switch ev.Event {
		case auth.EventKeyCreated, auth.EventKeyRotated, auth.EventKeyRevoked:
			changes = append(changes, ev.Event)
			if ev.Actor != "key:"+keyID(e.admin) || ev.RemoteAddr != "127.0.0.1" {
				t.Errorf("%s by %q from %q", ev.Event, ev.Actor, ev.RemoteAddr)
			}
		}
	}
	if want := []string{auth.EventKeyCreated, auth.EventKeyRotated, auth.EventKeyRevoked}; !slices.Equal(changes, want) {
		t.Errorf("changes %v, want %v", changes, want)
	}
}

func TestHTTPAPIKeysWithoutStore(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	req, _ := http.NewRequest("GET", "http://"+gw.HTTPAddr().String()+"/v1/api-keys", nil)
	req.Header.Set("X-API-Key", "dev-key-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("demo without a state DB: %d", resp.StatusCode)
	}
}
