package promsum

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestCounterSumsLabels(t *testing.T) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_total", Help: "t"}, []string{"k"})
	vec.WithLabelValues("a").Add(2)
	vec.WithLabelValues("b").Add(3)
	if got := Counter(vec); got != 5 {
		t.Fatalf("vector: %d, want 5", got)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "u_total", Help: "u"})
	c.Inc()
	if got := Counter(c); got != 1 {
		t.Fatalf("counter: %d, want 1", got)
	}
	if got := Counter(prometheus.NewGauge(prometheus.GaugeOpts{Name: "g", Help: "g"})); got != 0 {
		t.Fatalf("gauge counted: %d", got)
	}
}
