package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/internal/clientaddr"
)

// addrAuth records the client address each key check was given.
type addrAuth struct {
	mu    sync.Mutex
	addrs []string
}

func (a *addrAuth) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	a.mu.Lock()
	a.addrs = append(a.addrs, auth.RemoteAddr(ctx))
	a.mu.Unlock()
	if secret == "good" {
		return auth.Principal{KeyID: "k1", Tenants: []string{"t1"}, Role: auth.RoleViewer}, nil
	}
	return auth.Principal{}, auth.ErrInvalidKey
}

// The key check, ClientAddr and the request log see the address the trusted proxy forwarded,
// and the TCP peer when the peer is not a trusted proxy.
func TestClientAddrBehindTrustedProxy(t *testing.T) {
	for _, tc := range []struct {
		trusted, want string
	}{{"127.0.0.0/8", "198.51.100.7"}, {"10.0.0.0/8", "127.0.0.1"}, {"", "127.0.0.1"}} {
		t.Run(tc.trusted, func(t *testing.T) {
			r, err := clientaddr.Parse(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			a := &addrAuth{}
			srv := New(Config{
				Authenticator: a,
				Log:           slog.New(slog.NewJSONHandler(&logs, nil)),
				ClientAddr:    r,
				extraRoutes: func(s *Server) {
					s.handle("GET", "/addr", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.Write([]byte(clientAddr(r.Context())))
					}))
				},
			})
			ts := httptest.NewServer(srv)
			defer ts.Close()
			resp, body := get(t, ts.URL+"/addr", "X-API-Key", "good", "X-Forwarded-For", "203.0.113.1, 198.51.100.7")
			if resp.StatusCode != 200 || body != tc.want {
				t.Errorf("ClientAddr: %d %q, want %q", resp.StatusCode, body, tc.want)
			}
			get(t, ts.URL+"/addr", "X-API-Key", "bad", "X-Forwarded-For", "203.0.113.1, 198.51.100.7")
			a.mu.Lock()
			defer a.mu.Unlock()
			if len(a.addrs) != 2 || a.addrs[0] != tc.want || a.addrs[1] != tc.want {
				t.Errorf("key checks saw %q, want %q", a.addrs, tc.want)
			}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "http request" && m["remote_addr"] != tc.want {
					t.Errorf("request log remote_addr %v, want %q", m["remote_addr"], tc.want)
				}
			}
		})
	}
}
