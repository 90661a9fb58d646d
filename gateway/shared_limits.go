package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/state"
)

// Sharing failed logins between the replicas of one PostgreSQL state store: each replica
// writes the failures it counts to login_failures and replays the other replicas' into its own
// limiter, so an address's budget is one budget however a load balancer spreads its attempts.
const (
	// failurePoll is how often a replica reads the others' failures: a lockout another replica
	// earned holds here within about this long.
	failurePoll = 500 * time.Millisecond
	// failureOverlap re-reads a little of the past on every poll, so a failure committed late
	// (or stamped by a replica whose clock is behind) is still replayed; ids already replayed
	// are skipped.
	failureOverlap = 5 * time.Second
	// failureBacklog is how far back a starting replica replays: the default failure window.
	failureBacklog = 10 * time.Minute
	// failureKeep is how long failures stay in the store.
	failureKeep = time.Hour
)

// failureFeed publishes this replica's failed logins and replays the others'. publish is the
// limiter's OnFail; start begins the exchange once the store is open.
type failureFeed struct {
	replica string
	log     *slog.Logger
	queue   chan state.LoginFailure
	// replayed counts the other replicas' failures replayed here.
	replayed atomic.Int64

	mu    sync.Mutex
	db    *state.DB
	limit *auth.Limiter
	stop  chan struct{}
	done  chan struct{}
}

func newFailureFeed(log *slog.Logger) *failureFeed {
	var b [8]byte
	rand.Read(b[:])
	return &failureFeed{replica: hex.EncodeToString(b[:]), log: log, queue: make(chan state.LoginFailure, 4096)}
}

// publish queues a failure for the store; it never blocks a login. Before start, or with a
// full queue, the failure still counts here, only not on the other replicas.
func (f *failureFeed) publish(at time.Time, addr, keyID string) {
	f.mu.Lock()
	running := f.db != nil
	f.mu.Unlock()
	if !running {
		return
	}
	select {
	case f.queue <- state.LoginFailure{At: at, Addr: addr, KeyID: keyID, Replica: f.replica}:
	default:
		f.log.Warn("failed-login queue is full; this failure is not shared with the other replicas", "remote_addr", addr)
	}
}

// start shares failures through db, a PostgreSQL store, replaying into limit.
func (f *failureFeed) start(db *state.DB, limit *auth.Limiter) {
	f.mu.Lock()
	f.db, f.limit = db, limit
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	f.mu.Unlock()
	go f.run()
}

// close stops the exchange after writing the queued failures.
func (f *failureFeed) close() {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.db = nil
	f.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-done
}

func (f *failureFeed) run() {
	defer close(f.done)
	db, limit := f.db, f.limit
	cursor := time.Now().Add(-failureBacklog)
	seen := map[int64]time.Time{}
	tick := time.NewTicker(failurePoll)
	defer tick.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case ev := <-f.queue:
			f.write(db, ev)
		case <-tick.C:
			cursor = f.replay(db, limit, cursor, seen)
			if time.Since(lastPrune) > time.Minute {
				lastPrune = time.Now()
				if err := db.PruneLoginFailures(context.Background(), lastPrune.Add(-failureKeep)); err != nil {
					f.log.Warn("pruning shared failed logins failed", "error", err)
				}
			}
		case <-f.stop:
			for {
				select {
				case ev := <-f.queue:
					f.write(db, ev)
				default:
					return
				}
			}
		}
	}
}

func (f *failureFeed) write(db *state.DB, ev state.LoginFailure) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.RecordLoginFailure(ctx, ev); err != nil {
		f.log.Warn("sharing a failed login failed; it counts on this replica only", "error", err)
	}
}

// replay feeds the other replicas' failures since cursor (less the overlap) into limit and
// returns the new cursor.
func (f *failureFeed) replay(db *state.DB, limit *auth.Limiter, cursor time.Time, seen map[int64]time.Time) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := db.LoginFailuresSince(ctx, cursor.Add(-failureOverlap), f.replica)
	if err != nil {
		f.log.Warn("reading the other replicas' failed logins failed", "error", err)
		return cursor
	}
	for _, ev := range evs {
		if _, ok := seen[ev.ID]; ok {
			continue
		}
		seen[ev.ID] = ev.At
		limit.Replay(ev.At, ev.Addr, ev.KeyID)
		f.replayed.Add(1)
		if ev.At.After(cursor) {
			cursor = ev.At
		}
	}
	for id, at := range seen {
		if at.Before(cursor.Add(-2 * failureOverlap)) {
			delete(seen, id)
		}
	}
	return cursor
}
