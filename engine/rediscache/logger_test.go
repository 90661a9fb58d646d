package rediscache

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a log sink safe for go-redis's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// go-redis's own line for a failed dial comes out through slog: with a JSON handler, one JSON
// object per line, at WARN, marked component=redis, with no password from the URL.
func TestRedisClientLogsThroughSlog(t *testing.T) {
	var logs lockedBuffer
	SetLogger(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { SetLogger(slog.New(slog.DiscardHandler)) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := Open(Config{URL: "redis://:hunter2secret@" + addr + "/0", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(context.Background()); err == nil {
		t.Fatal("Ping to a closed port answered")
	}
	text := strings.TrimSpace(logs.String())
	if text == "" {
		t.Fatal("go-redis logged nothing for a failed dial")
	}
	dial := false
	for _, line := range strings.Split(text, "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", line)
		}
		if rec["level"] != "WARN" || rec["component"] != "redis" {
			t.Errorf("log line %v", rec)
		}
		msg, _ := rec["msg"].(string)
		if strings.Contains(msg, "failed to dial") {
			dial = true
		}
		if strings.Contains(line, "hunter2secret") {
			t.Errorf("log line shows the password: %s", line)
		}
	}
	if !dial {
		t.Errorf("no failed-dial line:\n%s", text)
	}
}
