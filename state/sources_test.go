package state

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func keyring(t *testing.T, keys ...string) *Keyring {
	t.Helper()
	kr, err := ParseKeyring(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func newKey(t *testing.T) string {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pgSource(name string) Source {
	return Source{Name: name, Type: TypePostgres, Settings: Settings{
		Host: "db1.internal,db2.internal", Port: "5432,5433", Database: "sales", User: "reader", SSLMode: "require",
		Options:  map[string]string{"target_session_attrs": "prefer-standby"},
		MaxConns: 8, TransactionPooling: true,
	}}
}

func TestSourceRoundTrip(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, db *DB) {
		kr := keyring(t, newKey(t))
		added, err := db.AddSource(ctx, pgSource("sales"), Credentials{Password: "hunter2"}, kr)
		if err != nil {
			t.Fatal(err)
		}
		if !idPattern.MatchString(added.ID) || added.KeyID != kr.Primary() {
			t.Errorf("added %+v", added)
		}
		for _, ref := range []string{"sales", added.ID} {
			s, c, err := db.Credentials(ctx, ref, kr)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			if c.Password != "hunter2" || s.Name != "sales" || s.Settings.Options["target_session_attrs"] != "prefer-standby" || !s.Settings.TransactionPooling || s.Settings.MaxConns != 8 {
				t.Errorf("%s: got %+v", ref, s)
			}
		}
		if _, err := db.AddSource(ctx, pgSource("sales"), Credentials{}, nil); !errors.Is(err, ErrExists) {
			t.Errorf("duplicate name: %v", err)
		}
		var raw string
		if err := db.sql.QueryRow("SELECT settings || coalesce(secret, '') FROM sources").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "hunter2") {
			t.Error("the password is stored in clear")
		}
		if _, err := db.RemoveSource(ctx, added.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Source(ctx, "sales"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after remove: %v", err)
		}
	})
}

func TestSourceValidation(t *testing.T) {
	bad := []struct {
		s Source
		c Credentials
	}{
		{Source{Name: "1x", Type: TypePostgres, Settings: Settings{Host: "h"}}, Credentials{}},
		{Source{Name: "src_0123456789abcdef0123", Type: TypePostgres, Settings: Settings{Host: "h"}}, Credentials{}},
		{Source{Name: "x", Type: "oracle"}, Credentials{}},
		{Source{Name: "x", Type: TypePostgres}, Credentials{}},
		{Source{Name: "x", Type: TypePostgres, Settings: Settings{Host: "h", Port: "99999"}}, Credentials{}},
		{Source{Name: "x", Type: TypePostgres, Settings: Settings{Host: "h", SSLMode: "maybe"}}, Credentials{}},
		{Source{Name: "x", Type: TypePostgres, Settings: Settings{Host: "h", Options: map[string]string{"password": "p"}}}, Credentials{}},
		{Source{Name: "x", Type: TypePostgres, Settings: Settings{Host: "h"}}, Credentials{DSN: "postgres://h/db"}},
		{Source{Name: "x", Type: TypeDuckDB}, Credentials{}},
		{Source{Name: "x", Type: TypeDuckDB, Settings: Settings{Path: "/a"}}, Credentials{Password: "p"}},
	}
	for _, b := range bad {
		if err := b.s.Validate(b.c); err == nil {
			t.Errorf("%+v accepted", b.s)
		}
	}
	if err := pgSource("ok").Validate(Credentials{Password: "p"}); err != nil {
		t.Error(err)
	}
	if err := (Source{Name: "ok", Type: TypePostgres}).Validate(Credentials{DSN: "postgres://u:p@h/db"}); err != nil {
		t.Error(err)
	}
}

func TestCredentialsNeedAKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, db *DB) {
		if _, err := db.AddSource(context.Background(), pgSource("x"), Credentials{Password: "p"}, nil); !errors.Is(err, ErrNoKey) {
			t.Fatalf("got %v, want ErrNoKey", err)
		}
	})
}

// Rotation without downtime: add a new key in front, every old record still reads; rotate;
// then the old key can go.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, db *DB) {
		oldKey, newK := newKey(t), newKey(t)
		old := keyring(t, oldKey)
		want := map[string]Credentials{
			"a": {Password: "pa"},
			"b": {DSN: "postgres://u:pb@h/db"},
		}
		for name, c := range want {
			s := pgSource(name)
			if c.DSN != "" {
				s = Source{Name: name, Type: TypePostgres}
			}
			if _, err := db.AddSource(ctx, s, c, old); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.AddSource(ctx, Source{Name: "plain", Type: TypeDuckDB, Settings: Settings{Path: "/p.duckdb"}}, Credentials{}, old); err != nil {
			t.Fatal(err)
		}
		both := keyring(t, newK, oldKey)
		for name, c := range want {
			if _, got, err := db.Credentials(ctx, name, both); err != nil || got != c {
				t.Fatalf("%s under new,old: %v", name, err)
			}
		}
		// A record added now is under the new key.
		if s, err := db.AddSource(ctx, pgSource("c"), Credentials{Password: "pc"}, both); err != nil || s.KeyID != KeyID(newK) {
			t.Fatalf("new record key %s (%v), want %s", s.KeyID, err, KeyID(newK))
		}
		want["c"] = Credentials{Password: "pc"}
		// The new key alone cannot read the old records yet.
		if _, _, err := db.Credentials(ctx, "a", keyring(t, newK)); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("before rotation, new key alone: %v", err)
		}
		n, err := db.RotateKey(ctx, both)
		if err != nil || n != 3 {
			t.Fatalf("rotate: %d records, %v; want 3", n, err)
		}
		usage, err := db.KeyUsage(ctx)
		if err != nil || len(usage) != 1 || usage[KeyID(newK)] != 3 {
			t.Fatalf("key usage after rotation %v (%v)", usage, err)
		}
		onlyNew := keyring(t, newK)
		for name, c := range want {
			if _, got, err := db.Credentials(ctx, name, onlyNew); err != nil || got != c {
				t.Fatalf("%s under the new key only: %v", name, err)
			}
		}
		if _, _, err := db.Credentials(ctx, "a", old); !errors.Is(err, ErrWrongKey) {
			t.Errorf("the old key still reads a rotated record: %v", err)
		}
	})
}

func TestWrongKeyNamesSourceAndDecryptsNothing(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, db *DB) {
		k := newKey(t)
		if _, err := db.AddSource(ctx, pgSource("warehouse"), Credentials{Password: "s3cret-pw"}, keyring(t, k)); err != nil {
			t.Fatal(err)
		}
		wrong := keyring(t, newKey(t))
		s, c, err := db.Credentials(ctx, "warehouse", wrong)
		if !errors.Is(err, ErrWrongKey) {
			t.Fatalf("got %v, want ErrWrongKey", err)
		}
		if !strings.Contains(err.Error(), `"warehouse"`) || !strings.Contains(err.Error(), KeyID(k)) {
			t.Errorf("error %q does not name the source and its key", err)
		}
		if !c.Empty() || s.Name != "" {
			t.Errorf("a failed decryption returned %+v / %q", s, c.Password)
		}
		if strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), k) {
			t.Errorf("error leaks a secret: %v", err)
		}
		// Rotation with the wrong key changes nothing.
		before := tokenOf(t, db, "warehouse")
		if _, err := db.RotateKey(ctx, wrong); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), "warehouse") {
			t.Fatalf("rotate with a wrong key: %v", err)
		}
		if tokenOf(t, db, "warehouse") != before {
			t.Error("a failed rotation changed the record")
		}
		if _, _, err := db.Credentials(ctx, "warehouse", nil); !errors.Is(err, ErrNoKey) {
			t.Errorf("no key: %v", err)
		}
	})
}

func tokenOf(t *testing.T, db *DB, name string) string {
	t.Helper()
	var tok string
	if err := db.sql.QueryRow("SELECT secret FROM sources WHERE name = ?", name).Scan(&tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCorruptedRecord(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, db *DB) {
		kr := keyring(t, newKey(t))
		for _, name := range []string{"flipped", "truncated", "garbage", "intact"} {
			if _, err := db.AddSource(ctx, pgSource(name), Credentials{Password: "pw-" + name}, kr); err != nil {
				t.Fatal(err)
			}
		}
		tok := tokenOf(t, db, "flipped")
		mid := len(tok) / 2
		flip := byte('A')
		if tok[mid] == 'A' {
			flip = 'B'
		}
		damage := map[string]string{
			"flipped":   tok[:mid] + string(flip) + tok[mid+1:],
			"truncated": tokenOf(t, db, "truncated")[:40],
			"garbage":   "%%% not a token %%%",
		}
		for name, bad := range damage {
			if _, err := db.sql.Exec("UPDATE sources SET secret = ? WHERE name = ?", bad, name); err != nil {
				t.Fatal(err)
			}
			_, c, err := db.Credentials(ctx, name, kr)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"`+name+`"`) {
				t.Errorf("%s: got %v, want ErrCorrupt naming the source", name, err)
			}
			if !c.Empty() {
				t.Errorf("%s: returned credentials", name)
			}
		}
		if _, c, err := db.Credentials(ctx, "intact", kr); err != nil || c.Password != "pw-intact" {
			t.Errorf("the intact record: %v", err)
		}
		n, err := db.RotateKey(ctx, kr)
		if err == nil || n != 0 || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("rotation over corrupted records: %d, %v", n, err)
		}
		for name := range damage {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("rotation error does not name %s: %v", name, err)
			}
		}
	})
}

// Every log line of the registry's flows, errors included, is free of secrets.
func TestRegistryLogsNoSecrets(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(ctx, path, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k1, k2 := newKey(t), newKey(t)
	secrets := []string{k1, k2, "pw-Very-Secret", "dsn-Very-Secret"}
	kr := keyring(t, k1)
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	_, err = db.AddSource(ctx, pgSource("a"), Credentials{Password: "pw-Very-Secret"}, kr)
	note(err)
	_, err = db.AddSource(ctx, Source{Name: "b", Type: TypePostgres}, Credentials{DSN: "postgres://u:dsn-Very-Secret@h/d"}, kr)
	note(err)
	_, err = db.AddSource(ctx, Source{Name: "c", Type: TypePostgres, Settings: Settings{Host: "h", Options: map[string]string{"password": "pw-Very-Secret"}}}, Credentials{}, kr)
	note(err)
	_, _, err = db.Credentials(ctx, "a", keyring(t, k2))
	note(err)
	_, err = db.RotateKey(ctx, keyring(t, k2, k1))
	note(err)
	_, err = db.RotateKey(ctx, keyring(t, k1))
	note(err)
	_, err = ParseKeyring(k1 + ",x" + k2)
	note(err)
	db.Close()
	backup := filepath.Join(t.TempDir(), "b.db")
	note(Backup(ctx, path, backup, log))
	_, err = Restore(ctx, backup, path, log)
	note(err)
	if len(errs) < 3 || logs.Len() == 0 {
		t.Fatalf("the flows produced %d errors and %d bytes of logs; expected both", len(errs), logs.Len())
	}
	all := logs.String() + "\n" + strings.Join(errs, "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %.6s... appears in logs or errors:\n%s", s, all)
		}
	}
}
