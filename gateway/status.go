package gateway

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/setupranali/setupranali/dependency"
	"github.com/setupranali/setupranali/httpapi"
)

// pinger is a backend that can check its connection.
type pinger interface {
	Ping(ctx context.Context) (time.Duration, error)
}

// dependencyCheckInterval is how often the shared dependencies (Redis, remote sources) are
// checked for /v1/ready, /internal/status and setu_dependency_up.
const dependencyCheckInterval = 10 * time.Second

// readinessChecks are what /v1/ready checks besides the catalog: what this replica needs to
// serve, the embedded engine. Sources are dependencies (dependencyChecks): one that is down fails
// its own datasets, and the replica serves the rest.
func readinessChecks(embedded pinger) []httpapi.Check {
	return []httpapi.Check{{Name: "duckdb", Check: func(ctx context.Context) error {
		_, err := embedded.Ping(ctx)
		return err
	}}}
}

// dependencyChecks are the opened sources that can be pinged, as "source:<key>", in key order.
func dependencyChecks(sources *sourceSet) []dependency.Check {
	var checks []dependency.Check
	for _, key := range slices.Sorted(maps.Keys(sources.byKey)) {
		p, ok := sources.byKey[key].(pinger)
		if !ok {
			continue
		}
		checks = append(checks, dependency.Check{Name: "source:" + key, Check: func(ctx context.Context) error {
			_, err := p.Ping(ctx)
			return err
		}})
	}
	return checks
}

// statusSections are /internal/status's sections from the configuration: flags, never secrets.
func statusSections(cfg Config, demo bool, sources *sourceSet, conns func() float64) func(context.Context) map[string]any {
	return func(ctx context.Context) map[string]any {
		dbs := []string{"duckdb"}
		for key := range sources.byKey {
			dbs = append(dbs, key)
		}
		return map[string]any{
			"environment": map[string]any{
				"mode":                    cfg.Env,
				"demo":                    demo,
				"secret_key_configured":   cfg.SecretKey != "",
				"postgres_dsn_configured": cfg.PostgresDSN != "",
				"catalog_file":            cfg.Catalog,
				"log_level":               cfg.LogLevel,
			},
			"guards": map[string]any{
				"query_max_rows":        cfg.MaxRows,
				"query_timeout_seconds": int(cfg.QueryTimeout / time.Second),
				"max_dimensions":        cfg.MaxDimensions,
				"max_metrics":           cfg.MaxMetrics,
				"max_filter_depth":      cfg.MaxFilterDepth,
				"max_connections":       cfg.MaxConnections,
			},
			"databases":   dbs,
			"connections": map[string]any{"pg_open": conns()},
		}
	}
}
