package dependency

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Check is one dependency: Check returns nil when it answers.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Config configures a Watcher.
type Config struct {
	Checks []Check
	// Interval between rounds of checks (default 10s).
	Interval time.Duration
	// Timeout bounds each check (default 5s).
	Timeout time.Duration
	Log     *slog.Logger
	// Namespace prefixes the metrics (e.g. "setu").
	Namespace string
}

// Status is a dependency's state as the last check found it.
type Status string

const (
	// Unknown: not checked yet.
	Unknown Status = "unknown"
	// Up: the last check answered.
	Up Status = "ok"
	// Down: the last check failed; the replica serves without it ("degraded").
	Down Status = "degraded"
)

// State is what the watcher knows of one dependency.
type State struct {
	Name   string
	Status Status
	// Checked is when the last check ended; Since when the status last changed.
	Checked, Since time.Time
	// Latency of the last check that answered.
	Latency time.Duration
}

// Watcher checks its dependencies on an interval. Make it with New, then Start and Close.
type Watcher struct {
	cfg Config

	mu     sync.Mutex
	states map[string]State

	up       *prometheus.GaugeVec
	failures *prometheus.CounterVec

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New returns a watcher of cfg.Checks; each starts Unknown.
func New(cfg Config) *Watcher {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		cfg:    cfg,
		states: map[string]State{},
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: cfg.Namespace, Name: "dependency_up",
			Help: "1 when the last check of a shared dependency (redis, source:<name>) answered, 0 when it failed; the replica keeps serving either way."}, []string{"name"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: cfg.Namespace, Name: "dependency_check_failures_total",
			Help: "Failed checks of a shared dependency, by name."}, []string{"name"}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	now := time.Now()
	for _, c := range cfg.Checks {
		w.states[c.Name] = State{Name: c.Name, Status: Unknown, Since: now}
		// Exported at once, so a dependency never checked is visible (as down) rather than absent.
		w.up.WithLabelValues(c.Name).Set(0)
		w.failures.WithLabelValues(c.Name)
	}
	return w
}

// Collectors are the watcher's metrics.
func (w *Watcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{w.up, w.failures}
}

// Start checks every dependency at once, then every interval until Close.
func (w *Watcher) Start() {
	go func() {
		defer close(w.done)
		t := time.NewTicker(w.cfg.Interval)
		defer t.Stop()
		for {
			w.CheckNow(context.Background())
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// CheckNow runs every check once, concurrently, and records the results.
func (w *Watcher) CheckNow(ctx context.Context) {
	var wg sync.WaitGroup
	for _, c := range w.cfg.Checks {
		wg.Go(func() { w.check(ctx, c) })
	}
	wg.Wait()
}

func (w *Watcher) check(ctx context.Context, c Check) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	start := time.Now()
	err := c.Check(ctx)
	end := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.states[c.Name]
	was := st.Status
	st.Checked = end
	if err != nil {
		st.Status = Down
		w.failures.WithLabelValues(c.Name).Inc()
		w.up.WithLabelValues(c.Name).Set(0)
	} else {
		st.Status = Up
		st.Latency = end.Sub(start)
		w.up.WithLabelValues(c.Name).Set(1)
	}
	if st.Status != was {
		st.Since = end
		switch {
		case err != nil:
			// Logged on the change only: a dependency down for an hour is one line, not 360.
			attrs := []any{"dependency", c.Name, "error", err.Error()}
			if cause := errors.Unwrap(err); cause != nil {
				attrs = append(attrs, "cause", cause.Error())
			}
			if ctx.Err() != nil {
				// The check's own error then only says it was cancelled.
				attrs = append(attrs, "timeout", w.cfg.Timeout.String())
			}
			w.cfg.Log.Warn("dependency unavailable; serving without it", attrs...)
		case was == Down:
			w.cfg.Log.Info("dependency available again", "dependency", c.Name)
		}
	}
	w.states[c.Name] = st
}

// States returns every dependency's state, in the order of Config.Checks.
func (w *Watcher) States() []State {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]State, 0, len(w.cfg.Checks))
	for _, c := range w.cfg.Checks {
		out = append(out, w.states[c.Name])
	}
	return out
}

// Close stops the checks and waits for the watcher; Start must have been called.
func (w *Watcher) Close() {
	if w == nil {
		return
	}
	w.once.Do(func() { close(w.stop) })
	// A round is bounded by the check timeout, so this wait is short.
	<-w.done
}
