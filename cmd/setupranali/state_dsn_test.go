package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/state"
)

// sharedStoreDSN is the test PostgreSQL with the search_path of a fresh schema, dropped when
// the test ends; "" when the test is skipped.
func sharedStoreDSN(t *testing.T) string {
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

// With SETU_STATE_DSN set, the keys, sources, backup and restore commands work on the shared
// PostgreSQL store: what one command writes the next reads, the SQLite path is never created,
// a source's password is stored encrypted and no output shows the DSN's password.
func TestCLIOnTheSharedStore(t *testing.T) {
	plain := sharedStoreDSN(t)
	if plain == "" {
		return
	}
	u, err := url.Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	// The test PostgreSQL trusts every password; this one must still never be printed.
	u.User = url.UserPassword(u.User.Username(), "dsn-pw-9931")
	dsn := u.String()
	secretKey, err := state.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sqlite := filepath.Join(dir, "never.db")
	env := map[string]string{"SETU_STATE_DSN": dsn, "UBI_SECRET_KEY": secretKey}
	var printed strings.Builder
	run := func(cmd func(context.Context, []string, cli) int, stdin string, args ...string) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		c := cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
		code := cmd(context.Background(), append(args, "--state-db", sqlite), c)
		printed.WriteString(out.String() + errOut.String())
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.String(), code
	}
	key, _ := run(keysCmd, "", "create", "grafana", "--role", "viewer", "--tenant", "tenantA")
	id := keyID(strings.TrimSpace(key))
	run(sourcesCmd, "pw-of-the-source\n", "add", "warehouse", "--type", "postgres", "--host", "db.internal", "--database", "sales", "--user", "reader", "--password-stdin")
	if out, _ := run(keysCmd, "", "list"); !strings.Contains(out, id) {
		t.Fatalf("keys list on the shared store: %s", out)
	}
	if out, _ := run(sourcesCmd, "", "list"); !strings.Contains(out, "warehouse") {
		t.Fatalf("sources list on the shared store: %s", out)
	}
	backup := filepath.Join(dir, "state.backup")
	run(backupCmd, "", "--to", backup)
	run(keysCmd, "", "revoke", id)
	run(restoreCmd, "", "--from", backup)
	// The restore brought the key back to active.
	if out, _ := run(keysCmd, "", "list"); !strings.Contains(out, "active") {
		t.Fatalf("after restore: %s", out)
	}
	if m, _ := filepath.Glob(sqlite + "*"); len(m) != 0 {
		t.Fatalf("the SQLite path was created: %v", m)
	}
	testkit.NoSecrets(t, "CLI output", printed.String(), "dsn-pw-9931", "pw-of-the-source")

	// The credentials are in PostgreSQL, as a Fernet token that decrypts under the key.
	db, err := state.OpenPostgres(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kr, _ := state.ParseKeyring(secretKey)
	if _, c, err := db.Credentials(context.Background(), "warehouse", kr); err != nil || c.Password != "pw-of-the-source" {
		t.Fatalf("stored credentials: %v", err)
	}
}

// serve refuses a SETU_STATE_DSN that is not a PostgreSQL URL, naming the variable and not
// its value.
func TestServeRefusesANonPostgresStateDSN(t *testing.T) {
	env := map[string]string{"SETU_STATE_DSN": "mysql://root:pw-7781@db/state"}
	_, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SETU_STATE_DSN") || strings.Contains(err.Error(), "pw-7781") {
		t.Fatalf("loadConfig: %v", err)
	}
}
