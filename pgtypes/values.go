package pgtypes

import "math/big"

// The encoders take, and the decoder returns, values of a small set of Go types: nil, bool,
// int64, float64, string, []byte, time.Time, *big.Int, Decimal and IntervalValue. The engine's
// backends hand back exactly these (engine.Rows), so each backend converts its driver's values
// once and the encodings live here once.

// Decimal is an exact number: Unscaled × 10^-Scale. The scale is kept as written, so 1250.00
// prints as 1250.00, as PostgreSQL prints numeric.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// IntervalValue is a PostgreSQL interval: months, days and microseconds kept apart, since a
// month has no fixed number of days and a day no fixed number of microseconds (daylight saving).
type IntervalValue struct {
	Months int32
	Days   int32
	Micros int64
}
