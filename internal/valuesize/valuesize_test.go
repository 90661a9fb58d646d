package valuesize

import (
	"errors"
	"testing"

	"github.com/setupranali/setupranali/sqlerr"
)

func TestFromEngine(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		ok   bool
		want string
	}{
		{"Invalid Input Error: setu_value_limit:1024:5000", true, "result value of 5000 bytes exceeds the limit of 1024 bytes"},
		{`invalid input syntax for type integer: "setu_value_limit:64:100"`, true, "result value of 100 bytes exceeds the limit of 64 bytes"},
		{"Invalid Input Error: setu_series_limit:10000:50001", true, "generate_series in the select list of a system catalog query yields 50001 values; the limit is 10000"},
		{"setu_value_limit:x:100", false, ""},
		{"setu_value_limit:100", false, ""},
		{"some other error", false, ""},
	} {
		e, ok := FromEngine(tc.msg)
		if ok != tc.ok {
			t.Errorf("%q: ok = %v", tc.msg, ok)
			continue
		}
		if ok && (e.Code != sqlerr.ProgramLimitExceeded || e.Message != tc.want) {
			t.Errorf("%q: %s %q", tc.msg, e.Code, e.Message)
		}
	}
}

func TestCheck(t *testing.T) {
	row := [][]byte{make([]byte, 10), nil, make([]byte, 20)}
	if err := Check(row, 20, 30); err != nil {
		t.Fatalf("row at both bounds refused: %v", err)
	}
	if err := Check(row, 0, 0); err != nil {
		t.Fatalf("no bounds: %v", err)
	}
	var e *sqlerr.Error
	if err := Check(row, 19, 0); !errors.As(err, &e) || e.Code != sqlerr.ProgramLimitExceeded || e.Hint != "the limit is SETU_MAX_VALUE_BYTES" {
		t.Fatalf("value past its bound: %v", err)
	}
	if err := Check(row, 0, 29); !errors.As(err, &e) || e.Code != sqlerr.ProgramLimitExceeded || e.Hint != "the limit is SETU_MAX_ROW_BYTES" {
		t.Fatalf("row past its bound: %v", err)
	}
}
