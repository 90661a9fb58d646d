package engine

import (
	"container/list"
	"context"
	"strings"
	"sync"
	"time"
)

// DefaultMemoryBytes bounds the in-process cache when the configuration does not say: 64 MiB.
const DefaultMemoryBytes = 64 << 20

// MemoryStore is a bounded in-process CacheStore: least recently used entries go first when the
// byte budget is full, expired ones when met. It serves the embedded default (no REDIS_URL) and
// the near cache in front of Redis.
type MemoryStore struct {
	max int64

	mu      sync.Mutex
	size    int64
	order   *list.List // front: most recently used
	entries map[string]*list.Element
	now     func() time.Time
}

type memoryEntry struct {
	key     string
	value   []byte
	cost    int64 // bytes counted against the store's size
	expires time.Time
}

// NewMemoryStore returns a store holding at most maxBytes of keys and values.
func NewMemoryStore(maxBytes int64) *MemoryStore {
	if maxBytes <= 0 {
		maxBytes = DefaultMemoryBytes
	}
	return &MemoryStore{max: maxBytes, order: list.New(), entries: map[string]*list.Element{}, now: time.Now}
}

func (m *MemoryStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil, false, nil
	}
	e := el.Value.(*memoryEntry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return nil, false, nil
	}
	m.order.MoveToFront(el)
	return e.value, true, nil
}

// Set keeps value (not copied: callers hand over encoded entries they no longer change). A value
// larger than an eighth of the budget is not kept, so one big result cannot empty the cache.
func (m *MemoryStore) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	// What the entry really holds: the value's whole backing array, not just its length.
	cost := int64(len(key) + cap(value))
	if cost > m.max/8 || ttl <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.entries[key]; ok {
		m.remove(el)
	}
	m.entries[key] = m.order.PushFront(&memoryEntry{key: key, value: value, cost: cost, expires: m.now().Add(ttl)})
	m.size += cost
	for m.size > m.max {
		m.remove(m.order.Back())
	}
	return nil
}

func (m *MemoryStore) remove(el *list.Element) {
	e := m.order.Remove(el).(*memoryEntry)
	delete(m.entries, e.key)
	m.size -= e.cost
}

// Purge deletes the entries of results that read dataset ("" = all).
func (m *MemoryStore) Purge(_ context.Context, dataset string) (int64, error) {
	part := DatasetKeyPart(dataset)
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for key, el := range m.entries {
		if dataset == "" || strings.Contains(datasetSegment(key), part) {
			m.remove(el)
			n++
		}
	}
	return n, nil
}

// Len is the number of entries held (expired ones included until met).
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// datasetSegment is the "|a|b|" part of a cache key ("r:|a|b|:hash").
func datasetSegment(key string) string {
	rest, ok := strings.CutPrefix(key, "r:")
	if !ok {
		return ""
	}
	seg, _, _ := strings.Cut(rest, ":")
	return seg
}

// TieredStore is a small in-process near cache in front of a shared store (Redis): hits of the
// near cache skip the network. A near entry lives at most NearTTL, so a purge or an entry
// replaced elsewhere is seen here within that time.
type TieredStore struct {
	Near    *MemoryStore
	Far     CacheStore
	NearTTL time.Duration
}

func (t *TieredStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if v, ok, _ := t.Near.Get(ctx, key); ok {
		return v, true, nil
	}
	v, ok, err := t.Far.Get(ctx, key)
	if ok && err == nil {
		t.Near.Set(ctx, key, v, t.NearTTL)
	}
	return v, ok, err
}

func (t *TieredStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	t.Near.Set(ctx, key, value, min(ttl, t.NearTTL))
	return t.Far.Set(ctx, key, value, ttl)
}

func (t *TieredStore) Purge(ctx context.Context, dataset string) (int64, error) {
	t.Near.Purge(ctx, dataset)
	return t.Far.Purge(ctx, dataset)
}
