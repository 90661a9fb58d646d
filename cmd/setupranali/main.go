package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	_ "time/tzdata" // time zones resolve in minimal containers too

	"github.com/setupranali/setupranali/gateway/admin"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		ctx, stop := shutdownSignals(stderr)
		defer stop()
		if err := serve(ctx, args, stdout, stderr); err != nil {
			if !errors.Is(err, errUsage) {
				fmt.Fprintln(stderr, "setupranali:", err)
			}
			return 1
		}
		return 0
	case "catalog":
		return catalogCmd(args, stdout, stderr)
	case "keygen", "sources", "keys", "backup", "restore":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		c := cli{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
		switch cmd {
		case "keygen":
			return keygenCmd(args, c)
		case "sources":
			return sourcesCmd(ctx, args, c)
		case "keys":
			return keysCmd(ctx, args, c)
		case "backup":
			return backupCmd(ctx, args, c)
		}
		return restoreCmd(ctx, args, c)
	case "healthcheck":
		return healthcheckCmd(args, stdout, stderr, os.Getenv)
	case "cache":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return cacheCmd(ctx, args, cli{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv})
	case "version":
		fmt.Fprintln(stdout, "setupranali", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "setupranali: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: setupranali [command] [flags]

commands:
  serve                    run the gateway (default); see 'setupranali serve --help'
  catalog validate FILE    check a catalog file; prints every problem, exits 1 if any
  keygen                   print a new key for UBI_SECRET_KEY
  sources COMMAND          manage data sources: add, list, show, test, remove, rotate-key
  keys COMMAND             manage API keys: create, list, revoke, rotate, audit
  backup --to FILE         online snapshot of the state DB (safe while serving)
  restore --from FILE      replace the state DB with a checked backup (stop the server first)
  healthcheck              probe the running gateway's /v1/health (exit 0 healthy, 1 not)
  cache purge [--dataset ID]
                           delete cached results in Redis (REDIS_URL), of one dataset or all
  version                  print the version
`)
}

func catalogCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "validate" {
		fmt.Fprintln(stderr, "usage: setupranali catalog validate FILE")
		return 2
	}
	if err := admin.ValidateCatalog(stdout, args[1]); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// shutdownSignals ends the context at the first SIGTERM or SIGINT, which starts a graceful
// drain; a second one exits at once, for an operator who will not wait.
func shutdownSignals(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	stopped := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-stopped:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "setupranali: second signal: exiting without waiting for the drain")
			os.Exit(1)
		case <-stopped:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(stopped)
			cancel()
		})
	}
}
