package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// asProgramEnv makes the test binary run as the setupranali program, so a test can start real
// gateway processes without building the binary again.
const asProgramEnv = "SETU_TEST_RUN_AS_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(asProgramEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startServeProcess runs 'setupranali serve' as a process of its own with env added, and
// returns its HTTP base URL once /v1/health answers. It is stopped with SIGTERM when the test
// ends.
func startServeProcess(t *testing.T, env []string) string {
	t.Helper()
	httpAddr := closedPort(t)
	cmd := exec.Command(os.Args[0], "serve")
	var logs testkit.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(), append(env, asProgramEnv+"=1", "REDIS_URL=",
		"SETU_HTTP_ADDR="+httpAddr, "SETU_PG_ADDR="+closedPort(t),
		"SETU_CATALOG="+filepath.Join("..", "..", "catalog.yaml"),
		"SETU_STATE_DB="+filepath.Join(t.TempDir(), "absent", "state.db"))...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	base := "http://" + httpAddr
	testkit.EventuallyWithin(t, 60*time.Second, "serve process answers /v1/health", func() bool {
		select {
		case <-exited:
			t.Fatalf("serve exited: %s", logs.String())
		default:
		}
		resp, err := http.Get(base + "/v1/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}

func httpStatus(t *testing.T, method, url, key string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Two gateway processes on one PostgreSQL state store: a key revoked through one is refused by
// the other within 5 s. They share nothing else: no memory, no file.
func TestTwoServeProcessesShareRevocation(t *testing.T) {
	dsn := sharedStoreDSN(t)
	if dsn == "" {
		return
	}
	env := map[string]string{"SETU_STATE_DSN": dsn}
	create := func(args ...string) string {
		var out, errOut bytes.Buffer
		c := cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] }}
		if code := keysCmd(context.Background(), args, c); code != 0 {
			t.Fatalf("keys %v: %s", args, errOut.String())
		}
		return strings.TrimSpace(out.String())
	}
	admin := create("create", "ops", "--role", "admin")
	viewer := create("create", "bi", "--role", "viewer", "--tenant", "tenantA")

	a := startServeProcess(t, []string{"SETU_STATE_DSN=" + dsn})
	b := startServeProcess(t, []string{"SETU_STATE_DSN=" + dsn})
	for _, base := range []string{a, b} {
		if code := httpStatus(t, "GET", base+"/v1/datasets", viewer); code != 200 {
			t.Fatalf("%s before the revocation: %d", base, code)
		}
	}
	if code := httpStatus(t, "DELETE", a+"/v1/api-keys/"+keyID(viewer), admin); code != 200 {
		t.Fatalf("revoke through a: %d", code)
	}
	testkit.EventuallyWithin(t, 5*time.Second, "process b refuses the key revoked through a", func() bool {
		return httpStatus(t, "GET", b+"/v1/datasets", viewer) == 403
	})
}
