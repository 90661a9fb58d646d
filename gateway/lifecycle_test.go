package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/setupranali/setupranali/internal/testkit"
)

// Graceful drain as SIGTERM runs it: readiness turns 503 "draining" at once, the pg listener
// stops accepting, an idle connection is ended with 57P01, and a query that was running
// finishes with its rows before the gateway stops.
func TestGracefulDrain(t *testing.T) {
	gw := startBigGateway(t, time.Hour)
	ready := "http://" + gw.HTTPAddr().String() + "/v1/ready"
	if code, status := readiness(t, ready); code != http.StatusOK {
		t.Fatalf("before the drain /v1/ready answered %d %q", code, status)
	}
	idle := connect(t, gw, "tenantA-key")
	busy := connect(t, gw, "tenantA-key")

	// A query long enough to still run when the drain starts (a self-join of 50,000 rows).
	result := make(chan error, 1)
	var got []string
	go func() {
		// Its own deadline is the drain's (2 minutes), not tryRows' 10 s: on a loaded machine
		// the self-join alone can take longer than 10 s, and the test is about the drain
		// letting it finish, not about how fast it runs.
		rows, err := testkit.QueryText(busy, 2*time.Minute, "SELECT count(*) FROM big a, big b WHERE a.id < 50000 AND b.id < 50000 AND a.id + b.id = -1")
		got = rows
		result <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the query reach the engine; the checks below do not depend on it

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shut <- gw.Shutdown(ctx)
	}()

	// Readiness answers 503 while the drain runs (or the HTTP side is already gone once the
	// drain has ended).
	sawDraining := false
	for i := 0; i < 200 && !sawDraining; i++ {
		code, status := readiness(t, ready)
		if code == http.StatusServiceUnavailable && status == "draining" {
			sawDraining = true
			break
		}
		if code == 0 {
			break // the HTTP side has shut down: the drain is over
		}
		time.Sleep(10 * time.Millisecond)
	}

	if err := <-result; err != nil || !equal(got, []string{"0"}) {
		t.Errorf("the query running at the drain: %v %v, want its answer 0", got, err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if !sawDraining {
		t.Error("/v1/ready never answered 503 draining during the drain")
	}
	if c, err := net.DialTimeout("tcp", gw.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("the pg listener still accepts after the drain")
	}
	_, err := tryRows(idle, "SELECT 1")
	var pe *pgconn.PgError
	if err == nil || (errors.As(err, &pe) && pe.Code != "57P01") {
		t.Errorf("an idle connection after the drain: %v, want 57P01 or a closed connection", err)
	}
}

// readiness GETs /v1/ready: the status code and the "status" field; 0 when nothing answers.
func readiness(t *testing.T, url string) (int, string) {
	t.Helper()
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Status
}
