package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/gateway"
	"github.com/setupranali/setupranali/internal/testkit"
)

// The tests here run the program's commands and then the gateway they configured; the gateway's
// own end-to-end tests, with fuller helpers, are in package gateway.

// connect opens a simple-protocol pgx connection to gw with key as the password.
func connect(t *testing.T, gw *gateway.Gateway, key string) *pgx.Conn {
	t.Helper()
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=demo dbname=setupranali password=%s sslmode=disable default_query_exec_mode=simple_protocol", host, port, key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func tryRows(conn *pgx.Conn, sql string) ([]string, error) {
	return testkit.QueryText(conn, 10*time.Second, sql)
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// testLogger discards: the tests here read what they need from their own buffers.
func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
