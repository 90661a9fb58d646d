package rediscache

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/setupranali/setupranali/internal/testkit"
)

// testClient connects to SETU_TEST_REDIS_URL with a prefix unique to this test and removes the
// keys under it when the test ends.
func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := Open(Config{URL: testkit.RedisURL(t), Prefix: testkit.RedisPrefix(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("redis at SETU_TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(func() {
		if _, err := c.DeletePrefix(context.Background()); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		c.Close()
	})
	return c
}

func TestGetSetPurge(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	if _, ok, err := c.Get(ctx, "r:|orders|:00"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	keys := map[string]string{
		"r:|orders|:01":           "a",
		"r:|customers|orders|:02": "b",
		"r:|customers|:03":        "c",
		"r:|orders_x|:04":         "d",
		"r:|or%2Aders|:05":        "e",
	}
	for k, v := range keys {
		if err := c.Set(ctx, k, []byte(v), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	v, ok, err := c.Get(ctx, "r:|orders|:01")
	if err != nil || !ok || string(v) != "a" {
		t.Fatalf("get: %q %v %v", v, ok, err)
	}
	n, err := c.Purge(ctx, "orders")
	if err != nil || n != 2 {
		t.Fatalf("purge orders: %d %v, want 2", n, err)
	}
	for k, want := range map[string]bool{"r:|orders|:01": false, "r:|customers|orders|:02": false, "r:|customers|:03": true, "r:|orders_x|:04": true, "r:|or%2Aders|:05": true} {
		if _, ok, _ := c.Get(ctx, k); ok != want {
			t.Errorf("%s present = %v, want %v", k, ok, want)
		}
	}
	if n, _ := c.Purge(ctx, "or*ders"); n != 1 {
		t.Errorf("purge of a dataset with a glob character: %d, want 1", n)
	}
	if n, _ := c.Purge(ctx, ""); n != 2 {
		t.Errorf("purge all: %d, want 2", n)
	}
}

func TestTTL(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	c.Set(ctx, "r:|a|:1", []byte("x"), 30*time.Second)
	ttl, err := c.rdb.PTTL(ctx, c.prefix+"r:|a|:1").Result()
	if err != nil || ttl <= 0 || ttl > 30*time.Second {
		t.Errorf("ttl = %v, %v", ttl, err)
	}
}

func TestDeadRedisFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A listener that accepts and never answers: a stuck Redis.
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	defer ln.Close()
	c, err := Open(Config{URL: "redis://" + ln.Addr().String() + "/0", Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "k"); err == nil {
		t.Fatal("stuck redis answered")
	}
	if err := c.Set(ctx, "k", []byte("v"), time.Minute); err == nil {
		t.Fatal("stuck redis stored")
	}
}

func TestOpenURLForms(t *testing.T) {
	for _, tc := range []struct {
		url, kind string
		check     func(t *testing.T, c *Client)
	}{
		{"redis://127.0.0.1:6379/3", "single", func(t *testing.T, c *Client) {
			if o := c.rdb.(*redis.Client).Options(); o.DB != 3 || o.TLSConfig != nil {
				t.Errorf("db %d tls %v", o.DB, o.TLSConfig)
			}
		}},
		{"rediss://:s3cret@cache.example:6380", "single", func(t *testing.T, c *Client) {
			if o := c.rdb.(*redis.Client).Options(); o.Password != "s3cret" || o.TLSConfig == nil {
				t.Errorf("password/tls not taken")
			}
		}},
		{"redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26379/mymaster/2?sentinel_password=sp", "sentinel", nil},
		{"rediss+cluster://u:p@10.0.0.1:7000,10.0.0.2:7001", "cluster", nil},
	} {
		c, err := Open(Config{URL: tc.url})
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if c.kind != tc.kind {
			t.Errorf("%s: kind %s, want %s", tc.url, c.kind, tc.kind)
		}
		if strings.Contains(c.String(), "pw") || strings.Contains(c.String(), "s3cret") || strings.Contains(c.String(), ":p@") {
			t.Errorf("String() shows a password: %s", c)
		}
		if tc.check != nil {
			tc.check(t, c)
		}
		c.Close()
	}
}

func TestOpenBadURLsHidePassword(t *testing.T) {
	for _, u := range []string{
		"redis://:hunter2@host:notaport",
		"redis://:hunter2@host:6379/notadb",
		"redis+sentinel://:hunter2@h:1,h2:2",
		"redis+cluster://:hunter2@h:1/3",
		"redis+cluster://:hunter2@h,h2:2",
		"memcached://:hunter2@h:1",
		"redis://:hunter2@h:1/0?bogus=1",
	} {
		_, err := Open(Config{URL: u})
		if err == nil {
			t.Errorf("%s: accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
