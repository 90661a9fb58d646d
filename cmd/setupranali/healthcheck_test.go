package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheckCommand(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/health":
			w.WriteHeader(status)
		case "/slow":
			time.Sleep(2 * time.Second)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	noEnv := func(string) string { return "" }
	env := func(k string) string {
		if k == "SETU_HTTP_ADDR" {
			return addr
		}
		return ""
	}
	var out, errb bytes.Buffer
	if code := healthcheckCmd([]string{"--addr", addr}, &out, &errb, noEnv); code != 0 {
		t.Errorf("healthy by flag: exit %d, %s", code, errb.String())
	}
	if code := healthcheckCmd(nil, &out, &errb, env); code != 0 {
		t.Errorf("healthy by SETU_HTTP_ADDR: exit %d, %s", code, errb.String())
	}
	status = http.StatusServiceUnavailable
	errb.Reset()
	if code := healthcheckCmd(nil, &out, &errb, env); code != 1 || !strings.Contains(errb.String(), "503") {
		t.Errorf("unhealthy: exit %d, %q", code, errb.String())
	}
	if code := healthcheckCmd([]string{"--path", "/slow", "--timeout", "100ms"}, &out, &errb, env); code != 1 {
		t.Errorf("slow answer: exit %d, want 1", code)
	}
	srv.Close()
	if code := healthcheckCmd(nil, &out, &errb, env); code != 1 {
		t.Errorf("nothing listening: exit %d, want 1", code)
	}
	if code := run([]string{"healthcheck", "--addr", "nonsense"}, &out, &errb); code != 1 {
		t.Errorf("bad address: exit %d, want 1", code)
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080/v1/health",
		":8080":          "http://127.0.0.1:8080/v1/health",
		"[::]:9000":      "http://127.0.0.1:9000/v1/health",
		"127.0.0.1:8080": "http://127.0.0.1:8080/v1/health",
		"10.1.2.3:8080":  "http://10.1.2.3:8080/v1/health",
		"[::1]:8080":     "http://[::1]:8080/v1/health",
	} {
		got, err := healthURL(addr, "/v1/health")
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, addr := range []string{"8080", "127.0.0.1:0", "host"} {
		if _, err := healthURL(addr, "/v1/health"); err == nil {
			t.Errorf("healthURL(%q) accepted", addr)
		}
	}
}
