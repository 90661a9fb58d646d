package ratelimit

import (
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
