package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/internal/testkit"
)

// 'setupranali cache purge' against a real Redis: it deletes the results under its prefix, of one
// dataset or all, and says how many. The gateway side (which entries a dataset's purge reaches)
// is tested in package gateway.
func TestCachePurgeCommand(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix := testkit.RedisPrefix()
	rc, err := rediscache.Open(rediscache.Config{URL: url, Prefix: prefix, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := rc.DeletePrefix(context.Background()); err != nil {
			t.Errorf("deleting test keys: %v", err)
		}
		rc.Close()
	})
	purge := func(args ...string) string {
		var out, errOut bytes.Buffer
		env := map[string]string{"REDIS_URL": url, "SETU_REDIS_PREFIX": prefix}
		code := cacheCmd(context.Background(), append([]string{"purge"}, args...), cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }})
		if code != 0 {
			t.Fatalf("cache purge %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if out := purge("--dataset", "orders"); !strings.HasPrefix(out, "purged 0 cached results of dataset \"orders\"") {
		t.Errorf("purging orders: %q", out)
	}
	if out := purge(); !strings.HasPrefix(out, "purged 0 cached results of all datasets") || !strings.Contains(out, "from") {
		t.Errorf("purging all: %q", out)
	}
	if code := cacheCmd(context.Background(), []string{"purge", "extra"}, cli{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}); code != 2 {
		t.Errorf("unexpected argument: exit %d, want 2", code)
	}
	// Without REDIS_URL the command explains where the cache lives.
	var errOut bytes.Buffer
	if code := cacheCmd(context.Background(), []string{"purge"}, cli{stdout: &bytes.Buffer{}, stderr: &errOut, getenv: func(string) string { return "" }}); code == 0 || !strings.Contains(errOut.String(), "REDIS_URL is not set") {
		t.Errorf("without REDIS_URL: exit %d, %q", code, errOut.String())
	}
}
