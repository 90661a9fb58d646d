package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
)

// CachePurger empties the result cache (engine.ResultCache, shared through Redis by every
// replica): all of it, or only the results that read one dataset. It returns how many entries
// it deleted.
type CachePurger interface {
	Purge(ctx context.Context, dataset string) (int64, error)
}

// purgeCache is POST /internal/cache/purge[?dataset=ID] (admin keys).
func (s *Server) purgeCache(w http.ResponseWriter, r *http.Request) {
	dataset := r.URL.Query().Get("dataset")
	n, err := s.cfg.CachePurge.Purge(r.Context(), dataset)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(map[string]any{"error": "cache_unavailable", "message": "the cache store did not answer; nothing was purged"})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"purged": n, "dataset": dataset})
}
