package catalog

import "testing"

func TestParseFieldType(t *testing.T) {
	tests := []struct {
		in   string
		want FieldType // "" for unknown
	}{
		{"string", TypeString}, {"text", TypeString}, {"varchar", TypeString}, {"str", TypeString},
		{"int", TypeInt32}, {"int32", TypeInt32}, {"integer", TypeInt32}, {"int4", TypeInt32},
		{"int64", TypeInt64}, {"bigint", TypeInt64}, {"long", TypeInt64}, {"int8", TypeInt64},
		{"double", TypeDouble}, {"float", TypeDouble}, {"float64", TypeDouble}, {"float8", TypeDouble},
		{"number", TypeDouble}, {"real", TypeDouble},
		{"decimal", TypeDecimal}, {"numeric", TypeDecimal},
		{"boolean", TypeBoolean}, {"bool", TypeBoolean},
		{"date", TypeDate},
		{"timestamp", TypeTimestamp}, {"datetime", TypeTimestamp},
		{"timestamptz", TypeTimestampTZ},
		{"BIGINT", TypeInt64}, {" Text ", TypeString},
		{"", ""}, {"blob", ""}, {"varchar(10)", ""}, {"int16", ""},
	}
	for _, tc := range tests {
		got, ok := ParseFieldType(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ParseFieldType(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}
