package gateway

import (
	"fmt"
	"strconv"
	"time"

	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/internal/valuesize"
	"github.com/setupranali/setupranali/pgcatalog"
)

// FenceConfig is the part of Config that fences the catalog engine and bounds the values and
// rows a query may produce (docs/reliability.md, "The catalog engine and value sizes").
type FenceConfig struct {
	CatalogMemory      string
	CatalogConnections int
	CatalogTimeout     time.Duration
	MaxValueBytes      int64
	MaxRowBytes        int64
}

// fenceSettings are the settings of FenceConfig, listed in Settings().
func (c *FenceConfig) fenceSettings() []Setting {
	bytes := func(p *int64) func(string) error {
		return func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 {
				return fmt.Errorf("must be a number of bytes of at least 1024, got %q", v)
			}
			*p = n
			return nil
		}
	}
	return []Setting{
		{"catalog-memory-limit", "SETU_CATALOG_MEMORY_LIMIT", pgcatalog.DefaultMemoryLimit, "memory cap of the system catalog engine (pg_catalog, information_schema); a query past it fails with 54000", func(v string) error {
			if !duckdb.ValidMemoryLimit(v) {
				return fmt.Errorf("must be a size such as 256MB or 1GB, got %q", v)
			}
			c.CatalogMemory = v
			return nil
		}},
		{"catalog-connections", "SETU_CATALOG_CONNECTIONS", strconv.Itoa(pgcatalog.DefaultMaxConns), "system catalog queries that run at once (one thread each)", func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 2 {
				return fmt.Errorf("must be an integer of at least 2, got %q", v)
			}
			c.CatalogConnections = n
			return nil
		}},
		{"catalog-timeout-seconds", "SETU_CATALOG_TIMEOUT_SECONDS", strconv.Itoa(int(pgcatalog.DefaultTimeout / time.Second)), "longest a system catalog query may run; past it it fails with 57014", func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return fmt.Errorf("must be a whole number of seconds of at least 1, got %q", v)
			}
			c.CatalogTimeout = time.Duration(n) * time.Second
			return nil
		}},
		{"max-value-bytes", "SETU_MAX_VALUE_BYTES", strconv.Itoa(valuesize.DefaultMaxValueBytes), "largest value a query may produce or forward (repeat, lpad, rpad, string_agg are refused before they build one); past it 54000", bytes(&c.MaxValueBytes)},
		{"max-row-bytes", "SETU_MAX_ROW_BYTES", strconv.Itoa(valuesize.DefaultMaxRowBytes), "largest row, all its values together, a query may produce or forward; past it 54000", bytes(&c.MaxRowBytes)},
	}
}

// catalogEngine is the catalog emulation's fence.
func (c FenceConfig) catalogEngine() pgcatalog.Config {
	return pgcatalog.Config{MemoryLimit: c.CatalogMemory, MaxConns: c.CatalogConnections, Timeout: c.CatalogTimeout}
}
