package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/gateway"
	"github.com/setupranali/setupranali/internal/testkit"
)

// freeForm are the settings whose value no check at load can refuse: file paths and names the
// gateway opens or uses later (a missing catalog or an unreadable TLS key fails start-up then,
// naming the file).
var freeForm = map[string]string{
	"SETU_CATALOG":             "a file path, opened at start-up",
	"SETU_DUCKDB_PATH":         "a file path, opened at start-up",
	"SETU_DUCKDB_INIT":         "a file path, read at start-up",
	"SETU_DUCKDB_MEMORY_LIMIT": "DuckDB parses it when the engine opens; a bad one fails start-up",
	"SETU_STATE_DB":            "a file path, opened at start-up",
	"SETU_TLS_CERT":            "a file path, loaded at start-up",
	"SETU_TLS_KEY":             "a file path, loaded at start-up",
	"SETU_REDIS_PREFIX":        "any key prefix",
}

// junk is tried on every setting: each validated setting refuses at least one.
var junk = []string{"not-valid", "-1", "1.5", "maybe", "99999999999999999999", "nohostport", "host:99999", ""}

// testFernetKey is a well-formed Fernet key for config checks (32 zero bytes); it protects nothing.
const testFernetKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// Every setting: its default loads when given explicitly, bad values are refused with an error
// naming the variable, and the matching flag refuses them too.
func TestEverySettingGoodAndBad(t *testing.T) {
	var c config
	for _, s := range c.Settings() {
		t.Run(s.Env, func(t *testing.T) {
			if s.Default != "" {
				if _, err := loadConfig(nil, envOf(map[string]string{s.Env: s.Default}), io.Discard); err != nil {
					t.Errorf("%s=%q (its default): %v", s.Env, s.Default, err)
				}
				if _, err := loadConfig([]string{"--" + s.Flag, s.Default}, envOf(nil), io.Discard); err != nil {
					t.Errorf("--%s %q (its default): %v", s.Flag, s.Default, err)
				}
			}
			if why, ok := freeForm[s.Env]; ok {
				t.Logf("%s accepts any value: %s", s.Env, why)
				return
			}
			refused := 0
			for _, v := range junk {
				if v == "" {
					continue // unset means the default
				}
				_, err := loadConfig(nil, envOf(map[string]string{s.Env: v}), io.Discard)
				if err == nil {
					continue
				}
				refused++
				if !strings.Contains(err.Error(), s.Env) {
					t.Errorf("%s=%q: error %q does not name the variable", s.Env, v, err)
				}
				var out bytes.Buffer
				if _, ferr := loadConfig([]string{"--" + s.Flag + "=" + v}, envOf(nil), &out); ferr == nil || !strings.Contains(out.String(), s.Flag) {
					t.Errorf("--%s=%q: %v, output %q; want a refusal naming the flag", s.Flag, v, ferr, out.String())
				}
			}
			if refused == 0 {
				t.Errorf("%s accepts every junk value %q; validate it, or list it in freeForm with the reason", s.Env, junk)
			}
		})
	}
}

func TestProductionNeedsSecretKeyAndRedis(t *testing.T) {
	base := map[string]string{"SETU_ENV": "production", "UBI_SECRET_KEY": testFernetKey, "REDIS_URL": "redis://127.0.0.1:6379/0"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for bk, bv := range base {
			m[bk] = bv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	// Everything else may be missing: defaults.
	cfg, err := loadConfig(nil, envOf(base), io.Discard)
	if err != nil {
		t.Fatalf("production with UBI_SECRET_KEY and REDIS_URL: %v", err)
	}
	if !cfg.Production() || cfg.SecretKey != testFernetKey || cfg.RedisURL == "" {
		t.Errorf("config %+v", cfg)
	}
	for _, tc := range []struct {
		env        map[string]string
		want, nope []string
	}{
		{with("UBI_SECRET_KEY", ""), []string{"UBI_SECRET_KEY", "keygen"}, []string{"REDIS_URL"}},
		{with("REDIS_URL", ""), []string{"REDIS_URL"}, []string{"UBI_SECRET_KEY"}},
		{map[string]string{"SETU_ENV": "production"}, []string{"UBI_SECRET_KEY", "REDIS_URL"}, nil},
		{with("UBI_SECRET_KEY", "not-a-fernet-key"), []string{"UBI_SECRET_KEY"}, nil},
	} {
		_, err := loadConfig(nil, envOf(tc.env), io.Discard)
		if err == nil {
			t.Errorf("%v: accepted", tc.env)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %s", tc.env, err, w)
			}
		}
		for _, n := range tc.nope {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%v: %q names %s, which is set", tc.env, err, n)
			}
		}
	}
	// Other modes start without them (and warn, see TestEffectiveConfigLogged).
	for _, mode := range []string{"demo", "development"} {
		if _, err := loadConfig(nil, envOf(map[string]string{"SETU_ENV": mode}), io.Discard); err != nil {
			t.Errorf("%s without secrets: %v", mode, err)
		}
	}
}

// The API key requirement of production is the key store's (gateway/keys.go): with the secrets in
// place, a state DB without an active key still refuses to start.
func TestProductionNeedsAnAPIKey(t *testing.T) {
	cfg, err := loadConfig(nil, envOf(map[string]string{
		"SETU_ENV": "production", "UBI_SECRET_KEY": testFernetKey, "REDIS_URL": "redis://127.0.0.1:6379/0",
		"SETU_PG_ADDR": "127.0.0.1:0", "SETU_HTTP_ADDR": "127.0.0.1:0", "SETU_CATALOG": "../../catalog.yaml",
		"SETU_STATE_DB": filepath.Join(t.TempDir(), "state.db"),
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.Start(context.Background(), cfg.Config, slog.New(slog.DiscardHandler))
	if err == nil {
		gw.Close()
		t.Fatal("production started without an API key")
	}
	if !strings.Contains(err.Error(), "API key") {
		t.Errorf("production without keys: %v", err)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	testkit.WriteFile(t, keyFile, testFernetKey+"\n")
	dsnFile := filepath.Join(dir, "dsn")
	testkit.WriteFile(t, dsnFile, "postgres://u:p@h/db\r\n")
	empty := filepath.Join(dir, "empty")
	testkit.WriteFile(t, empty, "\n")
	cfg, err := loadConfig(nil, envOf(map[string]string{"UBI_SECRET_KEY_FILE": keyFile, "SETU_POSTGRES_DSN_FILE": dsnFile, "REDIS_URL": "redis://r:6379/0"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretKey != testFernetKey || cfg.PostgresDSN != "postgres://u:p@h/db" || cfg.RedisURL != "redis://r:6379/0" {
		t.Errorf("secrets read as %q %q %q", string(cfg.SecretKey), string(cfg.PostgresDSN), string(cfg.RedisURL))
	}
	for name, env := range map[string]map[string]string{
		"both set":     {"REDIS_URL": "redis://a/0", "REDIS_URL_FILE": keyFile},
		"missing file": {"REDIS_URL_FILE": filepath.Join(dir, "nope")},
		"empty file":   {"REDIS_URL_FILE": empty},
	} {
		if _, err := loadConfig(nil, envOf(env), io.Discard); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Errorf("%s: %v, want an error naming REDIS_URL", name, err)
		}
	}
}

func TestEffectiveConfigLogged(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	testkit.WriteFile(t, keyFile, testFernetKey+"\n")
	for _, tc := range []struct {
		env      map[string]string
		args     []string
		want     []string
		warnings int
	}{
		{
			env:  map[string]string{"SETU_ENV": "production", "UBI_SECRET_KEY_FILE": keyFile, "REDIS_URL": "redis://:hunter2@r:6379/0", "QUERY_MAX_ROWS": "500"},
			args: []string{"--max-connections", "7"},
			want: []string{"setu_env=\"production (env)\"", "query_max_rows=\"500 (env)\"", "setu_max_connections=\"7 (flag)\"",
				"ubi_secret_key=\"set (file)\"", "redis_url=\"set (env)\"", "setu_postgres_dsn=unset", "setu_pg_addr=127.0.0.1:5433"},
		},
		{env: map[string]string{}, want: []string{"setu_env=demo", "NOT FOR PRODUCTION", "UBI_SECRET_KEY is not set", "REDIS_URL is not set"}, warnings: 3},
		{env: map[string]string{"SETU_ENV": "development", "UBI_SECRET_KEY": testFernetKey}, want: []string{"NOT FOR PRODUCTION", "REDIS_URL is not set"}, warnings: 2},
	} {
		cfg, err := loadConfig(tc.args, envOf(tc.env), io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		var out bytes.Buffer
		cfg.logEffective(newLogger(cfg.LogLevel, &out))
		got := out.String()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%v: log lacks %s:\n%s", tc.env, w, got)
			}
		}
		if n := strings.Count(got, "level=WARN"); n != tc.warnings {
			t.Errorf("%v: %d warnings, want %d:\n%s", tc.env, n, tc.warnings, got)
		}
		for _, leak := range []string{testFernetKey, "hunter2"} {
			if strings.Contains(got, leak) {
				t.Errorf("the log shows a secret:\n%s", got)
			}
		}
	}
}

func TestLogLevelDebug(t *testing.T) {
	for _, v := range []string{"DEBUG", "debug", "Debug"} {
		cfg, err := loadConfig(nil, envOf(map[string]string{"LOG_LEVEL": v}), io.Discard)
		if err != nil || cfg.LogLevel != "DEBUG" {
			t.Fatalf("LOG_LEVEL=%s: %q, %v", v, cfg.LogLevel, err)
		}
		var out bytes.Buffer
		newLogger(cfg.LogLevel, &out).Debug("probe")
		if !strings.Contains(out.String(), "level=DEBUG msg=probe") {
			t.Errorf("LOG_LEVEL=%s: debug line missing: %q", v, out.String())
		}
	}
	var out bytes.Buffer
	newLogger("INFO", &out).Debug("probe")
	if out.Len() != 0 {
		t.Errorf("INFO logs debug lines: %q", out.String())
	}
}

// serve --help lists every setting with its variable and default, and the secrets.
func TestServeHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if _, err := loadConfig([]string{"--help"}, envOf(nil), &out); err != errHelp {
		t.Fatalf("--help: %v", err)
	}
	var c config
	for _, s := range c.Settings() {
		if want := "-" + s.Flag; !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "env "+s.Env+", default \""+s.Default+"\"") {
			t.Errorf("--help lacks %s with env %s and default %q", want, s.Env, s.Default)
		}
	}
	for _, s := range c.SecretSettings() {
		if !strings.Contains(out.String(), s.Env) {
			t.Errorf("--help lacks the secret %s", s.Env)
		}
	}
	if os.Getenv("SETU_TEST_SHOW_HELP") != "" {
		t.Log(out.String())
	}
}

// A bad UBI_SECRET_KEY is named once: the exact message a refused start prints, never the key.
func TestBadSecretKeyMessage(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"not-a-fernet-key", "UBI_SECRET_KEY: key 1 of 1 is not a Fernet key (want 32 bytes in URL-safe base64, as 'setupranali keygen' prints)"},
		{testFernetKey + ",not-a-fernet-key", "UBI_SECRET_KEY: key 2 of 2 is not a Fernet key (want 32 bytes in URL-safe base64, as 'setupranali keygen' prints)"},
		{testFernetKey + ",", "UBI_SECRET_KEY: key 2 of 2 is empty"},
		{"  ", "UBI_SECRET_KEY is not set; make a key with 'setupranali keygen' and set it in the environment"},
	} {
		env := map[string]string{"SETU_ENV": "production", "UBI_SECRET_KEY": tc.key, "REDIS_URL": "redis://127.0.0.1:6379/0"}
		_, err := loadConfig(nil, envOf(env), io.Discard)
		if err == nil {
			t.Errorf("%q: accepted", tc.key)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("%q:\n got  %s\n want %s", tc.key, err, tc.want)
		}
	}
}
