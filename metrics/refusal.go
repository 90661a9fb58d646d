package metrics

import (
	"context"
	"sync/atomic"

	"github.com/setupranali/setupranali/sqlerr"
)

// A request of the HTTP doors is one query for setu_queries_total, counted once: by the metered
// planner or executor when it gets that far, else (refused before planning: bad request, missing
// or wrong key, rate limit, body too large) by the door with the refusal's SQLSTATE. Track marks
// the request's context so the door can tell which happened; the label scheme is the same for
// every door (protocol, SQLSTATE class), so a 429 over HTTP and a 53400 over pg wire land in the
// same class "53".

type trackKey struct{}

// Track returns ctx marked as one counted request.
func Track(ctx context.Context) context.Context {
	return context.WithValue(ctx, trackKey{}, new(atomic.Bool))
}

// MarkCounted records that ctx's request was counted in setu_queries_total (by a metered
// planner or executor, or a wrapper that counts on its own, such as Planner's Parse).
func MarkCounted(ctx context.Context) {
	if b, ok := ctx.Value(trackKey{}).(*atomic.Bool); ok {
		b.Store(true)
	}
}

// Counted reports whether ctx's request was counted.
func Counted(ctx context.Context) bool {
	b, ok := ctx.Value(trackKey{}).(*atomic.Bool)
	return ok && b.Load()
}

// Refused counts a request of protocol refused before planning with SQLSTATE code, unless it
// was counted already.
func (s *Set) Refused(ctx context.Context, protocol, code string) {
	if s == nil || Counted(ctx) {
		return
	}
	MarkCounted(ctx)
	s.queries.WithLabelValues(protocol, sqlerr.Class(code)).Inc()
}
