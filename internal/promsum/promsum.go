package promsum

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Counter sums what a counter or counter vector collected, over every label value.
func Counter(col prometheus.Collector) int64 {
	ch := make(chan prometheus.Metric, 16)
	go func() {
		col.Collect(ch)
		close(ch)
	}()
	var sum float64
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) == nil && d.Counter != nil {
			sum += d.Counter.GetValue()
		}
	}
	return int64(sum)
}
