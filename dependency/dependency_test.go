package dependency

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A dependency goes unknown -> degraded -> ok as its checks fail and answer; the gauge follows,
// failures are counted, and the change (not every failed round) is logged with its cause.
func TestWatcherStates(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	var logs bytes.Buffer
	w := New(Config{Namespace: "setu", Log: slog.New(slog.NewJSONHandler(&logs, nil)), Checks: []Check{
		{Name: "redis", Check: func(context.Context) error {
			if fail.Load() {
				return errors.New("ping: dial tcp 10.0.0.7:6379: connection refused")
			}
			return nil
		}},
		{Name: "hung", Check: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	}, Timeout: 50 * time.Millisecond})
	if st := w.States(); st[0].Status != Unknown || st[1].Status != Unknown || st[0].Name != "redis" {
		t.Fatalf("before a check: %+v", st)
	}
	for range 3 {
		w.CheckNow(context.Background())
	}
	st := w.States()
	if st[0].Status != Down || st[1].Status != Down {
		t.Fatalf("failing: %+v", st)
	}
	if v := testutil.ToFloat64(w.up.WithLabelValues("redis")); v != 0 {
		t.Errorf("gauge %v", v)
	}
	if v := testutil.ToFloat64(w.failures.WithLabelValues("redis")); v != 3 {
		t.Errorf("failures %v, want 3", v)
	}
	if n := strings.Count(logs.String(), `"dependency":"redis"`); n != 1 {
		t.Errorf("%d log lines for three failed rounds, want 1:\n%s", n, logs.String())
	}
	fail.Store(false)
	w.CheckNow(context.Background())
	if st := w.States(); st[0].Status != Up || !st[0].Since.Equal(st[0].Checked) {
		t.Errorf("answering: %+v", st[0])
	}
	if v := testutil.ToFloat64(w.up.WithLabelValues("redis")); v != 1 {
		t.Errorf("gauge %v, want 1", v)
	}
	if !strings.Contains(logs.String(), "dependency available again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

// Start checks at once and Close waits for the watcher, even with a check that hangs until
// its timeout.
func TestWatcherStartClose(t *testing.T) {
	checked := make(chan struct{}, 1)
	w := New(Config{Interval: time.Hour, Timeout: 20 * time.Millisecond, Checks: []Check{{Name: "slow", Check: func(ctx context.Context) error {
		select {
		case checked <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}}}})
	w.Start()
	<-checked
	w.Close()
	if st := w.States(); st[0].Status != Down {
		t.Errorf("after the first round: %+v", st)
	}
}
