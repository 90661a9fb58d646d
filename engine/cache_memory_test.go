package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
)

// The in-process store counts what an entry really holds, so its bound is a bound on memory:
// a small result kept in a large buffer costs the buffer, and the builder hands the store
// entries without spare capacity.
func TestMemoryStoreCountsWhatEntriesHold(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore(64 << 10)
	big := make([]byte, 10, 4<<10) // 10 bytes used, 4 KiB held
	for i := 0; i < 64; i++ {
		if err := store.Set(ctx, fmt.Sprintf("k%02d", i), big, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if store.size > 64<<10 {
		t.Errorf("store holds %d bytes, over its bound of %d", store.size, 64<<10)
	}
	kept := 0
	for i := 0; i < 64; i++ {
		if _, ok, _ := store.Get(ctx, fmt.Sprintf("k%02d", i)); ok {
			kept++
		}
	}
	if kept > 16 {
		t.Errorf("%d entries of 4 KiB kept in a 64 KiB store", kept)
	}

	plan := &planner.Plan{Columns: []planner.Column{{Name: "city", Type: pgtypes.Text}}}
	b := newEntryBuilder(plan, nil)
	b.add([][]byte{[]byte("Indore")})
	if entry := b.finish(false); cap(entry)-len(entry) > 64 {
		t.Errorf("a finished entry keeps %d spare bytes", cap(entry)-len(entry))
	}
}
