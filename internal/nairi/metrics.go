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

// Metrics records the client's requests. Labels are the method, the route
// template and the status code, so they never carry ids, values or keys.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
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
	}
}

// Collectors returns the collectors to register, e.g. with controller-runtime's
// metrics.Registry.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration}
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
