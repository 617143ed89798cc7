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

package nairi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// TestRateAdaptsToASimulatorLimitedToNRequestsPerSecond runs the client against the
// simulator limited to 5 req/s per key, starting at four times that with a ceiling far
// above: the rate must come down to near the limit, so that most requests are accepted
// (a client fixed at 20 req/s would see about three in four refused), and the metrics
// must say so under the key's id, never the key.
func TestRateAdaptsToASimulatorLimitedToNRequestsPerSecond(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []nairisim.Option
	}{
		{"429 with Retry-After", nil},
		{"429 without Retry-After", []nairisim.Option{nairisim.WithoutRetryAfter()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const limit = 5.0
			sim := nairisim.New(append(tc.opts, nairisim.WithAPIKeys(testKey), nairisim.WithRateLimit(limit, 1))...)
			srv := httptest.NewServer(sim)
			defer srv.Close()
			vault := sim.NewVault()
			m := nairi.NewMetrics()
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(m.Collectors()...)
			c := newClient(t, srv.URL, nairi.WithRateLimit(1000, 1), nairi.WithStartRate(4*limit), nairi.WithMetrics(m))

			// Four workers retry after the client's pause, as the workqueue does, until 30
			// requests were accepted (about 6 s at the limit).
			var accepted atomic.Int64
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for accepted.Load() < 30 {
						_, err := c.ListSecrets(context.Background(), vault)
						if wait, limited := nairi.IsRateLimited(err); limited {
							time.Sleep(wait)
							continue
						}
						if err != nil {
							t.Error(err)
							return
						}
						accepted.Add(1)
					}
				})
			}
			wg.Wait()

			refused, sent := 0, 0
			for _, r := range sim.Requests() {
				sent++
				if r.Status == http.StatusTooManyRequests {
					refused++
				}
			}
			if share := float64(refused) / float64(sent); refused == 0 || share > 0.25 {
				t.Errorf("%d of %d requests were answered 429, want some (the start rate is above the limit) "+
					"but few once the rate adapted", refused, sent)
			}
			id := nairi.KeyID(testKey)
			t.Logf("%d of %d requests answered 429; rate now %.2f req/s", refused, sent,
				testutil.ToFloat64(gaugeOf(t, reg, "nairi_api_rate_limit_qps", id)))
			if got := testutil.ToFloat64(gaugeOf(t, reg, "nairi_api_rate_limit_qps", id)); got > 2*limit || got < 0.2 {
				t.Errorf("nairi_api_rate_limit_qps = %.2f, want it adapted to near the limit of %v (it started at %v)",
					got, limit, 4*limit)
			}
			if got := testutil.ToFloat64(gaugeOf(t, reg, "nairi_api_rate_limited_total", id)); got != float64(refused) {
				t.Errorf("nairi_api_rate_limited_total = %v, want the %d 429s the simulator sent", got, refused)
			}
			if got := testutil.ToFloat64(gaugeOf(t, reg, "nairi_api_rate_limit_pause_seconds_total", id)); got < 1 {
				t.Errorf("nairi_api_rate_limit_pause_seconds_total = %v, want at least the first 1 s pause", got)
			}
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fams {
				if strings.Contains(f.String(), testKey) {
					t.Errorf("metric %s carries the API key", f.GetName())
				}
			}
		})
	}
}

// gaugeOf returns a collector yielding the value of name{key_id=id} in reg, for testutil.
func gaugeOf(t *testing.T, reg *prometheus.Registry, name, id string) prometheus.Collector {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "value_of_" + name})
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) == 1 && m.GetLabel()[0].GetName() == "key_id" && m.GetLabel()[0].GetValue() == id {
				g.Set(m.GetGauge().GetValue() + m.GetCounter().GetValue())
				return g
			}
		}
	}
	t.Errorf("no series %s{key_id=%q}", name, id)
	return g
}
