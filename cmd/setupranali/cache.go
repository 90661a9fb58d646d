package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/setupranali/setupranali/engine/rediscache"
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
	prefix := fs.String("redis-prefix", envOr(c.getenv, "SETU_REDIS_PREFIX", rediscache.DefaultPrefix), "prefix of the gateway's Redis keys (env SETU_REDIS_PREFIX)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "setupranali cache purge: unexpected arguments %v\n", fs.Args())
		return 2
	}
	url, err := readSecret("REDIS_URL", c.getenv)
	if err != nil {
		fmt.Fprintln(c.stderr, "setupranali:", err)
		return 1
	}
	if url == "" {
		fmt.Fprintln(c.stderr, "setupranali cache purge: REDIS_URL is not set; without it each gateway caches in its own memory — purge that through the admin endpoint or restart the gateway")
		return 1
	}
	rc, err := rediscache.Open(rediscache.Config{URL: url, Prefix: *prefix, Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(c.stderr, "setupranali:", err)
		return 1
	}
	defer rc.Close()
	n, err := rc.Purge(ctx, *dataset)
	if err != nil {
		var what string
		if errors.Is(err, context.Canceled) {
			what = " (interrupted)"
		}
		fmt.Fprintf(c.stderr, "setupranali cache purge: %v%s; %d entries deleted before it stopped\n", err, what, n)
		return 1
	}
	scope := "all datasets"
	if *dataset != "" {
		scope = "dataset " + strconv.Quote(*dataset)
	}
	fmt.Fprintf(c.stdout, "purged %d cached results of %s from %s\n", n, scope, rc)
	return 0
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
