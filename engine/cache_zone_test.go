package engine

import (
	"testing"
	"time"
)

// A timestamptz prints in the session's zone, so results of one plan in two zones are two
// cache entries; UTC keeps the key it always had.
func TestCacheKeySeparatesZones(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	utc, a, b := testPlan(), testPlan(), testPlan()
	a.Zone, b.Zone = berlin, kolkata
	keys := map[string]bool{cacheKey(utc, nil, nil): true, cacheKey(a, nil, nil): true, cacheKey(b, nil, nil): true}
	if len(keys) != 3 {
		t.Fatalf("zones share cache keys: %v", keys)
	}
	if cacheKey(utc, nil, nil) != referenceCacheKey(utc, nil, nil) {
		t.Fatal("the UTC key changed")
	}
}
