package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// SetLogger routes go-redis's own log lines (a failed dial, a connection dropped with unread
// data, ...) through log, so they come out in the gateway's log format with its level instead
// of as unstructured lines on stderr. go-redis keeps one logger per process: call this once at
// start-up, before any client is opened.
func SetLogger(log *slog.Logger) {
	redis.SetLogger(slogAdapter{log: log})
}

// slogAdapter is go-redis's logging interface over slog.
type slogAdapter struct{ log *slog.Logger }

// Printf logs one go-redis line as a warning: go-redis logs only what went wrong.
func (a slogAdapter) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, v...))
	msg = strings.TrimPrefix(msg, "redis: ")
	a.log.WarnContext(ctx, "redis client: "+msg, "component", "redis")
}
