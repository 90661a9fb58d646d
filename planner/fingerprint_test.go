package planner

import (
	"strings"
	"testing"
)

func TestFingerprintDropsValues(t *testing.T) {
	id1, text, ok := Fingerprint(`SELECT city FROM orders WHERE tenant_id = 'tenantB' AND revenue > 1250.5 AND note = E'sk_live_secret'`)
	if !ok {
		t.Fatal("a valid statement has no fingerprint")
	}
	for _, value := range []string{"tenantB", "1250", "sk_live_secret"} {
		if strings.Contains(text, value) {
			t.Errorf("normalised text %q keeps the value %q", text, value)
		}
	}
	if !strings.Contains(text, "tenant_id = $1") || !strings.Contains(text, "FROM orders") {
		t.Errorf("normalised text %q does not show the statement's shape", text)
	}
	id2, _, _ := Fingerprint(`SELECT city FROM orders WHERE tenant_id = 'tenantA' AND revenue > 7 AND note = 'x'`)
	if id1 != id2 || id1 == "" {
		t.Errorf("fingerprints %q and %q differ for statements that differ only in values", id1, id2)
	}
	if id3, _, _ := Fingerprint(`SELECT region FROM orders`); id3 == id1 {
		t.Errorf("different statements share the fingerprint %q", id1)
	}
	if _, _, ok := Fingerprint(`SELECT 'unterminated`); ok {
		t.Error("a statement that does not parse has a fingerprint; its text would reach the log")
	}
	_, long, _ := Fingerprint("SELECT " + strings.Repeat("a_long_column_name, ", 200) + "b FROM t")
	if len(long) > maxFingerprintText+3 {
		t.Errorf("normalised text of %d bytes, want at most %d", len(long), maxFingerprintText+3)
	}
}
