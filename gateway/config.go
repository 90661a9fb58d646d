package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/internal/clientaddr"
	"github.com/setupranali/setupranali/state"
)

// Config is everything the gateway needs. The program fills it from flags and environment
// variables through Settings and SecretSettings; tests and code-built gateways start from Default.
type Config struct {
	// Limits on what clients may hold (limits.go).
	LimitsConfig
	// The catalog engine's fence and the value-size bounds (fence.go).
	FenceConfig

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
	CacheConfig
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
	// as VAR or as a file named by VAR_FILE: see SecretSettings.
	SecretKey   Secret
	PostgresDSN Secret
	RedisURL    Secret
	// StateDSN, when set, is the PostgreSQL state store every replica shares, used instead of
	// the SQLite file StateDB.
	StateDSN Secret
	// clock replaces the key store's clock in tests; nil is the real one.
	clock func() time.Time
	// Version is the program's version, shown by /v1/health and /internal/status.
	Version string
}

// production reports whether the gateway runs for real users: no demo keys, no shortcuts.
func (c Config) Production() bool { return c.Env == "production" }

// Setting is one configurable value: the flag and the environment variable that set it, its
// default, and its parser, which stores the value in the Config it came from.
type Setting struct {
	Flag, Env, Default, Help string
	Set                      func(string) error
}

// Settings are the Config's settings, each storing into c; the program binds them to flags and
// environment variables.
func (c *Config) Settings() []Setting {
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
	return append([]Setting{
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

// Check validates what one setting alone cannot: what production needs. Every error names the
// variable.
func (c *Config) Check() error {
	if c.StateDSN != "" && !state.IsPostgresDSN(string(c.StateDSN)) {
		return fmt.Errorf("SETU_STATE_DSN must be a postgres:// or postgresql:// URL")
	}
	if c.Production() {
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

// SecretSetting is a secret the program reads from the environment only (a flag would put it in
// the process list).
type SecretSetting struct {
	Env, Help string
	Dst       *Secret
}

// SecretSettings are the Config's secrets, each storing into c.
func (c *Config) SecretSettings() []SecretSetting {
	return []SecretSetting{
		{"UBI_SECRET_KEY", "Fernet keys of the source registry, comma-separated; the first encrypts (setupranali keygen)", &c.SecretKey},
		{"REDIS_URL", "Redis of the result cache and rate limits: redis://[:password@]host:6379/0, rediss:// for TLS", &c.RedisURL},
		{"SETU_STATE_DSN", "PostgreSQL state store shared by every replica (keys, sources, audit log), used instead of SETU_STATE_DB: postgres://user@host/db?search_path=setu", &c.StateDSN},
		{"SETU_POSTGRES_DSN", "default PostgreSQL source of datasets with engine postgres and no sourceId", &c.PostgresDSN},
	}
}

// Default is the Config of every setting at its default and no secrets: the embedded demo.
func Default() Config {
	var c Config
	for _, s := range c.Settings() {
		if err := s.Set(s.Default); err != nil {
			// The defaults are constants of this package; one that does not parse is a bug here.
			panic(fmt.Sprintf("gateway: default of %s: %v", s.Env, err))
		}
	}
	return c
}

// Secret is a configuration value that must never be printed: fmt, slog and JSON see
// "********" (or nothing when it is empty).
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "********"
}
func (s Secret) GoString() string             { return s.String() }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(s.String()) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// setBool is a setting's parser for a boolean.
func setBool(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", v)
		}
		*p = b
		return nil
	}
}
