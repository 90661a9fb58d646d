package httpapi

import (
	"strings"
	"testing"
)

func TestCheckDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		body, dup string
	}{
		{`{"dataset":"orders","metrics":["m"]}`, ""},
		{`{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}],"d":["x","x"]}`, ""},
		{`{"a":"b","b":"a"}`, ""},
		{`{"filters":{"field":"city"},"filters":null}`, "filters"},
		{`{"dataset":"a","Dataset":"b"}`, "Dataset"},
		{`{"dimensions":[{"name":"city","alias":"x","alias":"y"}]}`, "alias"},
		{`{"filters":{"or":[{"not":{"field":"a","op":"eq","value":[{"v":1}],"value":2}}]}}`, "value"},
		{`{"a":[[{"k":1}],{"k":2}],"k":3,"a2":{"k":{"k":1}}}`, ""},
		{`{"a":1,`, ""},
	} {
		err := checkDuplicateKeys([]byte(tc.body))
		switch {
		case tc.dup == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.dup != "" && (err == nil || !strings.Contains(err.Error(), `"`+tc.dup+`"`)):
			t.Errorf("%s: %v, want %q named", tc.body, err, tc.dup)
		}
	}
}
