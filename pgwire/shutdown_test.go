package pgwire

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/sqlerr"
)

func waitServed(t *testing.T, ts *testServer) {
	t.Helper()
	select {
	case err := <-ts.served:
		if err != nil {
			t.Errorf("Serve returned %v", err)
		}
		ts.served <- err // for the cleanup's check
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestShutdownClosesIdleConnections(t *testing.T) {
	ts := startServer(t, nil)
	idle := ts.dial(t)
	idle.login()

	if err := ts.srv.Shutdown(testCtx(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	waitServed(t, ts)
	if er := idle.expectError(sqlerr.AdminShutdown); er.Severity != "FATAL" {
		t.Errorf("severity %s", er.Severity)
	}
	idle.expectClosed()
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Error("the listener still accepts")
	}
}

func TestShutdownLetsRunningQueryFinish(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started

	shut := make(chan error, 1)
	go func() { shut <- ts.srv.Shutdown(testCtx(t)) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a query ran", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(ts.exec.release)

	if got := types(until[*pgproto3.ReadyForQuery](c)); got != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Errorf("the running query's answer: %s", got)
	}
	c.expectError(sqlerr.AdminShutdown)
	c.expectClosed()
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func TestShutdownDeadlineCancelsQueries(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want deadline exceeded", err)
	}
	// Shutdown has waited for the connection goroutines, so the executor has returned.
	select {
	case err := <-ts.exec.stopped:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("executor saw %v", err)
		}
	default:
		t.Fatal("the executor was still running after Shutdown returned")
	}
	c.expectClosed()
	waitServed(t, ts)
}

func TestServeAfterClose(t *testing.T) {
	ts := startServer(t, nil)
	if err := ts.srv.Close(); err != nil {
		t.Fatal(err)
	}
	waitServed(t, ts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Serve(ln); err != nil {
		t.Errorf("Serve after Close: %v", err)
	}
}
