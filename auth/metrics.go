package auth

import "github.com/prometheus/client_golang/prometheus"

// keyMetrics are a key store's counters. They count at the store, so every protocol and both
// pg wire methods (clear text, SCRAM) are in them.
type keyMetrics struct {
	refusals *prometheus.CounterVec // by reason: invalid, revoked, expired, locked_out
}

func newKeyMetrics() keyMetrics {
	return keyMetrics{
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "setu", Name: "auth_key_refusals_total",
			Help: "Logins the API key store refused, by reason: invalid (unknown key or wrong secret), revoked, expired, locked_out (during a brute-force lockout).",
		}, []string{"reason"}),
	}
}

// Collectors are the key store's metrics and its limiter's, for the gateway's registry.
func (k *Keys) Collectors() []prometheus.Collector {
	return append([]prometheus.Collector{k.metrics.refusals}, k.limit.Collectors()...)
}
