package gateway

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// The stack stops components last-started first, gracefully where they can be on shutdown and
// at once on close, stops them all even when some fail, and is empty afterwards, so a second
// stop does nothing.
func TestStackUnwindsInReverse(t *testing.T) {
	t.Parallel()
	var got []string
	errB := errors.New("b failed")
	build := func() *stack {
		got = nil
		var s stack
		s.push(closeOnly(func() error { got = append(got, "close a"); return nil }))
		s.push(component{
			shutdown: func(ctx context.Context) error { got = append(got, "shutdown b"); return errB },
			close:    func() error { got = append(got, "close b"); return errB },
		})
		s.push(closeOnly(func() error { got = append(got, "close c"); return nil }))
		return &s
	}

	s := build()
	if err := s.shutdown(context.Background()); !errors.Is(err, errB) {
		t.Errorf("shutdown error %v, want b's", err)
	}
	if want := []string{"close c", "shutdown b", "close a"}; !slices.Equal(got, want) {
		t.Errorf("shutdown order %v, want %v", got, want)
	}
	if err := s.shutdown(context.Background()); err != nil || len(got) != 3 {
		t.Errorf("a second shutdown stopped something again: %v %v", err, got)
	}

	s = build()
	if err := s.close(); !errors.Is(err, errB) {
		t.Errorf("close error %v, want b's", err)
	}
	if want := []string{"close c", "close b", "close a"}; !slices.Equal(got, want) {
		t.Errorf("close order %v, want %v", got, want)
	}
}

// A start-up that fails half way leaves nothing open: here the pg listener's address is taken,
// after the cache, key store, sources, DuckDB and planner have been opened.
func TestStartFailureClosesWhatItOpened(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	cfg := Default()
	cfg.PGAddr = gw.Addr().String()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Catalog = "../catalog.yaml"
	cfg.DuckDBPath = t.TempDir() + "/engine.duckdb"
	if _, err := Start(context.Background(), cfg, testLogger()); err == nil {
		t.Fatal("started on a taken address")
	}
	// Within a process DuckDB serves one instance per file, and the open one is locked (no
	// more configuration): a second start-up on the file succeeds only if the failed one
	// closed it.
	cfg.PGAddr = "127.0.0.1:0"
	again, err := Start(context.Background(), cfg, testLogger())
	if err != nil {
		t.Fatalf("the failed start-up left the engine open: %v", err)
	}
	again.Close()
}
