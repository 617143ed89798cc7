/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package nairi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// keyIDLabel labels the rate-limit series with KeyID, never the key.
const keyIDLabel = "key_id"

// Metrics records the client's requests. Labels are the method, the route
// template and the status code, so they never carry ids, values or keys; the
// rate-limit series carry key_id, a hash prefix of the key (KeyID), never the key.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	rateQPS   *prometheus.GaugeVec
	limited   *prometheus.CounterVec
	pauseSecs *prometheus.CounterVec
}

// NewMetrics creates the collectors; register them with Collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nairi_api_requests_total",
			Help: "Requests sent to the Nairi API, by method, route template and HTTP status " +
				`("error" when no response arrived).`,
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "nairi_api_request_duration_seconds",
			Help:    "Duration of requests to the Nairi API, by method and route template.",
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route"}),
		rateQPS: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nairi_api_rate_limit_qps",
			Help: "Current adaptive client-side rate of requests to the Nairi API, per API key " +
				"(key_id is a hash prefix of the key); at most --nairi-qps.",
		}, []string{keyIDLabel}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nairi_api_rate_limited_total",
			Help: "Responses 429 Too Many Requests from the Nairi API, per API key.",
		}, []string{keyIDLabel}),
		pauseSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nairi_api_rate_limit_pause_seconds_total",
			Help: "Seconds during which every request of an API key was held back after a 429, per API key.",
		}, []string{keyIDLabel}),
	}
}

// Collectors returns the collectors to register, e.g. with controller-runtime's
// metrics.Registry.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.rateQPS, m.limited, m.pauseSecs}
}

// observe records one request that was sent. Requests held back by the
// client (rate limit, 429 pause) never reach the API and are not counted.
func (m *Metrics) observe(method, route, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(method, route, code).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// setRate records the current adaptive rate of a key.
func (m *Metrics) setRate(keyID string, qps float64) {
	if m == nil {
		return
	}
	m.rateQPS.WithLabelValues(keyID).Set(qps)
}

// rateLimited counts a 429 answer of the API.
func (m *Metrics) rateLimited(keyID string) {
	if m == nil {
		return
	}
	m.limited.WithLabelValues(keyID).Inc()
}

// paused adds d to the time a key's requests were held back after 429s.
func (m *Metrics) paused(keyID string, d time.Duration) {
	if m == nil || d <= 0 {
		return
	}
	m.pauseSecs.WithLabelValues(keyID).Add(d.Seconds())
}
