package planner

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/setupranali/setupranali/catalog"
)

// DefaultSnapshotGrace is how long a replaced snapshot's system catalog stays open for plans
// made on it before the reload that have not started running yet (a portal bound just before
// the swap, a DECLAREd cursor not fetched yet).
const DefaultSnapshotGrace = time.Minute

// snapshotGeneration numbers snapshots so a plan cached on one is never served for another of
// the same catalog version (a reload back to an earlier file builds a new system catalog).
var snapshotGeneration atomic.Uint64

// Snapshot is one catalog version as the gateway serves it: the semantic catalog and the system
// catalog (pg_catalog emulation) built for it. A reload publishes a whole new Snapshot through
// one atomic pointer (Planner.Publish), and a plan keeps the Snapshot it was made on
// (Plan.Snapshot), so its dataset binding, its system-table rewrite, its CatalogVersion and the
// engine its catalog query runs on all belong to one version. Immutable once published.
//
// The system catalog's engine is closed by reference counting over executions plus a grace
// period: a replaced snapshot closes once the grace has passed and no execution holds it.
// Counting executions alone is not enough: plans are cached and kept by portals and cursors
// that need not tell anyone when they are dropped, so a plan made just before a reload must
// still find its engine open when it starts a moment later; the grace covers that.
type Snapshot struct {
	// Catalog is the semantic catalog.
	Catalog *catalog.Catalog
	// System is the emulated pg_catalog and information_schema built for Catalog; nil refuses
	// catalog queries.
	System SystemCatalog

	gen uint64

	mu       sync.Mutex
	running  int
	retired  bool // replaced by a newer snapshot
	graceOut bool // the grace after retirement has passed
	closed   bool
	timer    *time.Timer
}

// NewSnapshot returns the snapshot of cat with its system catalog sys (may be nil). When sys is
// an io.Closer the snapshot closes it once it is retired and unused.
func NewSnapshot(cat *catalog.Catalog, sys SystemCatalog) *Snapshot {
	return &Snapshot{Catalog: cat, System: sys, gen: snapshotGeneration.Add(1)}
}

// Version is the catalog version of the snapshot.
func (s *Snapshot) Version() string { return s.Catalog.Version() }

// Acquire marks one execution on the snapshot's system catalog; release must be called when it
// ends. ok is false when the snapshot is already closed (its plan outlived the grace).
func (s *Snapshot) Acquire() (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	s.running++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.running--
			closeNow := s.closeableLocked()
			s.mu.Unlock()
			if closeNow {
				s.closeSystem()
			}
		})
	}, true
}

// Closed reports whether the snapshot's system catalog has been closed.
func (s *Snapshot) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// retire marks the snapshot replaced: it closes after grace, once no execution holds it.
func (s *Snapshot) retire(grace time.Duration) {
	s.mu.Lock()
	if s.retired {
		s.mu.Unlock()
		return
	}
	s.retired = true
	s.timer = time.AfterFunc(grace, s.endGrace)
	s.mu.Unlock()
}

// endGrace ends a retired snapshot's grace: it closes now unless an execution holds it.
func (s *Snapshot) endGrace() {
	s.mu.Lock()
	s.graceOut = true
	closeNow := s.closeableLocked()
	s.mu.Unlock()
	if closeNow {
		s.closeSystem()
	}
}

// closeableLocked reports whether the snapshot is due to close now, and marks it closed if so.
func (s *Snapshot) closeableLocked() bool {
	if s.closed || !s.retired || !s.graceOut || s.running > 0 {
		return false
	}
	s.closed = true
	return true
}

// shutdown closes the snapshot at once, whatever holds it: the gateway is stopping and has
// drained its queries.
func (s *Snapshot) shutdown() error {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.closeSystem()
}

func (s *Snapshot) closeSystem() error {
	if c, ok := s.System.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
