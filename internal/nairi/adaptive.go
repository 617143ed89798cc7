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
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The adaptive rate of one API key. The API documents no rate limit (nairi-api.md §1.9),
// so the client finds the key's limit by itself: it starts moderately, grows while the
// key's requests succeed and halves on a 429, never above the ceiling (--nairi-qps).
const (
	// DefaultStartQPS is the rate of a new key: high enough that a first sync of a few
	// hundred objects is not held back for long, low enough for any plausible limit's burst.
	DefaultStartQPS = 50.0
	// minQPS is the least the rate falls to, however many 429s come: the pause after a
	// 429 already holds a hopelessly over-used key back.
	minQPS = 0.2
	// recoverFraction of the rate the key was found to sustain is where, after a 429,
	// growth turns from multiplicative to additive: the rate returns quickly to just below
	// the limit it found, then probes above it slowly, so it spends its time near the limit
	// instead of on a saw-tooth between half and all of it.
	recoverFraction = 0.9
	// probeDivisor sets the additive growth: the recovery rate / probeDivisor per second of
	// saturated traffic (at least minProbe), so probing past a limit of L req/s takes tens of
	// seconds whatever L is, and a 429 comes rarely.
	probeDivisor = 80.0
	minProbe     = 0.25
	// acceptWindow is how far back the successes are counted that estimate what the key
	// sustains when a 429 comes.
	acceptWindow = 2 * time.Second
)

// adaptiveRate is the client-side token bucket of one API key, with a rate that adapts to
// what the API accepts (AIMD, with TCP's slow start and a recovery threshold).
type adaptiveRate struct {
	limiter *rate.Limiter
	ceiling float64 // --nairi-qps; +Inf for none
	now     func() time.Time
	report  func(qps float64)

	mu sync.Mutex
	// qps is the current rate (the limiter's).
	qps float64
	// threshold is the rate below which growth is multiplicative; +Inf until the first 429.
	threshold float64
	// probe is the additive growth, in req/s per second of saturated traffic.
	probe float64
	// lastCut is when the rate was last halved: a 429 to a request sent before it belongs to
	// the same overload and does not halve the rate again.
	lastCut time.Time
	// accepted holds the times of recent successes, to estimate the rate the key sustains.
	accepted []time.Time
	// off: no client-side limit at all (WithRateLimit with qps <= 0, for tests).
	off bool
}

func newAdaptiveRate(start, ceiling float64, burst int, now func() time.Time, report func(float64)) *adaptiveRate {
	if ceiling <= 0 {
		return &adaptiveRate{limiter: rate.NewLimiter(rate.Inf, 1), ceiling: math.Inf(1), now: now,
			report: report, qps: math.Inf(1), off: true}
	}
	if start <= 0 {
		start = DefaultStartQPS
	}
	start = min(start, ceiling)
	a := &adaptiveRate{
		limiter:   rate.NewLimiter(rate.Limit(start), max(burst, 1)),
		ceiling:   ceiling,
		now:       now,
		report:    report,
		qps:       start,
		threshold: math.Inf(1),
	}
	report(start)
	return a
}

// wait blocks until the bucket lets a request go, honouring ctx. limited reports whether
// the bucket held the request back, i.e. whether the rate is what bounds the traffic: only
// then does success say that a higher rate is wanted.
func (a *adaptiveRate) wait(ctx context.Context) (limited bool, err error) {
	res := a.limiter.Reserve()
	if !res.OK() {
		return false, context.DeadlineExceeded
	}
	delay := res.Delay()
	if delay <= 0 {
		return a.limiter.Tokens() < 1, nil
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay {
		res.Cancel()
		return true, context.DeadlineExceeded
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true, nil
	case <-ctx.Done():
		res.Cancel()
		return true, ctx.Err()
	}
}

// succeeded records a request the API accepted. The rate grows only when the bucket held
// the request back: below the threshold by one request per second per success (doubling
// each second of saturated traffic), above it by probe per second.
func (a *adaptiveRate) succeeded(limited bool) {
	if a.off {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	a.accepted = append(a.accepted, now)
	if i := a.firstRecent(now); i > 0 {
		a.accepted = append(a.accepted[:0], a.accepted[i:]...)
	}
	if !limited || a.qps >= a.ceiling {
		return
	}
	if a.qps < a.threshold {
		a.set(a.qps + 1)
	} else {
		a.set(a.qps + a.probe/a.qps)
	}
}

// rateLimited records a 429 to a request sent at sent. The first 429 of an overload halves
// the rate and sets the threshold just under the rate the key was seen to sustain.
func (a *adaptiveRate) rateLimited(sent time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.off || sent.Before(a.lastCut) {
		return
	}
	now := a.now()
	sustained := float64(len(a.accepted)-a.firstRecent(now)) / acceptWindow.Seconds()
	if sustained <= 0 || sustained > a.qps {
		sustained = a.qps
	}
	a.threshold = max(recoverFraction*sustained, minQPS)
	a.probe = max(a.threshold/probeDivisor, minProbe)
	a.lastCut = now
	a.set(max(a.qps/2, minQPS))
}

// firstRecent is the index of the first success inside acceptWindow.
func (a *adaptiveRate) firstRecent(now time.Time) int {
	for i, t := range a.accepted {
		if now.Sub(t) <= acceptWindow {
			return i
		}
	}
	return len(a.accepted)
}

func (a *adaptiveRate) set(qps float64) {
	a.qps = min(qps, a.ceiling)
	a.limiter.SetLimit(rate.Limit(a.qps))
	a.report(a.qps)
}

// current returns the current rate.
func (a *adaptiveRate) current() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.qps
}
