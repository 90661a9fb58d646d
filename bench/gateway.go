package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// gatewayProc is a gateway running as a child process of the built binary, so its memory is its
// own and can be read from /proc.
type gatewayProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	exited chan error
}

type gatewayOptions struct {
	bin, catalog, duckdbPath, pgDSN, stateDB string
	cache                                    bool
	maxConns                                 int
}

// startGateway starts `setupranali serve` on a free loopback port and waits until it accepts an
// authenticated connection.
func startGateway(ctx context.Context, o gatewayOptions, key string) (*gatewayProc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.bin, "serve")
	cmd.Env = append(os.Environ(),
		"SETU_PG_ADDR="+addr,
		"SETU_HTTP_ADDR="+httpAddr,
		"SETU_CATALOG="+o.catalog,
		"SETU_DUCKDB_PATH="+o.duckdbPath,
		"SETU_POSTGRES_DSN="+o.pgDSN,
		"SETU_STATE_DB="+o.stateDB,
		"SETU_MAX_CONNECTIONS="+strconv.Itoa(o.maxConns),
		// The bench holds all its connections with one key: the fairness caps (half and three
		// quarters of the server's by default) would stop it short of its idle-memory phase.
		"SETU_MAX_CONNECTIONS_PER_KEY="+strconv.Itoa(o.maxConns),
		"SETU_MAX_CONNECTIONS_PER_TENANT="+strconv.Itoa(o.maxConns),
		"QUERY_MAX_ROWS=0",
		"QUERY_TIMEOUT_SECONDS=0",
		"LOG_LEVEL=WARN",
		"CACHE_ENABLED="+strconv.FormatBool(o.cache),
		// Warm means warm for the whole phase, not until the default 60 s run out.
		"CACHE_TTL_SECONDS=3600",
		"RATE_LIMIT_ENABLED=false",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gatewayProc{cmd: cmd, addr: addr, stderr: &stderr, exited: make(chan error, 1)}
	go func() { g.exited <- cmd.Wait() }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := pgx.Connect(cctx, g.connString(key, "simple_protocol"))
		cancel()
		if err == nil {
			c.Close(ctx)
			return g, nil
		}
		select {
		case werr := <-g.exited:
			return nil, fmt.Errorf("gateway exited (%v): %s", werr, strings.TrimSpace(stderr.String()))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			g.stop()
			return nil, fmt.Errorf("gateway did not accept connections: %v; stderr: %s", err, stderr.String())
		}
	}
}

func (g *gatewayProc) connString(key, mode string) string {
	host, port, _ := net.SplitHostPort(g.addr)
	return fmt.Sprintf("host=%s port=%s user=bench dbname=setupranali password=%s sslmode=disable default_query_exec_mode=%s", host, port, key, mode)
}

// stop asks the gateway to shut down and waits for it, killing it if it takes too long.
func (g *gatewayProc) stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(20 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
}

// mem is the gateway's memory from /proc/<pid>/status, in bytes: resident set (VmRSS), its peak
// (VmHWM), and the anonymous part of the resident set (RssAnon: heap and stacks, without the
// pages of the binary and its libraries).
type mem struct{ rss, hwm, anon int64 }

func (g *gatewayProc) memory() (mem, error) {
	var m mem
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid))
	if err != nil {
		return m, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []struct {
			name string
			dst  *int64
		}{{"VmRSS:", &m.rss}, {"VmHWM:", &m.hwm}, {"RssAnon:", &m.anon}} {
			if strings.HasPrefix(line, k.name) {
				fields := strings.Fields(line[len(k.name):])
				if len(fields) > 0 {
					n, _ := strconv.ParseInt(fields[0], 10, 64)
					*k.dst = n << 10
				}
			}
		}
	}
	if m.rss == 0 || m.hwm == 0 {
		return m, errors.New("VmRSS/VmHWM not found in /proc status")
	}
	return m, sc.Err()
}

// resetPeak resets VmHWM to the current RSS (Linux: "5" to clear_refs), so a phase's peak is
// its own.
func (g *gatewayProc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", g.cmd.Process.Pid), []byte("5"), 0)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// supportsCache reports whether the gateway binary has the result cache (its serve flags name
// CACHE_ENABLED).
func supportsCache(bin string) bool {
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	return bytes.Contains(out, []byte("CACHE_ENABLED"))
}
