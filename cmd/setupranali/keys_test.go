package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
)

func TestKeysCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "state.db")
	run := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		c := cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		code := keysCmd(context.Background(), append(args, "--state-db", db), c)
		return out.String(), errOut.String(), code
	}
	key, stderr, code := run("create", "grafana", "--role", "viewer", "--tenant", "tenantA,tenantB", "--scope", "orders", "--expires-in", "30d")
	if code != 0 {
		t.Fatalf("create: %s", stderr)
	}
	key = strings.TrimSpace(key)
	id := keyID(key)
	if id == "" || !strings.Contains(stderr, id) || strings.Contains(stderr, key) {
		t.Fatalf("create: stdout %q stderr %q", key, stderr)
	}
	list, _, code := run("list")
	if code != 0 || !strings.Contains(list, id) || !strings.Contains(list, "tenantA,tenantB") || !strings.Contains(list, "active") || strings.Contains(list, key[len(key)-52:]) {
		t.Fatalf("list:\n%s", list)
	}
	if _, stderr, code := run("create", "bad", "--role", "root", "--tenant", "x"); code == 0 || !strings.Contains(stderr, "role") {
		t.Errorf("unknown role accepted: %s", stderr)
	}
	rotated, stderr, code := run("rotate", "grafana", "--grace", "1h")
	rotated = strings.TrimSpace(rotated)
	if code != 0 || keyID(rotated) != id || rotated == key {
		t.Fatalf("rotate: %q %s", rotated, stderr)
	}
	if out, stderr, code := run("revoke", id); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("revoke: %s %s", out, stderr)
	}
	if _, _, code := run("revoke", id); code == 0 {
		t.Error("revoked twice")
	}
	list, _, _ = run("list")
	if !strings.Contains(list, "revoked") {
		t.Errorf("list after revoke:\n%s", list)
	}
	audit, _, code := run("audit", id)
	if code != 0 {
		t.Fatal("audit failed")
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(audit), "\n")[1:] {
		events = append(events, strings.Fields(line)[1])
	}
	if want := []string{"key_created", "key_rotated", "key_revoked"}; !slices.Equal(events, want) {
		t.Errorf("audit events %v, want %v\n%s", events, want, audit)
	}
	for _, s := range []string{key, rotated} {
		if strings.Contains(audit, s[len(s)-52:]) {
			t.Error("audit output holds a secret")
		}
	}
}

func keyID(key string) string { return auth.KeyIDOf(key) }
