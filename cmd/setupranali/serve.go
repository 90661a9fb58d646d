package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/setupranali/setupranali/gateway"
)

// shutdownGrace is how long in-flight queries may finish after SIGTERM/SIGINT.
const shutdownGrace = 15 * time.Second

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, os.Getenv, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, stderr)
	// go-redis's own lines (failed dials, ...) go through the gateway's log, not raw to stderr.
	gateway.SetRedisLogger(log)
	cfg.logEffective(log)
	cfg.Version = version
	gw, err := gateway.Start(ctx, cfg.Config, log)
	if err != nil {
		return err
	}
	gw.PrintBanner(stdout)
	reloadOnSIGHUP(ctx, gw)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", shutdownGrace.String())
	case <-gw.Done():
		if err := gw.Err(); err != nil {
			gw.Close()
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return gw.Shutdown(sctx)
}

// reloadOnSIGHUP reloads the catalog and the TLS certificate on each SIGHUP until ctx ends.
func reloadOnSIGHUP(ctx context.Context, gw *gateway.Gateway) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				rctx, cancel := context.WithTimeout(ctx, time.Minute)
				gw.Reload(rctx)
				cancel()
			}
		}
	}()
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	switch level {
	case "DEBUG":
		l = slog.LevelDebug
	case "WARN", "WARNING":
		l = slog.LevelWarn
	case "ERROR":
		l = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
