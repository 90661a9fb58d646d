package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/pgcatalog"
	"github.com/setupranali/setupranali/planner"
)

// catalogReloader reloads the catalog file on POST /internal/reload and Gateway.Reload. A
// catalog that does not load, fails validation, or names a source the gateway has not opened is
// refused, and the one serving keeps serving.
type catalogReloader struct {
	path     string
	planner  *planner.Planner
	backends func(key string) bool
	log      *slog.Logger

	mu       sync.Mutex
	reloads  *prometheus.CounterVec
	lastLoad prometheus.Gauge
}

func newCatalogReloader(path string, pl *planner.Planner, backends func(string) bool, log *slog.Logger) *catalogReloader {
	return &catalogReloader{
		path: path, planner: pl, backends: backends, log: log,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "catalog_reloads_total",
			Help: "Catalog reloads by result (ok, refused).",
		}, []string{"result"}),
		lastLoad: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Name: "catalog_loaded_timestamp_seconds",
			Help: "When the catalog serving now was loaded (Unix time).",
		}),
	}
}

func (c *catalogReloader) collectors() []prometheus.Collector {
	c.lastLoad.SetToCurrentTime()
	return []prometheus.Collector{c.reloads, c.lastLoad}
}

// reload loads the catalog file again and swaps it in.
func (c *catalogReloader) reload(ctx context.Context) (httpapi.ReloadResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, err := c.load(ctx)
	if err != nil {
		c.reloads.WithLabelValues("refused").Inc()
		c.log.Warn("catalog reload refused; the previous catalog keeps serving", "catalog", c.path, "error", err)
		return res, err
	}
	c.reloads.WithLabelValues("ok").Inc()
	c.lastLoad.SetToCurrentTime()
	c.log.Info("catalog reloaded", "catalog", c.path, "catalog_version", ShortVersion(res.Version), "datasets", res.Datasets)
	return res, nil
}

func (c *catalogReloader) load(ctx context.Context) (httpapi.ReloadResult, error) {
	cat, err := catalog.LoadFile(c.path)
	if err != nil {
		return httpapi.ReloadResult{}, err
	}
	for _, ds := range cat.Datasets {
		key := ds.Source.SourceID
		if key == "" {
			key = ds.Source.Engine
		}
		if !c.backends(key) {
			return httpapi.ReloadResult{}, fmt.Errorf("dataset %q reads source %q, which the running gateway has not opened; restart to add sources", ds.ID, key)
		}
	}
	res := httpapi.ReloadResult{Version: cat.Version(), Datasets: len(cat.Datasets)}
	cur := c.planner.Snapshot()
	if cat.Version() == cur.Version() {
		return res, nil
	}
	running, ok := cur.System.(*pgcatalog.Catalog)
	if !ok {
		return httpapi.ReloadResult{}, fmt.Errorf("system catalog: the running one cannot be rebuilt")
	}
	// The same fence (memory, connections, time bound) as the running emulation.
	sys, err := running.Rebuild(ctx, cat)
	if err != nil {
		return httpapi.ReloadResult{}, fmt.Errorf("system catalog: %w", err)
	}
	// Both catalogs in one step: no plan sees the new datasets with the old system catalog or
	// the other way round. The replaced system catalog closes once its plans are done.
	c.planner.Publish(planner.NewSnapshot(cat, sys))
	return res, nil
}
