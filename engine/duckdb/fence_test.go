package duckdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/sqlerr"
)

// A query past the memory limit is 54000 in the gateway's words, with a hint naming the
// setting, never DuckDB's text; the planner's value-size refusal (error() with the marker) is
// 54000 naming SETU_MAX_VALUE_BYTES; Threads bounds each query's threads.
func TestFenceErrors(t *testing.T) {
	b, err := Open(context.Background(), Config{MemoryLimit: "64MB", MemoryLimitSetting: "SETU_TEST_MEMORY", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for _, tc := range []struct{ sql, msg, hint string }{
		{"SELECT length(string_agg(repeat('x', 1000 + (range % 2)::INTEGER), '')) FROM range(200000)", outOfMemory, "the engine's memory limit is SETU_TEST_MEMORY"},
		{"SELECT error(concat('setu_value_limit:10:', 20 + (SELECT count(*) FROM range(1))))", "result value of 21 bytes exceeds the limit of 10 bytes", "the limit is SETU_MAX_VALUE_BYTES"},
	} {
		_, err := queryAll(t, b, tc.sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.ProgramLimitExceeded || se.Message != tc.msg || se.Hint != tc.hint {
			t.Errorf("%s: %v (hint %q)", tc.sql, err, hintOf(se))
		}
		if err != nil && strings.Contains(err.Error(), "Error:") {
			t.Errorf("%s: engine text reaches the client: %v", tc.sql, err)
		}
	}
	got, err := queryAll(t, b, "SELECT current_setting('threads')")
	if err != nil || len(got) != 1 || got[0][0] != int64(1) {
		t.Errorf("threads: %v %v", got, err)
	}
}

func hintOf(e *sqlerr.Error) string {
	if e == nil {
		return ""
	}
	return e.Hint
}
