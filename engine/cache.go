package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/internal/promsum"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Result cache. A result is cached as it goes on the wire: the column descriptions and every row
// already encoded in the formats the client bound, so a hit is copied to the client without
// touching the backend or the encoders. The key hashes everything that decides those bytes (see
// cacheKey); the principal's role, tenants and scopes are part of it, so two principals that may
// see different rows never share an entry.

// CacheStore keeps encoded results by key. Implementations are safe for concurrent use and bound
// every call: a slow or unreachable store returns an error quickly and the query runs uncached.
type CacheStore interface {
	// Get returns the value under key; ok is false on a miss.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Set stores value under key for ttl.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Purge deletes the entries of results that read dataset, or every entry when dataset is
	// "", and says how many it deleted.
	Purge(ctx context.Context, dataset string) (int64, error)
}

// Cache outcomes, reported in Result.Cache.
const (
	// CacheHit: the rows came from the cache.
	CacheHit = "hit"
	// CacheShared: an identical query running at the same time produced the rows (single
	// flight); the backend ran once for both.
	CacheShared = "shared"
	// CacheMiss: the backend ran and the result was stored.
	CacheMiss = "miss"
	// CacheBypass: the cache was not used (result too large, TTL 0, store unavailable).
	CacheBypass = "bypass"
)

// Defaults of the cache settings (CACHE_TTL_SECONDS, CACHE_MAX_ROWS).
const (
	DefaultCacheTTL     = 60 * time.Second
	DefaultCacheMaxRows = 10000
	// defaultStoreRetry is how long the cache leaves a failing store alone before trying it
	// again: long enough that a dead Redis costs queries nothing, short enough that caching
	// resumes soon after it returns.
	defaultStoreRetry = time.Second
)

// CacheConfig configures a ResultCache.
type CacheConfig struct {
	// Store holds the entries; nil means an in-process MemoryStore of DefaultMemoryBytes.
	Store CacheStore
	// TTL is how long an entry lives unless the catalog says otherwise (CACHE_TTL_SECONDS).
	TTL time.Duration
	// MaxRows is the largest result cached (CACHE_MAX_ROWS); larger ones stream through.
	MaxRows int64
	// StoreRetry is how long the store is bypassed after it failed; default 1s.
	StoreRetry time.Duration
	Log        *slog.Logger
}

// ResultCache caches encoded query results in a CacheStore, runs concurrent identical misses
// once, and falls back to running uncached whenever the store fails.
type ResultCache struct {
	store   CacheStore
	ttl     time.Duration
	maxRows int64
	retry   time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	flights map[string]*flight

	// waiting counts queries waiting on another's flight.
	waiting atomic.Int64
	// downUntil is when (Unix nanoseconds) a failed store may be tried again; 0 when healthy.
	downUntil atomic.Int64

	hits, shared, misses prometheus.Counter
	bypasses             *prometheus.CounterVec
	storeErrors          *prometheus.CounterVec
}

// NewResultCache returns a cache over cfg.Store.
func NewResultCache(cfg CacheConfig) *ResultCache {
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(DefaultMemoryBytes)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultCacheTTL
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = DefaultCacheMaxRows
	}
	if cfg.StoreRetry <= 0 {
		cfg.StoreRetry = defaultStoreRetry
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &ResultCache{
		store: cfg.Store, ttl: cfg.TTL, maxRows: cfg.MaxRows, retry: cfg.StoreRetry, log: cfg.Log,
		flights: map[string]*flight{},
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "setu_cache_hits_total", Help: "Query results served from the result cache.",
		}),
		shared: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "setu_cache_shared_total", Help: "Query results shared with an identical query running at the same time (single flight).",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "setu_cache_misses_total", Help: "Cacheable queries that ran on the backend.",
		}),
		bypasses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "setu_cache_bypasses_total", Help: "Queries that ran without the result cache, by reason.",
		}, []string{"reason"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "setu_cache_store_errors_total", Help: "Failed calls to the cache store (Redis), by operation; the query ran uncached.",
		}, []string{"op"}),
	}
}

// Collectors returns the cache's metrics for registration.
func (c *ResultCache) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.hits, c.shared, c.misses, c.bypasses, c.storeErrors}
}

// CacheStats are the cache's counters since start.
type CacheStats struct {
	Hits, Shared, Misses, Bypasses, StoreErrors int64
}

// Stats reads the counters (for status pages and tests).
func (c *ResultCache) Stats() CacheStats {
	return CacheStats{
		Hits: promsum.Counter(c.hits), Shared: promsum.Counter(c.shared), Misses: promsum.Counter(c.misses),
		Bypasses: promsum.Counter(c.bypasses), StoreErrors: promsum.Counter(c.storeErrors),
	}
}

// Purge deletes cached results that read dataset, or all of them when dataset is "". Entries of
// other gateway processes' near caches age out on their own.
func (c *ResultCache) Purge(ctx context.Context, dataset string) (int64, error) {
	return c.store.Purge(ctx, dataset)
}

// Bypass reasons (label values of setu_cache_bypasses_total).
const (
	bypassTooLarge = "too_large"
	bypassTTLZero  = "ttl_zero"
	bypassStore    = "store_unavailable"
)

// available reports whether the store may be used now.
func (c *ResultCache) available() bool {
	until := c.downUntil.Load()
	return until == 0 || time.Now().UnixNano() >= until
}

// storeFailed opens the breaker: the store is left alone for the retry interval. The error text
// comes from the store, which keeps secrets out of it.
func (c *ResultCache) storeFailed(op string, err error) {
	c.storeErrors.WithLabelValues(op).Inc()
	prev := c.downUntil.Swap(time.Now().Add(c.retry).UnixNano())
	if prev == 0 {
		c.log.Warn("result cache store failed; queries run uncached until it answers again", "op", op, "err", err.Error(), "retry_after", c.retry.String())
	}
}

// storeOK closes the breaker after a successful call.
func (c *ResultCache) storeOK() {
	if c.downUntil.Load() != 0 && c.downUntil.Swap(0) != 0 {
		c.log.Info("result cache store answers again; caching resumed")
	}
}

// flight is one execution that identical concurrent misses wait for.
//
// Why not golang.org/x/sync/singleflight? Its Do and DoChan release the waiters only when the
// leader's function returns, and drop the key at that moment, with one shared result or error.
// A flight here needs more: a leader whose result spills past MaxRows releases its waiters
// (to run on their own) while it goes on streaming its rows; a stored result's flight stays
// findable until the store has it, so a query arriving in between shares it instead of missing
// again; and the leader's own cancellation, timeout or admission refusal is not handed to the
// waiters as their answer but makes them try again, one of them as the leader
// (TestCacheSingleFlightUntilStored and TestCacheSingleFlightLeaderCanceled pin the last two).
type flight struct {
	done chan struct{}
	// entry is the encoded result; nil when the leader found it too large or failed.
	entry []byte
	// err is the leader's error when it is the query's own (not the leader's cancellation).
	err error
}

// run answers plan from the cache, or runs it through exec and caches what it wrote. exec
// streams the plan's rows, encoded in formats, to the writer it is given.
func (c *ResultCache) run(ctx context.Context, plan *planner.Plan, args []any, formats []int16, w RowWriter,
	exec func(ctx context.Context, w RowWriter) (Result, error)) (Result, error) {
	if plan.CacheTTL < 0 {
		c.bypasses.WithLabelValues(bypassTTLZero).Inc()
		return c.bypass(ctx, w, exec)
	}
	ttl := c.ttl
	if plan.CacheTTL > 0 {
		ttl = plan.CacheTTL
	}
	key := cacheKey(plan, args, formats)
	for {
		if !c.available() {
			c.bypasses.WithLabelValues(bypassStore).Inc()
			return c.bypass(ctx, w, exec)
		}
		entry, ok, err := c.store.Get(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return Result{}, canceled(ctx)
			}
			c.storeFailed("get", err)
			c.bypasses.WithLabelValues(bypassStore).Inc()
			return c.bypass(ctx, w, exec)
		}
		c.storeOK()
		if ok {
			res, err := writeEntry(entry, plan, formats, w)
			if !errors.Is(err, errBadEntry) {
				c.hits.Inc()
				res.Cache = CacheHit
				return res, err
			}
			// Not the result this plan describes (an entry of another build, damaged): run it
			// and overwrite it.
		}

		c.mu.Lock()
		f, waiting := c.flights[key]
		if !waiting {
			f = &flight{done: make(chan struct{})}
			c.flights[key] = f
		}
		c.mu.Unlock()
		if !waiting {
			return c.lead(ctx, plan, formats, key, ttl, f, w, exec)
		}
		c.waiting.Add(1)
		select {
		case <-ctx.Done():
			c.waiting.Add(-1)
			return Result{}, canceled(ctx)
		case <-f.done:
		}
		c.waiting.Add(-1)
		switch {
		case f.entry != nil:
			res, err := writeEntry(f.entry, plan, formats, w)
			c.shared.Inc()
			res.Cache = CacheShared
			return res, err
		case f.tooLarge():
			c.bypasses.WithLabelValues(bypassTooLarge).Inc()
			return c.bypass(ctx, w, exec)
		case f.err != nil:
			return Result{}, f.err
		}
		// The leader was cancelled: try again, perhaps as the leader.
	}
}

// tooLarge is a finished flight without entry or error whose leader went on streaming.
func (f *flight) tooLarge() bool { return f.entry == nil && f.err == errTooLarge }

// errTooLarge marks a flight whose result exceeded the row limit; waiters run on their own.
var errTooLarge = errors.New("result larger than CACHE_MAX_ROWS")

func (c *ResultCache) bypass(ctx context.Context, w RowWriter, exec func(context.Context, RowWriter) (Result, error)) (Result, error) {
	res, err := exec(ctx, w)
	res.Cache = CacheBypass
	return res, err
}

// lead runs the query for itself and any identical query arriving meanwhile. It holds up to
// MaxRows encoded rows before writing any: a result that fits is stored and shared, then written;
// one that does not is written from what was held on and streams on uncached.
func (c *ResultCache) lead(ctx context.Context, plan *planner.Plan, formats []int16, key string, ttl time.Duration, f *flight,
	w RowWriter, exec func(context.Context, RowWriter) (Result, error)) (Result, error) {
	forget := func() {
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		c.mu.Unlock()
	}
	// finish hands the outcome to the waiters. A stored result keeps its finished flight
	// findable until the store has it, so a query arriving in between shares it instead of
	// missing again.
	finish := func(entry []byte, err error) {
		if entry == nil {
			forget()
		}
		f.entry = entry
		if f.err == nil {
			f.err = err
		}
		close(f.done)
	}
	// The previous leader may have stored the result between this query's lookup and its
	// taking the lead: look once more before running.
	if entry, ok, err := c.store.Get(ctx, key); err == nil && ok && validEntry(entry, plan, formats) {
		finish(entry, nil)
		forget()
		c.hits.Inc()
		res, err := writeEntry(entry, plan, formats, w)
		res.Cache = CacheHit
		return res, err
	}
	cw := &captureWriter{b: newEntryBuilder(plan, formats), max: c.maxRows, out: w}
	cw.onSpill = func() {
		f.err = errTooLarge
		finish(nil, nil)
	}
	res, err := exec(ctx, cw)
	if cw.spilled {
		c.bypasses.WithLabelValues(bypassTooLarge).Inc()
		res.Cache = CacheBypass
		return res, err
	}
	if err != nil {
		var refused *callerRefusal
		if ctx.Err() != nil || errors.As(err, &refused) {
			// The leader's own cancellation, timeout or admission refusal is not the query's
			// answer: the waiters try again, one of them as the leader.
			finish(nil, nil)
		} else {
			finish(nil, err)
		}
		return Result{}, err
	}
	entry := cw.b.finish(res.Truncated)
	finish(entry, nil)
	c.misses.Inc()
	if c.available() {
		if err := c.store.Set(ctx, key, entry, ttl); err != nil {
			if ctx.Err() == nil {
				c.storeFailed("set", err)
			}
		} else {
			c.storeOK()
		}
	}
	forget()
	res, err = writeEntry(entry, plan, formats, w)
	res.Cache = CacheMiss
	return res, err
}

func canceled(ctx context.Context) error {
	if errors.Is(context.Cause(ctx), errStatementTimeout) {
		return ctx.Err()
	}
	return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
}

// maxEntryBytes bounds what a miss holds on to besides the row count: a result of very wide rows
// streams through like one of too many rows.
const maxEntryBytes = 32 << 20

// captureWriter holds the rows of a result while it fits the cache; past max rows it writes
// what it holds to out and passes the rest straight through.
type captureWriter struct {
	b       *entryBuilder
	max     int64
	out     RowWriter
	spilled bool
	onSpill func()
}

func (cw *captureWriter) WriteRow(values [][]byte) error {
	if cw.spilled {
		return cw.out.WriteRow(values)
	}
	if cw.b.rows < cw.max && len(cw.b.buf) < maxEntryBytes {
		cw.b.add(values)
		return nil
	}
	cw.spilled = true
	cw.onSpill()
	held := cw.b.finish(false)
	cw.b = nil
	if err := forEachRow(held, func(vals [][]byte) error { return cw.out.WriteRow(vals) }); err != nil {
		return err
	}
	return cw.out.WriteRow(values)
}

// cacheKey names a result: a hash of everything that decides its bytes — the catalog version,
// the source, the principal's scope, the row cap, the engine SQL, the columns, the parameter
// values and the result formats. The datasets read go in front in the clear, so entries can be
// purged by dataset without listing every key.
func cacheKey(plan *planner.Plan, args []any, formats []int16) string {
	// Every field is framed as "<length>:<bytes>" and the whole goes through SHA-256 at once:
	// a cache hit computes this on every execution, so it is built in one buffer with no
	// per-field allocations (the material is a few hundred bytes: the engine SQL dominates).
	var stack [1024]byte
	m := stack[:0]
	field := func(s string) {
		m = strconv.AppendInt(m, int64(len(s)), 10)
		m = append(m, ':')
		m = append(m, s...)
	}
	var num [24]byte
	number := func(b []byte) {
		m = strconv.AppendInt(m, int64(len(b)), 10)
		m = append(m, ':')
		m = append(m, b...)
	}
	field("setupranali/result/v1")
	field(plan.CatalogVersion)
	field(plan.Source)
	field(plan.CacheScope)
	number(strconv.AppendInt(num[:0], plan.MaxRows, 10))
	field(plan.SQL)
	for i, col := range plan.Columns {
		field(col.Name)
		number(strconv.AppendUint(num[:0], uint64(col.Type.OID), 10))
		number(strconv.AppendInt(num[:0], int64(formatAt(formats, i)), 10))
	}
	field("args")
	for _, a := range args {
		field(argKey(a))
	}
	if plan.Zone != nil {
		// A timestamptz prints in the session's zone: the same rows are other bytes in
		// another. No argument's key is the bare word "zone" (each starts with its kind).
		field("zone")
		field(plan.Zone.String())
	}
	sum := sha256.Sum256(m)

	key := make([]byte, 0, 4+16*len(plan.Datasets)+1+2*len(sum))
	key = append(key, "r:|"...)
	ds := plan.Datasets
	if !strictlyAscending(ds) {
		ds = slices.Compact(slices.Sorted(slices.Values(ds)))
	}
	for _, id := range ds {
		key = appendKeySafe(key, id)
		key = append(key, '|')
	}
	key = append(key, ':')
	return string(hex.AppendEncode(key, sum[:]))
}

// strictlyAscending reports whether ids are sorted without repeats, as they usually are.
func strictlyAscending(ids []string) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			return false
		}
	}
	return true
}

// DatasetKeyPart is how a dataset id appears in cache keys: "|id|" with every byte outside
// [A-Za-z0-9_.-] escaped as %XX, so it holds no glob or separator characters. Stores use it to
// purge by dataset.
func DatasetKeyPart(dataset string) string {
	b := append([]byte{'|'}, appendKeySafe(nil, dataset)...)
	return string(append(b, '|'))
}

func appendKeySafe(b []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '_', ch == '.', ch == '-':
			b = append(b, ch)
		default:
			b = append(b, '%', hexDigits[ch>>4], hexDigits[ch&15])
		}
	}
	return b
}

// argKey renders a parameter value with its type, so 1 (integer) and '1' (text) differ.
func argKey(a any) string {
	switch v := a.(type) {
	case nil:
		return "n"
	case string:
		return "s" + v
	case []byte:
		return "b" + string(v)
	case bool:
		return "t" + strconv.FormatBool(v)
	case int64:
		return "i" + strconv.FormatInt(v, 10)
	case int32:
		return "i" + strconv.FormatInt(int64(v), 10)
	case int:
		return "i" + strconv.Itoa(v)
	case float64:
		return "f" + strconv.FormatUint(math.Float64bits(v), 16)
	case float32:
		return "f" + strconv.FormatUint(math.Float64bits(float64(v)), 16)
	case time.Time:
		return "T" + v.Format(time.RFC3339Nano) + " " + v.Location().String()
	case *big.Int:
		return "I" + v.String()
	}
	return fmt.Sprintf("%T:%#v", a, a)
}

func formatAt(formats []int16, i int) int16 {
	if i < len(formats) {
		return formats[i]
	}
	return 0
}

// The entry encoding: a magic, a flags byte (truncated), the columns (name, type OID, type size,
// format), then every row: per value the length plus one as a uvarint (0 is NULL) and the bytes.
var entryMagic = []byte("SPR1")

const flagTruncated = 1

type entryBuilder struct {
	buf  []byte
	rows int64
}

func newEntryBuilder(plan *planner.Plan, formats []int16) *entryBuilder {
	b := &entryBuilder{buf: make([]byte, 0, 1024)}
	b.buf = append(b.buf, entryMagic...)
	b.buf = append(b.buf, 0)
	b.buf = appendUvarint(b.buf, uint64(len(plan.Columns)))
	for i, col := range plan.Columns {
		b.buf = appendUvarint(b.buf, uint64(len(col.Name)))
		b.buf = append(b.buf, col.Name...)
		b.buf = appendUvarint(b.buf, uint64(col.Type.OID))
		b.buf = appendUvarint(b.buf, uint64(uint16(col.Type.Size)))
		b.buf = append(b.buf, byte(formatAt(formats, i)))
	}
	return b
}

func (b *entryBuilder) add(values [][]byte) {
	for _, v := range values {
		if v == nil {
			b.buf = append(b.buf, 0)
			continue
		}
		b.buf = appendUvarint(b.buf, uint64(len(v))+1)
		b.buf = append(b.buf, v...)
	}
	b.rows++
}

func (b *entryBuilder) finish(truncated bool) []byte {
	if truncated {
		b.buf[len(entryMagic)] |= flagTruncated
	}
	// The entry lives in a store for its TTL: keep exactly its bytes, not the builder's spare
	// capacity (a small result in a 1 KiB buffer would hold ten times what the store counts).
	if cap(b.buf)-len(b.buf) > 64 {
		return append(make([]byte, 0, len(b.buf)), b.buf...)
	}
	return b.buf
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// errBadEntry: an entry that does not describe the plan's result, or is damaged.
var errBadEntry = errors.New("cache entry does not match the plan")

type entryReader struct {
	b   []byte
	off int
	bad bool
}

func (r *entryReader) uvarint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.off >= len(r.b) {
			r.bad = true
			return 0
		}
		c := r.b[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.bad = true
	return 0
}

func (r *entryReader) bytes(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)-r.off) {
		r.bad = true
		return nil
	}
	v := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return v
}

// header checks the entry's columns against the plan and formats and returns the number of
// columns and whether the result was truncated.
func (r *entryReader) header(plan *planner.Plan, formats []int16) (ncols int, truncated bool, ok bool) {
	if len(r.b) < len(entryMagic)+1 || string(r.b[:len(entryMagic)]) != string(entryMagic) {
		return 0, false, false
	}
	flags := r.b[len(entryMagic)]
	r.off = len(entryMagic) + 1
	n := r.uvarint()
	if r.bad || n != uint64(len(plan.Columns)) {
		return 0, false, false
	}
	for i, col := range plan.Columns {
		name := r.bytes(r.uvarint())
		oid := r.uvarint()
		size := r.uvarint()
		f := r.bytes(1)
		if r.bad || string(name) != col.Name || oid != uint64(col.Type.OID) || size != uint64(uint16(col.Type.Size)) ||
			int16(f[0]) != formatAt(formats, i) {
			return 0, false, false
		}
	}
	return int(n), flags&flagTruncated != 0, true
}

// forEachRow calls fn with each row of an entry whose header was already written by this
// process (no checks against a plan). vals is reused between calls.
func forEachRow(entry []byte, fn func(vals [][]byte) error) error {
	r := entryReader{b: entry, off: len(entryMagic) + 1}
	n := int(r.uvarint())
	for range n {
		r.bytes(r.uvarint())
		r.uvarint()
		r.uvarint()
		r.bytes(1)
	}
	return rowsFrom(&r, n, fn)
}

func rowsFrom(r *entryReader, ncols int, fn func(vals [][]byte) error) error {
	vals := make([][]byte, ncols)
	for r.off < len(r.b) {
		for i := range vals {
			l := r.uvarint()
			if l == 0 {
				vals[i] = nil
				continue
			}
			vals[i] = r.bytes(l - 1)
			if vals[i] == nil {
				// Never nil for a value: an empty string is not NULL.
				vals[i] = []byte{}
			}
		}
		if r.bad {
			return errBadEntry
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return nil
}

// validEntry reports whether entry is an intact result of plan in formats.
func validEntry(entry []byte, plan *planner.Plan, formats []int16) bool {
	r := entryReader{b: entry}
	ncols, _, ok := r.header(plan, formats)
	return ok && rowsFrom(&r, ncols, func([][]byte) error { return nil }) == nil
}

// writeEntry writes a cached result to w. The whole entry is checked first, so a damaged one is
// refused (errBadEntry) before any row reaches the client.
func writeEntry(entry []byte, plan *planner.Plan, formats []int16, w RowWriter) (Result, error) {
	r := entryReader{b: entry}
	ncols, truncated, ok := r.header(plan, formats)
	if !ok {
		return Result{}, errBadEntry
	}
	start := r.off
	var rows int64
	if err := rowsFrom(&r, ncols, func([][]byte) error { rows++; return nil }); err != nil {
		return Result{}, errBadEntry
	}
	r.off, r.bad = start, false
	res := Result{Truncated: truncated}
	err := rowsFrom(&r, ncols, func(vals [][]byte) error {
		if err := w.WriteRow(vals); err != nil {
			return err
		}
		res.Rows++
		return nil
	})
	return res, err
}
