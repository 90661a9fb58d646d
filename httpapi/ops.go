package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/dependency"
)

// health is liveness: open, fast, and never touches a backend.
func (s *Server) health(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	cache := map[string]any{"enabled": false, "redis_available": false}
	if s.cfg.Cache != nil {
		cache = s.cfg.Cache(r.Context())
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":  "ok",
		"time":    time.Now().UTC().Format(time.RFC3339),
		"version": s.cfg.Version,
		"cache":   cache,
	})
}

// readyTimeout bounds each readiness check, so a hung component cannot hang the probe.
const readyTimeout = 5 * time.Second

// ready is readiness: "this replica can serve". It answers 503 only for what this replica needs
// itself (not draining, the catalog loaded, the Ready checks such as the embedded engine). Shared
// dependencies (Redis, remote sources) are reported from their last background check as
// components "ok", "degraded" or "unknown" with status 200 and an overall "degraded": one Redis or
// source outage must not take every replica out of its Service while queries can still be
// answered. Each component says only its state (details go to the log: they may name hosts).
func (s *Server) ready(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "draining"})
		return
	}
	components := map[string]any{}
	ok := true
	cat := s.cfg.Catalog()
	if cat == nil || len(cat.Datasets) == 0 {
		components["catalog"] = map[string]any{"status": "unavailable"}
		ok = false
	} else {
		components["catalog"] = map[string]any{"status": "ok", "version": cat.Version(), "datasets": len(cat.Datasets)}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range s.cfg.Ready {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			defer cancel()
			start := time.Now()
			err := c.Check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ok = false
				info(r).log.Warn("readiness check failed", "component", c.Name, "error", err)
				components[c.Name] = map[string]any{"status": "unavailable"}
				return
			}
			components[c.Name] = map[string]any{"status": "ok", "latency_ms": time.Since(start).Milliseconds()}
		}()
	}
	wg.Wait()
	degraded := false
	if s.cfg.Dependencies != nil {
		for _, d := range s.cfg.Dependencies() {
			components[d.Name] = dependencyJSON(d)
			if d.Status == dependency.Down {
				degraded = true
			}
		}
	}
	status, code := "ready", http.StatusOK
	switch {
	case !ok:
		status, code = "not_ready", http.StatusServiceUnavailable
	case degraded:
		status = "degraded"
	}
	writeJSON(w, code, map[string]any{"status": status, "components": components})
}

// dependencyJSON is a shared dependency's state as /v1/ready and /internal/status show it.
func dependencyJSON(d dependency.State) map[string]any {
	out := map[string]any{"status": string(d.Status), "required": false,
		"since": d.Since.UTC().Format(time.RFC3339)}
	if !d.Checked.IsZero() {
		out["checked"] = d.Checked.UTC().Format(time.RFC3339)
	}
	if d.Status == dependency.Up {
		out["latency_ms"] = d.Latency.Milliseconds()
	}
	return out
}

// status is the operations view for admin and internal_admin keys.
func (s *Server) status(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	out := map[string]any{}
	if s.cfg.Status != nil {
		for k, v := range s.cfg.Status(r.Context()) {
			out[k] = v
		}
	}
	if cat := s.cfg.Catalog(); cat != nil {
		out["catalog"] = map[string]any{"version": cat.Version(), "datasets": cat.DatasetIDs()}
	}
	if s.cfg.Dependencies != nil {
		// A list, not an object keyed by name: every key of this document is snake_case, and a
		// dependency's name ("source:warehouse") is data.
		deps := []any{}
		for _, d := range s.cfg.Dependencies() {
			j := dependencyJSON(d)
			j["name"] = d.Name
			deps = append(deps, j)
		}
		out["dependencies"] = deps
	}
	out["version"] = s.cfg.Version
	out["time"] = time.Now().UTC().Format(time.RFC3339)
	writeJSON(w, http.StatusOK, out)
}

// reload loads the catalog again; an invalid one is refused and the old keeps serving.
func (s *Server) reload(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	if s.cfg.Reload == nil {
		s.writeError(w, r, http.StatusNotImplemented, "not_supported", "catalog reload is not configured", "")
		return
	}
	res, err := s.cfg.Reload(r.Context())
	if err != nil {
		info(r).log.Warn("catalog reload refused", "error", err)
		s.writeError(w, r, http.StatusUnprocessableEntity, "invalid_catalog", "catalog not reloaded; the previous one keeps serving: "+err.Error(), "")
		return
	}
	info(r).log.Info("catalog reloaded", "catalog_version", res.Version, "datasets", res.Datasets)
	writeJSON(w, http.StatusOK, map[string]any{"status": "reloaded", "catalog_version": res.Version, "datasets": res.Datasets})
}
