package valuesize

import (
	"strconv"
	"strings"

	"github.com/setupranali/setupranali/sqlerr"
)

// Defaults of the settings. A value this large is already far beyond anything a BI tool shows;
// a row holds a few of them.
const (
	DefaultMaxValueBytes = 16 << 20
	DefaultMaxRowBytes   = 64 << 20
)

// Marker starts the text of the engine error the planner's guards raise:
// Marker + "<limit>:<size>". A client can spell the same text in a query of its own, and then
// gets the same 54000, which tells it nothing it did not write.
const Marker = "setu_value_limit:"

// TooLarge is the refusal of one value of size bytes past limit.
func TooLarge(size, limit int64) *sqlerr.Error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "result value of %d bytes exceeds the limit of %d bytes", size, limit).
		WithHint("the limit is SETU_MAX_VALUE_BYTES")
}

// RowTooLarge is the refusal of one row of size bytes past limit.
func RowTooLarge(size, limit int64) *sqlerr.Error {
	return sqlerr.New(sqlerr.ProgramLimitExceeded, "result row of %d bytes exceeds the limit of %d bytes", size, limit).
		WithHint("the limit is SETU_MAX_ROW_BYTES")
}

// SeriesMarker starts the text of the engine error the planner's guard of a select-list
// generate_series in a catalog query raises: SeriesMarker + "<limit>:<count>".
const SeriesMarker = "setu_series_limit:"

// FromEngine reads an engine's error message for a guard's marker and returns the refusal it
// stands for.
func FromEngine(msg string) (*sqlerr.Error, bool) {
	if i := strings.Index(msg, SeriesMarker); i >= 0 {
		limit, size, ok := limitAndSize(msg[i+len(SeriesMarker):])
		if !ok {
			return nil, false
		}
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "generate_series in the select list of a system catalog query yields %d values; the limit is %d", size, limit).
			WithHint("put generate_series in FROM, where its values are streamed"), true
	}
	i := strings.Index(msg, Marker)
	if i < 0 {
		return nil, false
	}
	limit, size, ok := limitAndSize(msg[i+len(Marker):])
	if !ok {
		return nil, false
	}
	return TooLarge(size, limit), true
}

// limitAndSize reads "<limit>:<size>" at the start of rest.
func limitAndSize(rest string) (limit, size int64, ok bool) {
	limitText, rest, found := strings.Cut(rest, ":")
	if !found {
		return 0, 0, false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	limit, err1 := strconv.ParseInt(limitText, 10, 64)
	size, err2 := strconv.ParseInt(rest[:end], 10, 64)
	return limit, size, err1 == nil && err2 == nil
}

// Check refuses a row (encoded values, nil for NULL) holding a value longer than maxValue or
// adding up to more than maxRow bytes; a bound of zero or less is no bound.
func Check(row [][]byte, maxValue, maxRow int64) error {
	var total int64
	for _, v := range row {
		n := int64(len(v))
		if maxValue > 0 && n > maxValue {
			return TooLarge(n, maxValue)
		}
		total += n
	}
	if maxRow > 0 && total > maxRow {
		return RowTooLarge(total, maxRow)
	}
	return nil
}
