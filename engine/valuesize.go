package engine

import (
	"github.com/setupranali/setupranali/internal/valuesize"
	"github.com/setupranali/setupranali/planner"
)

// boundedWriter refuses, with 54000, a row holding a value or adding up to more bytes than the
// plan allows, before the row reaches the client or the result cache. The planner stops the
// engines from building most such values; this catches the rest (a concatenation, a stored
// value), whichever engine and encoding produced it.
type boundedWriter struct {
	w                RowWriter
	maxValue, maxRow int64
}

func (b boundedWriter) WriteRow(values [][]byte) error {
	if err := valuesize.Check(values, b.maxValue, b.maxRow); err != nil {
		return err
	}
	return b.w.WriteRow(values)
}

// bounded wraps w in the plan's value and row bounds, if it has any.
func bounded(w RowWriter, plan *planner.Plan) RowWriter {
	if plan.MaxValueBytes <= 0 && plan.MaxRowBytes <= 0 {
		return w
	}
	return boundedWriter{w: w, maxValue: plan.MaxValueBytes, maxRow: plan.MaxRowBytes}
}
