package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/setupranali/setupranali/gateway"
)

// defaultHTTPAddr is where the HTTP side server listens when no setting says otherwise.
const defaultHTTPAddr = "127.0.0.1:8080"

// healthcheckCmd asks the running gateway's HTTP server for /v1/health and exits 0 when it
// answers 200, 1 otherwise. It is the container HEALTHCHECK: the runtime image has no curl, and
// the address comes from the same SETU_HTTP_ADDR setting serve reads, so the two cannot disagree.
func healthcheckCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "HTTP address of the gateway (default: SETU_HTTP_ADDR, else "+settingDefault("SETU_HTTP_ADDR", defaultHTTPAddr)+")")
	path := fs.String("path", "/v1/health", "path to probe (/v1/ready for readiness)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	quiet := fs.Bool("quiet", false, "print nothing on success")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "healthcheck: unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if *addr == "" {
		*addr = getenv("SETU_HTTP_ADDR")
	}
	if *addr == "" {
		*addr = settingDefault("SETU_HTTP_ADDR", defaultHTTPAddr)
	}
	url, err := healthURL(*addr, *path)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	// No proxy from the environment: the probe is always local.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s: %s\n", url, resp.Status)
		return 1
	}
	if !*quiet {
		fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	}
	return 0
}

// healthURL turns a listen address into a URL to probe: a wildcard or empty host means the
// server listens on every interface, loopback included, so the probe goes to 127.0.0.1.
func healthURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("SETU_HTTP_ADDR %q: %w", addr, err)
	}
	if port == "" || port == "0" {
		return "", fmt.Errorf("SETU_HTTP_ADDR %q: no fixed port to probe", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	if len(path) == 0 || path[0] != '/' {
		path = "/" + path
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// settingDefault is the default serve uses for the setting named by env, or fallback when serve
// has no such setting.
func settingDefault(env, fallback string) string {
	var c gateway.Config
	for _, s := range c.Settings() {
		if s.Env == env && s.Default != "" {
			return s.Default
		}
	}
	return fallback
}
