package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/internal/clientaddr"
	"github.com/setupranali/setupranali/state"
)

// errUsage means the flag package already told the user what was wrong; errHelp that the user
// asked for the flags and got them.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// config is everything serve needs, from flags and environment variables.
type config struct {
	// Limits on what clients may hold (limits.go).
	limitsConfig
	// The catalog engine's fence and the value-size bounds (fence.go).
	fenceConfig

	PGAddr         string
	Catalog        string
	DuckDBPath     string
	DuckDBInit     string
	MaxConnections int
	Env            string
	MaxRows        int64
	LogLevel       string
	PlanCacheSize  int
	MaxDimensions  int
	MaxMetrics     int
	MaxFilterDepth int

	// HTTP side server (http.go).
	HTTPAddr          string
	MetricsAddr       string
	MetricsRequireKey bool
	ODataPageSize     int

	// Result cache and rate limits (cache.go).
	cacheConfig
	QueryTimeout time.Duration
	DuckDBMemory string
	StateDB      string
	TLSCert      string
	TLSKey       string
	TLSRequire   bool
	PGCleartext  string
	// TrustedProxies are the proxies whose X-Forwarded-For hops the HTTP server believes; nil
	// trusts none.
	TrustedProxies *clientaddr.Resolver
	// Secrets come from the environment only (a flag would put them in the process list), each
	// as VAR or as a file named by VAR_FILE: see secretSettings.
	SecretKey   secret
	PostgresDSN secret
	RedisURL    secret
	// clock replaces the key store's clock in tests; nil is the real one.
	clock func() time.Time
	// effective records where each setting's value came from, for the start-up log.
	effective []effectiveSetting
}

// production reports whether the gateway runs for real users: no demo keys, no shortcuts.
func (c config) production() bool { return c.Env == "production" }

// setting is one configurable value: a flag and the environment variable that sets its default.
type setting struct {
	flag, env, def, help string
	set                  func(string) error
}

func (c *config) settings() []setting {
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	positive := func(p *int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("must be a positive integer, got %q", v)
			}
			*p = n
			return nil
		}
	}
	// address takes host:port (an empty host listens on every interface; port 0 picks one);
	// optional ones may be empty, which turns the listener off.
	address := func(p *string, optional bool) func(string) error {
		return func(v string) error {
			if v == "" && optional {
				*p = v
				return nil
			}
			_, port, err := net.SplitHostPort(v)
			if err != nil {
				return fmt.Errorf("must be host:port, got %q", v)
			}
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("port must be 0-65535, got %q", port)
			}
			*p = v
			return nil
		}
	}
	return append([]setting{
		{"pg-addr", "SETU_PG_ADDR", "127.0.0.1:5433", "address of the PostgreSQL wire listener", address(&c.PGAddr, false)},
		{"catalog", "SETU_CATALOG", "catalog.yaml", "semantic catalog file", str(&c.Catalog)},
		{"duckdb-path", "SETU_DUCKDB_PATH", "", "DuckDB database file for the embedded engine (empty: in memory)", str(&c.DuckDBPath)},
		{"duckdb-init", "SETU_DUCKDB_INIT", "", "SQL file run in DuckDB at start-up, before external access is locked (load CSV/Parquet here)", str(&c.DuckDBInit)},
		{"duckdb-memory-limit", "SETU_DUCKDB_MEMORY_LIMIT", "4GB", "memory cap of the embedded engine; a query past it fails with 54000", str(&c.DuckDBMemory)},
		{"http-addr", "SETU_HTTP_ADDR", "127.0.0.1:8080", "address of the HTTP server (health, metrics, OData, /v1/query)", address(&c.HTTPAddr, false)},
		{"metrics-addr", "SETU_METRICS_ADDR", "", "separate address serving only /metrics (empty: /metrics on the HTTP server)", address(&c.MetricsAddr, true)},
		{"metrics-require-key", "SETU_METRICS_REQUIRE_KEY", "false", "require an admin or internal_admin API key for /metrics", setBool(&c.MetricsRequireKey)},
		{"odata-page-size", "SETU_ODATA_PAGE_SIZE", "5000", "rows per OData page; more follow through @odata.nextLink", positive(&c.ODataPageSize)},
		{"state-db", "SETU_STATE_DB", "./data/setupranali.db", "state database (sources, keys); created with mode 0600", str(&c.StateDB)},
		{"tls-cert", "SETU_TLS_CERT", "", "PEM certificate (chain) of the pg wire listener's TLS; reloaded on SIGHUP and when the file changes", str(&c.TLSCert)},
		{"tls-key", "SETU_TLS_KEY", "", "PEM private key of --tls-cert", str(&c.TLSKey)},
		{"tls-require", "SETU_TLS_REQUIRE", "false", "refuse pg wire clients that do not use TLS", func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false, got %q", v)
			}
			c.TLSRequire = b
			return nil
		}},
		{"pg-cleartext", "SETU_PG_CLEARTEXT", "tls-or-loopback", "when a key may be sent as a clear-text password: tls-or-loopback, tls, never (SCRAM only) or always", func(v string) error {
			switch v {
			case "tls-or-loopback", "tls", "never", "always":
				c.PGCleartext = v
				return nil
			}
			return fmt.Errorf("must be tls-or-loopback, tls, never or always, got %q", v)
		}},
		{"trusted-proxies", "SETU_TRUSTED_PROXIES", "", "comma-separated IPs and CIDR prefixes of the proxies in front of the HTTP server whose X-Forwarded-For is believed (empty: none; the client is the TCP peer)", func(v string) error {
			r, err := clientaddr.Parse(v)
			if err != nil {
				return err
			}
			c.TrustedProxies = r
			return nil
		}},
		{"max-connections", "SETU_MAX_CONNECTIONS", "100", "most concurrent client connections", positive(&c.MaxConnections)},
		{"plan-cache-size", "SETU_PLAN_CACHE_SIZE", "1024", "parsed statements and plans kept for repeated queries", positive(&c.PlanCacheSize)},
		{"max-dimensions", "SETU_MAX_DIMENSIONS", "20", "most dimensions one query may reference", positive(&c.MaxDimensions)},
		{"max-metrics", "SETU_MAX_METRICS", "50", "most metrics one query may aggregate", positive(&c.MaxMetrics)},
		{"max-filter-depth", "SETU_MAX_FILTER_DEPTH", "10", "deepest AND/OR/NOT nesting of one condition", positive(&c.MaxFilterDepth)},
		{"env", "SETU_ENV", "demo", "demo, development or production", func(v string) error {
			switch v {
			case "demo", "development", "production":
				c.Env = v
				return nil
			}
			return fmt.Errorf("must be demo, development or production, got %q", v)
		}},
		{"query-max-rows", "QUERY_MAX_ROWS", "100000", "row cap of every result; a cut result gets a NOTICE (0: no cap)", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("must be a non-negative integer, got %q", v)
			}
			c.MaxRows = n
			return nil
		}},
		{"query-timeout-seconds", "QUERY_TIMEOUT_SECONDS", "30", "longest a query may run, streaming included (0: no limit)", func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("must be a non-negative number of seconds, got %q", v)
			}
			c.QueryTimeout = time.Duration(n) * time.Second
			return nil
		}},
		{"log-level", "LOG_LEVEL", "INFO", "DEBUG, INFO, WARN or ERROR", func(v string) error {
			switch strings.ToUpper(v) {
			case "DEBUG", "INFO", "WARN", "WARNING", "ERROR":
				c.LogLevel = strings.ToUpper(v)
				return nil
			}
			return fmt.Errorf("must be DEBUG, INFO, WARN or ERROR, got %q", v)
		}},
	}, append(append(c.cacheSettings(), c.limitSettings()...), c.fenceSettings()...)...)
}

// loadConfig reads defaults, then the environment, then flags; a bad value names its source.
func loadConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for i, s := range c.settings() {
		eff := effectiveSetting{env: s.env, value: s.def, source: "default"}
		if v := getenv(s.env); v != "" {
			if err := s.set(v); err != nil {
				return c, fmt.Errorf("%s: %w", s.env, err)
			}
			eff.value, eff.source = v, "env"
		} else if err := s.set(s.def); err != nil {
			return c, fmt.Errorf("default of %s: %w", s.env, err)
		}
		c.effective = append(c.effective, eff)
		fs.Func(s.flag, fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def), func(v string) error {
			if err := s.set(v); err != nil {
				return err
			}
			c.effective[i].value, c.effective[i].source = v, "flag"
			return nil
		})
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: setupranali serve [flags]\n\nEvery flag can also be set by the environment variable named with it.")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nSecrets, from the environment only (VAR), or from the file that VAR_FILE names:")
		for _, s := range c.secretSettings() {
			fmt.Fprintf(stderr, "  %s\n    \t%s\n", s.env, s.help)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, errUsage
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, s := range c.secretSettings() {
		v, err := readSecret(s.env, getenv)
		if err != nil {
			return c, err
		}
		*s.dst = secret(v)
		eff := effectiveSetting{env: s.env, value: "unset", source: "default", secret: true}
		if v != "" {
			eff.value, eff.source = "set", "env"
			if getenv(s.env+"_FILE") != "" {
				eff.source = "file"
			}
		}
		c.effective = append(c.effective, eff)
	}
	if err := c.check(); err != nil {
		return c, err
	}
	return c, nil
}

// check validates what one setting alone cannot: what production needs. Every error names the
// variable.
func (c *config) check() error {
	if c.production() {
		if c.SecretKey != "" {
			// ParseKeyring's errors already name UBI_SECRET_KEY; wrapping would say it twice.
			if _, err := state.ParseKeyring(string(c.SecretKey)); err != nil {
				return err
			}
		}
		var missing []string
		if c.SecretKey == "" {
			missing = append(missing, "UBI_SECRET_KEY (generate one with 'setupranali keygen')")
		}
		if c.RedisURL == "" {
			missing = append(missing, "REDIS_URL (the result cache and rate limits shared by all replicas)")
		}
		if len(missing) > 0 {
			return fmt.Errorf("production mode (SETU_ENV=production) refuses to start without %s", strings.Join(missing, " and "))
		}
	}
	return nil
}

// effectiveSetting is one setting's value and where it came from: default, env, file or flag.
type effectiveSetting struct {
	env, value, source string
	secret             bool
}

// logEffective logs the configuration serve runs with, one line, secrets only as set or unset;
// outside production it warns loudly about what production would refuse.
func (c config) logEffective(log *slog.Logger) {
	attrs := make([]any, 0, 2*len(c.effective))
	for _, e := range c.effective {
		v := e.value
		if e.source != "default" {
			v += " (" + e.source + ")"
		}
		attrs = append(attrs, strings.ToLower(e.env), v)
	}
	log.Info("effective configuration", attrs...)
	if c.production() {
		return
	}
	log.Warn("NOT FOR PRODUCTION: SETU_ENV=" + c.Env + " accepts the public demo API keys and listens on loopback only; set SETU_ENV=production with UBI_SECRET_KEY, REDIS_URL and API keys (docs/production.md)")
	if c.SecretKey == "" {
		log.Warn("UBI_SECRET_KEY is not set: registered data sources cannot be decrypted; production refuses to start without it")
	}
	if c.RedisURL == "" {
		log.Warn("REDIS_URL is not set: cache and rate limits are per process; production refuses to start without it")
	}
}

// secretSetting is a secret read from the environment only.
type secretSetting struct {
	env, help string
	dst       *secret
}

func (c *config) secretSettings() []secretSetting {
	return []secretSetting{
		{"UBI_SECRET_KEY", "Fernet keys of the source registry, comma-separated; the first encrypts (setupranali keygen)", &c.SecretKey},
		{"REDIS_URL", "Redis of the result cache and rate limits: redis://[:password@]host:6379/0, rediss:// for TLS", &c.RedisURL},
		{"SETU_POSTGRES_DSN", "default PostgreSQL source of datasets with engine postgres and no sourceId", &c.PostgresDSN},
	}
}

// readSecret returns the secret env names: its value, or the content of the file env_FILE names
// (Kubernetes and Docker secrets), without the trailing newline such files usually end with.
func readSecret(env string, getenv func(string) string) (string, error) {
	v, file := getenv(env), getenv(env+"_FILE")
	switch {
	case file == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("%s and %s_FILE are both set; set one", env, env)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", env, err)
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", env, file)
	}
	return v, nil
}
