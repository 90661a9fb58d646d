// Package valuesize bounds the size of the values and rows the gateway produces or forwards
// (SETU_MAX_VALUE_BYTES, SETU_MAX_ROW_BYTES).
//
// Two halves meet here. The planner rewrites string-growing calls so that the engine refuses
// before it allocates a value past the bound; the refusal is an engine error whose text carries
// Marker, which each engine's error mapping turns back into a 54000 naming the limit (FromEngine),
// so no engine text reaches a client. The executor checks every encoded value and row as it is
// streamed (Check), which catches what no rewrite foresaw (a concatenation, a stored value).
//
// It imports only sqlerr.
package valuesize
