package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/internal/testkit"
)

// serve routes go-redis's own lines through the gateway's slog logger: with Redis down, the
// failed dial is a structured line (time=... level=WARN msg="redis client: ..." component=redis)
// and nothing on stderr is a bare go-redis line.
func TestServeRedisLogsStructured(t *testing.T) {
	t.Setenv("REDIS_URL", "redis://:hunter2secret@"+closedPort(t)+"/0")
	t.Setenv("SETU_PG_ADDR", "127.0.0.1:0")
	t.Setenv("SETU_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("SETU_CATALOG", "../../catalog.yaml")
	t.Setenv("SETU_STATE_DB", t.TempDir()+"/state.db")
	t.Cleanup(func() { rediscache.SetLogger(testLogger()) })
	var stderr testkit.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, nil, io.Discard, &stderr) }()
	deadline := time.Now().Add(30 * time.Second)
	for !(strings.Contains(stderr.String(), "redis client:") && strings.Contains(stderr.String(), "gateway started")) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	out := stderr.String()
	found := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, " level=") {
			t.Errorf("unstructured log line: %q", line)
		}
		if strings.Contains(line, `msg="redis client: connection pool: failed to dial`) {
			found = true
			if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "component=redis") {
				t.Errorf("go-redis line: %q", line)
			}
		}
	}
	if !found {
		t.Errorf("no go-redis dial failure in the log:\n%s", out)
	}
	if strings.Contains(out, "hunter2secret") {
		t.Error("the log shows Redis's password")
	}
}
