package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/setupranali/setupranali/gateway/admin"
)

// cacheCmd is `setupranali cache purge [--dataset X]`: it deletes cached results in the Redis
// REDIS_URL names. The in-process cache lives inside the serving process: purge it through the
// admin endpoint, or restart.
func cacheCmd(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 || args[0] != "purge" {
		fmt.Fprintln(c.stderr, "usage: setupranali cache purge [--dataset ID]")
		return 2
	}
	fs := flag.NewFlagSet("cache purge", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	dataset := fs.String("dataset", "", "purge only results that read this dataset (default: all)")
	prefix := fs.String("redis-prefix", envOr(c.getenv, "SETU_REDIS_PREFIX", admin.DefaultRedisPrefix), "prefix of the gateway's Redis keys (env SETU_REDIS_PREFIX)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "setupranali cache purge: unexpected arguments %v\n", fs.Args())
		return 2
	}
	url, err := readSecret("REDIS_URL", c.getenv)
	if err != nil {
		return c.fail(err)
	}
	if url == "" {
		fmt.Fprintln(c.stderr, "setupranali cache purge: REDIS_URL is not set; without it each gateway caches in its own memory — purge that through the admin endpoint or restart the gateway")
		return 1
	}
	err = admin.PurgeCache(ctx, c.stdout, url, *prefix, *dataset)
	if pe := (*admin.PurgeError)(nil); errors.As(err, &pe) {
		fmt.Fprintln(c.stderr, "setupranali cache purge:", err)
		return 1
	}
	return c.done(err)
}
