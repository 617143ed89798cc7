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
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func newTestRate(start, ceiling float64) (*adaptiveRate, *fakeClock, *[]float64) {
	clock := &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	var reported []float64
	a := newAdaptiveRate(start, ceiling, 10, clock.now, func(q float64) { reported = append(reported, q) })
	return a, clock, &reported
}

func TestAdaptiveRateGrowsMultiplicativelyUntilTheFirst429ThenAdditively(t *testing.T) {
	a, clock, reported := newTestRate(20, 1000)
	// Saturated traffic: every success was held back by the bucket. One second of it at
	// 20 req/s doubles the rate.
	for range 20 {
		clock.advance(50 * time.Millisecond)
		a.succeeded(true)
	}
	if q := a.current(); q != 40 {
		t.Fatalf("after 20 held-back successes the rate is %v, want 40 (doubled)", q)
	}
	// Successes the bucket did not hold back say nothing about a higher rate.
	for range 100 {
		a.succeeded(false)
	}
	if q := a.current(); q != 40 {
		t.Fatalf("unthrottled successes changed the rate to %v", q)
	}

	// A 429 halves the rate and sets the threshold to 90 % of what the key was seen to
	// sustain: 120 successes in the last 2 s is 60/s, more than the rate of 40, so the
	// estimate is the rate.
	clock.advance(10 * time.Millisecond)
	sent := clock.now()
	a.rateLimited(sent)
	if q := a.current(); q != 20 {
		t.Fatalf("after a 429 the rate is %v, want 20 (halved)", q)
	}
	// More 429s to requests sent before the cut belong to the same overload.
	a.rateLimited(sent.Add(-time.Millisecond))
	if q := a.current(); q != 20 {
		t.Fatalf("a 429 to a request sent before the cut halved again: %v", q)
	}
	wantThreshold := recoverFraction * 40
	if math.Abs(a.threshold-wantThreshold) > 1e-9 {
		t.Fatalf("threshold = %v, want %v", a.threshold, wantThreshold)
	}
	// Below the threshold growth is multiplicative (+1 per success) again...
	for a.current() < a.threshold {
		a.succeeded(true)
	}
	// ... above it additive: probe req/s per second of saturated traffic (q successes).
	from := a.current()
	for range int(math.Round(from)) {
		a.succeeded(true)
	}
	if grown := a.current() - from; math.Abs(grown-a.probe) > 0.05 {
		t.Fatalf("one second of saturated traffic above the threshold grew the rate by %v, want ~%v", grown, a.probe)
	}
	if last := (*reported)[len(*reported)-1]; last != a.current() {
		t.Errorf("reported rate %v, want %v", last, a.current())
	}
}

func TestAdaptiveRateStaysWithinCeilingAndFloor(t *testing.T) {
	a, clock, _ := newTestRate(50, 30)
	if q := a.current(); q != 30 {
		t.Fatalf("start above the ceiling: rate %v, want the ceiling 30", q)
	}
	for range 1000 {
		a.succeeded(true)
	}
	if q := a.current(); q != 30 {
		t.Fatalf("rate grew to %v past the ceiling 30", q)
	}
	for range 100 {
		clock.advance(time.Second)
		a.rateLimited(clock.now())
	}
	if q := a.current(); q != minQPS {
		t.Fatalf("after 100 overloads the rate is %v, want the floor %v", q, minQPS)
	}
}

func TestPauseWithoutRetryAfterDoublesToFiveMinutesAndResetsOnSuccess(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if refuse.Load() {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	c, clock := newTestClient(t, srv.URL)
	ctx := context.Background()

	// Each request sent after the previous pause ended is refused again: the pause doubles.
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for i, w := range want {
		w *= time.Second
		_, err := c.ListSecrets(ctx, "vlt_x")
		if !isStatus(err, http.StatusTooManyRequests) {
			t.Fatalf("request %d: %v, want the API's 429", i, err)
		}
		if d := c.pausedFor(); d != w {
			t.Fatalf("after 429 #%d the pause is %v, want %v", i+1, d, w)
		}
		clock.advance(w)
	}
	// A 429 to a request sent before the pause in force began does not double it.
	c.pause(clock.now(), 0)
	c.pause(clock.now().Add(-time.Millisecond), 0)
	if d := c.pausedFor(); d != maxGrownPause {
		t.Fatalf("pause = %v, want %v", d, maxGrownPause)
	}
	clock.advance(maxGrownPause)

	refuse.Store(false)
	if _, err := c.ListSecrets(ctx, "vlt_x"); err != nil {
		t.Fatal(err)
	}
	refuse.Store(true)
	_, _ = c.ListSecrets(ctx, "vlt_x")
	if d := c.pausedFor(); d != firstPause {
		t.Fatalf("after a success the next pause is %v, want it reset to %v", d, firstPause)
	}
}
