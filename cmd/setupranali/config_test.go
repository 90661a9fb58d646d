package main

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

func TestConfigRejectsBadValuesNamingTheVariable(t *testing.T) {
	for env, val := range map[string]string{
		"QUERY_MAX_ROWS":       "lots",
		"SETU_MAX_CONNECTIONS": "0",
		"SETU_ENV":             "staging",
		"LOG_LEVEL":            "LOUD",
	} {
		_, err := loadConfig(nil, func(k string) string {
			if k == env {
				return val
			}
			return ""
		}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%s: got %v, want an error naming %s", env, val, err, env)
		}
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	cfg, err := loadConfig([]string{"--pg-addr", "127.0.0.1:7000"}, func(k string) string {
		if k == "SETU_PG_ADDR" {
			return "127.0.0.1:6000"
		}
		return ""
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PGAddr != "127.0.0.1:7000" || cfg.MaxRows != 100000 || cfg.Env != "demo" {
		t.Errorf("config %+v", cfg)
	}
}

func TestCatalogValidateCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"catalog", "validate", "../../catalog.yaml"}, &out, &errb); code != 0 {
		t.Errorf("valid catalog: exit %d, stderr %s", code, errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	testkit.WriteFile(t, bad, "datasets:\n  - id: x\n    colour: red\n    source: {reference: t}\n    fields: [{name: a, type: nosuchtype}]\n")
	out.Reset()
	errb.Reset()
	if code := run([]string{"catalog", "validate", bad}, &out, &errb); code != 1 {
		t.Errorf("invalid catalog: exit %d, want 1", code)
	}
	for _, want := range []string{"bad.yaml:3", "bad.yaml:5"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("output %q lacks %s", errb.String(), want)
		}
	}
}
