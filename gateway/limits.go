package gateway

import (
	"fmt"
	"strconv"
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/pgwire"
)

// LimitsConfig is the part of Config that bounds what clients may hold of the gateway
// (docs/reliability.md).
type LimitsConfig struct {
	MaxConnectionsPerKey    int
	MaxConnectionsPerTenant int
	MaxStartupConnections   int
	MaxQueriesPerKey        int
	MaxCatalogQueriesPerKey int
	MaxMessageBytes         int
	StartupTimeout          time.Duration
	WriteTimeout            time.Duration
	IdleSessionTimeout      time.Duration
	IdleInTransactionLimit  time.Duration
}

// limitSettings are the settings of LimitsConfig, listed in Settings().
func (c *LimitsConfig) limitSettings() []Setting {
	count := func(p *int, least int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < least {
				return fmt.Errorf("must be an integer of at least %d, got %q", least, v)
			}
			*p = n
			return nil
		}
	}
	seconds := func(p *time.Duration, least int) func(string) error {
		return func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < least {
				return fmt.Errorf("must be a whole number of seconds of at least %d, got %q", least, v)
			}
			*p = time.Duration(n) * time.Second
			return nil
		}
	}
	return []Setting{
		{"max-connections-per-key", "SETU_MAX_CONNECTIONS_PER_KEY", "0", "most pg connections one API key may hold; more fail with FATAL 53300 (0: half of --max-connections)", count(&c.MaxConnectionsPerKey, 0)},
		{"max-connections-per-tenant", "SETU_MAX_CONNECTIONS_PER_TENANT", "0", "most pg connections the keys of one tenant may hold together; more fail with FATAL 53300 (0: three quarters of --max-connections)", count(&c.MaxConnectionsPerTenant, 0)},
		{"max-startup-connections", "SETU_MAX_STARTUP_CONNECTIONS", "0", "most pg connections that have not authenticated yet, apart from --max-connections; more fail with FATAL 53300 (0: as many as --max-connections)", count(&c.MaxStartupConnections, 0)},
		{"max-queries-per-key", "SETU_MAX_QUERIES_PER_KEY", "0", "most queries one API key may run at once over pg wire, /v1/query and OData together; more fail with 53400 (0: no cap)", count(&c.MaxQueriesPerKey, 0)},
		{"max-catalog-queries-per-key", "SETU_MAX_CATALOG_QUERIES_PER_KEY", "0", "most catalog (pg_catalog, information_schema) queries one API key may run at once; more fail with 53400 (0: half of the catalog engine's connections)", count(&c.MaxCatalogQueriesPerKey, 0)},
		{"max-message-bytes", "SETU_MAX_MESSAGE_BYTES", "16777216", "largest protocol message a pg client may send; a bigger one ends the connection with 08P01", count(&c.MaxMessageBytes, 1024)},
		{"startup-timeout-seconds", "SETU_STARTUP_TIMEOUT_SECONDS", "30", "longest a pg client may take to connect and log in", seconds(&c.StartupTimeout, 1)},
		{"write-timeout-seconds", "SETU_WRITE_TIMEOUT_SECONDS", "60", "longest one write to a pg client may block; a client that stops reading is disconnected and its query cancelled", seconds(&c.WriteTimeout, 1)},
		{"idle-session-timeout-seconds", "SETU_IDLE_SESSION_TIMEOUT_SECONDS", "0", "server default of idle_session_timeout: idle pg sessions are closed with 57P05 (0: never)", seconds(&c.IdleSessionTimeout, 0)},
		{"idle-in-transaction-timeout-seconds", "SETU_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS", "0", "server default of idle_in_transaction_session_timeout: sessions idle in a transaction block are closed with 25P03 (0: never)", seconds(&c.IdleInTransactionLimit, 0)},
	}
}

// admission returns the caps as the admission point takes them, with the server's connection
// cap, the catalog engine's pool size and the rate limiter (nil: no rate limits).
func (c LimitsConfig) admission(maxConnections, catalogConnections int, rates admission.RateLimiter) admission.Config {
	return admission.Config{
		MaxConnections:          maxConnections,
		MaxConnectionsPerKey:    c.MaxConnectionsPerKey,
		MaxConnectionsPerTenant: c.MaxConnectionsPerTenant,
		MaxStartupConnections:   c.MaxStartupConnections,
		MaxQueriesPerKey:        c.MaxQueriesPerKey,
		MaxCatalogQueriesPerKey: c.MaxCatalogQueriesPerKey,
		CatalogConnections:      catalogConnections,
		Limiter:                 rates,
	}
}

// pgwire returns the limits as the pg wire server takes them.
func (c LimitsConfig) pgwire() pgwire.Limits {
	return pgwire.Limits{
		WriteTimeout:                    c.WriteTimeout,
		IdleSessionTimeout:              c.IdleSessionTimeout,
		IdleInTransactionSessionTimeout: c.IdleInTransactionLimit,
	}
}
