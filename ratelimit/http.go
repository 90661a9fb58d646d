package ratelimit

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// SetHeaders writes the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers of a
// decision, and Retry-After when it refused. Values are whole seconds, rounded up.
func SetHeaders(h http.Header, d Decision) {
	if d.Limit == 0 {
		return
	}
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(RetrySeconds(d.Reset)))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(RetrySeconds(d.RetryAfter)))
	}
}

// SetHeaders writes the refusal's rate-limit headers (see SetHeaders).
func (r *Refusal) SetHeaders(h http.Header) { SetHeaders(h, r.Decision) }

// CheckHTTP charges one request of class to key and writes the rate-limit headers. When the
// request is refused it answers 429 with a JSON error and returns false; the handler must then
// write nothing more.
func (l *Limiter) CheckHTTP(w http.ResponseWriter, r *http.Request, class, key string) bool {
	d := l.Allow(r.Context(), class, key)
	SetHeaders(w.Header(), d)
	if d.Allowed {
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code":     "rate_limited",
		"sqlstate": "53400",
		"message":  "rate limit exceeded: " + d.Rate.String() + " per API key; retry in " + retryText(d.RetryAfter),
	}})
	return false
}
