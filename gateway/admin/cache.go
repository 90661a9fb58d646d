package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/setupranali/setupranali/engine/rediscache"
)

// DefaultRedisPrefix is the prefix of the gateway's Redis keys when SETU_REDIS_PREFIX is not
// set.
const DefaultRedisPrefix = rediscache.DefaultPrefix

// PurgeError is a purge that failed part way, after Deleted entries were gone.
type PurgeError struct {
	Err     error
	Deleted int64
}

func (e *PurgeError) Error() string {
	var what string
	if errors.Is(e.Err, context.Canceled) {
		what = " (interrupted)"
	}
	return fmt.Sprintf("%v%s; %d entries deleted before it stopped", e.Err, what, e.Deleted)
}

func (e *PurgeError) Unwrap() error { return e.Err }

// PurgeCache deletes the cached results in the Redis at url under prefix: those that read
// dataset, or all when it is empty. Only the shared Redis cache can be purged from outside; a
// gateway's in-process cache lives in that process.
func PurgeCache(ctx context.Context, stdout io.Writer, url, prefix, dataset string) error {
	rc, err := rediscache.Open(rediscache.Config{URL: url, Prefix: prefix, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := rc.Purge(ctx, dataset)
	if err != nil {
		return &PurgeError{Err: err, Deleted: n}
	}
	scope := "all datasets"
	if dataset != "" {
		scope = "dataset " + strconv.Quote(dataset)
	}
	fmt.Fprintf(stdout, "purged %d cached results of %s from %s\n", n, scope, rc)
	return nil
}
