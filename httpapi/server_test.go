package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
)

type staticAuth map[string]auth.Principal

func (a staticAuth) Authenticate(_ context.Context, secret string) (auth.Principal, error) {
	if p, ok := a[secret]; ok {
		return p, nil
	}
	if secret == "revoked" {
		return auth.Principal{}, auth.ErrRevokedKey
	}
	if secret == "expired" {
		return auth.Principal{}, auth.ErrExpiredKey
	}
	return auth.Principal{}, auth.ErrInvalidKey
}

func testServer(t *testing.T, logs *bytes.Buffer) *httptest.Server {
	t.Helper()
	srv := New(Config{
		Authenticator: staticAuth{"good": {KeyID: "k1", Tenants: []string{"t1"}, Role: auth.RoleViewer}},
		Log:           slog.New(slog.NewJSONHandler(logs, nil)),
		extraRoutes: func(s *Server) {
			s.handleOpen("GET", "/boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
			s.handle("GET", "/who", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := principalFrom(r.Context())
				w.Write([]byte(p.KeyID))
			}))
		},
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.String()
}

// A panic is a 500 naming the request id; the server goes on; the log has the panic under the
// same id.
func TestPanicBecomes500(t *testing.T) {
	var logs bytes.Buffer
	ts := testServer(t, &logs)
	resp, body := get(t, ts.URL+"/boom", "X-Request-ID", "req-42")
	if resp.StatusCode != 500 || resp.Header.Get("X-Request-ID") != "req-42" || !strings.Contains(body, "req-42") {
		t.Errorf("panic: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if resp, _ := get(t, ts.URL+"/boom"); resp.StatusCode != 500 {
		t.Errorf("second request: %d", resp.StatusCode)
	}
	found := false
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "panic serving request" && m["request_id"] == "req-42" {
			found = true
		}
	}
	if !found {
		t.Errorf("no panic log line with the request id:\n%s", logs.String())
	}
}

// Request ids: a plain client id is kept, anything else replaced; every log line of the request
// carries it and no line carries the key.
func TestRequestIDAndAuthLogs(t *testing.T) {
	var logs bytes.Buffer
	ts := testServer(t, &logs)
	resp, body := get(t, ts.URL+"/who", "X-API-Key", "good", "X-Request-ID", "abc-1")
	if resp.StatusCode != 200 || body != "k1" || resp.Header.Get("X-Request-ID") != "abc-1" {
		t.Errorf("/who: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, _ = get(t, ts.URL+"/who", "Authorization", "Bearer good", "X-Request-ID", "bad id <script>")
	if id := resp.Header.Get("X-Request-ID"); resp.StatusCode != 200 || id == "" || strings.ContainsAny(id, " <>") {
		t.Errorf("bearer with a hostile request id: %d %q", resp.StatusCode, id)
	}
	for _, tc := range []struct {
		key    string
		status int
		code   string
	}{{"", 401, "authentication_required"}, {"nope", 403, "invalid_api_key"}, {"revoked", 403, "api_key_revoked"}, {"expired", 403, "api_key_expired"}} {
		var h []string
		if tc.key != "" {
			h = []string{"X-API-Key", tc.key}
		}
		resp, body := get(t, ts.URL+"/who", h...)
		if resp.StatusCode != tc.status || !strings.Contains(body, `"error":"`+tc.code+`"`) {
			t.Errorf("key %q: %d %s", tc.key, resp.StatusCode, body)
		}
	}
	if strings.Contains(logs.String(), "good") {
		t.Errorf("a key reached the log:\n%s", logs.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["request_id"] == nil || m["request_id"] == "" {
			t.Errorf("log line without request_id: %s", line)
		}
	}
}
