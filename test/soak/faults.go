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

package soak

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// Fault kinds, as counted in the report (the simulator counts the ones it really served).
const (
	faultServerError      = "5xx"
	faultTimeout          = "timeout"
	faultRetryAfter       = "429 with Retry-After"
	faultNoRetryAfter     = "429 without Retry-After"
	faultLostAnswer       = "write committed, answer lost"
	faultDropped          = "connection dropped"
	faultLatency          = "latency spike"
	faultKill             = "manager SIGKILL"
	faultKillLeader       = "leader SIGKILL"
	faultKillAfterWrite   = "SIGKILL as a write commits"
	faultAPIServerRestart = "kube-apiserver restart"
)

// requestTimeout is the manager's --nairi-timeout; a timeout fault waits longer.
const requestTimeout = 2 * time.Second

var writeMethods = []string{http.MethodPost, http.MethodPatch, http.MethodDelete}

// faults injects API faults and kills managers on a seeded schedule.
type faults struct {
	s   *soak
	rng *rand.Rand

	// armed is the write method whose next committed answer kills the leader ("" = off).
	armed atomic.Value
	mu    sync.Mutex
	// served counts faults the simulator really applied (by Fault.Name), plus process faults.
	served map[string]int
}

func (f *faults) count(kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served[kind]++
}

func (f *faults) pick(list []string) string { return list[f.rng.IntN(len(list))] }

// observe runs on every answered request: it counts served faults and, when armed, kills the
// leader the moment a write has committed and before its answer leaves the simulator (the
// observer runs before the response is flushed), which is the crash between a POST and its
// status write.
func (f *faults) observe(r nairisim.Request) {
	if r.Fault != "" {
		f.count(r.Fault)
	}
	method, _ := f.armed.Load().(string)
	if method == "" || r.Method != method || r.Fault != "" || r.Status < 200 || r.Status >= 300 {
		return
	}
	if !f.armed.CompareAndSwap(method, "") {
		return
	}
	if name := f.s.mgrs.kill(true, 0); name != "" {
		f.count(faultKillAfterWrite)
		f.s.hist.add(kindManager, fmt.Sprintf("SIGKILL %s as its %s %s of vault %s committed (answer %d unsent)",
			name, r.Method, r.SecretID, f.s.label(r.VaultID), r.Status))
	}
}

// runAPI injects one API fault every 1 to 4 seconds until ctx ends.
func (f *faults) runAPI(ctx context.Context) {
	for {
		if !sleepCtx(ctx, time.Duration(1000+f.rng.IntN(3000))*time.Millisecond) {
			return
		}
		f.injectOne()
	}
}

func (f *faults) injectOne() {
	sim := f.s.sim
	method := f.pick([]string{http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodGet})
	route := nairi.RouteSecret
	if method == http.MethodPost || method == http.MethodGet {
		route = nairi.RouteSecrets
	}
	times := 1 + f.rng.IntN(3)
	var fault nairisim.Fault
	switch n := f.rng.IntN(100); {
	case n < 20:
		status := f.pick([]string{"500", "502", "503"})
		code := map[string]int{"500": 500, "502": 502, "503": 503}[status]
		fault = nairisim.Fault{Name: faultServerError, Status: code}
	case n < 32:
		fault = nairisim.Fault{Name: faultTimeout, Latency: requestTimeout + time.Second}
		times = 1
	case n < 44:
		fault = nairisim.Fault{Name: faultRetryAfter, Status: http.StatusTooManyRequests,
			Headers: map[string]string{"Retry-After": "1"}}
	case n < 54:
		fault = nairisim.Fault{Name: faultNoRetryAfter, Status: http.StatusTooManyRequests}
		times = 1
	case n < 82:
		method = f.pick(writeMethods)
		route = nairi.RouteSecret
		if method == http.MethodPost {
			route = nairi.RouteSecrets
		}
		fault = nairisim.Fault{Name: faultLostAnswer, Commit: true}
		if f.rng.IntN(2) == 0 {
			fault.Drop = true
		} else {
			fault.Status = http.StatusBadGateway
		}
	case n < 90:
		fault = nairisim.Fault{Name: faultDropped, Drop: true}
	default:
		d := time.Duration(300+f.rng.IntN(1500)) * time.Millisecond
		hold := time.Duration(2+f.rng.IntN(5)) * time.Second
		f.count(faultLatency)
		f.s.hist.add(kindFault, fmt.Sprintf("latency %s on every request for %s", d, hold))
		sim.SetLatency(d)
		time.AfterFunc(hold, func() { sim.SetLatency(0) })
		return
	}
	fault.Method, fault.Route, fault.Times = method, route, times
	sim.Inject(fault)
	f.s.hist.add(kindFault, fmt.Sprintf("next %d %s %s: %s", times, method, route, fault.Name))
}

// runChaos kills a manager every 15 to 40 seconds: the leader, either replica, or the leader
// at the moment one of its writes commits. The supervisor starts it again.
func (f *faults) runChaos(ctx context.Context) {
	for {
		if !sleepCtx(ctx, time.Duration(15+f.rng.IntN(25))*time.Second) {
			return
		}
		switch n := f.rng.IntN(3); n {
		case 0:
			if name := f.s.mgrs.kill(true, f.rng.IntN(2)); name != "" {
				f.count(faultKillLeader)
				f.s.hist.add(kindManager, "SIGKILL the leader "+name)
			}
		case 1:
			if name := f.s.mgrs.kill(false, f.rng.IntN(2)); name != "" {
				f.count(faultKill)
				f.s.hist.add(kindManager, "SIGKILL "+name)
			}
		default:
			method := f.pick(writeMethods)
			f.armed.Store(method)
			f.s.hist.add(kindManager, "armed: SIGKILL the leader as its next "+method+" commits")
		}
	}
}

// disarm stops every fault: queued ones, latency and the kill hook.
func (f *faults) disarm() {
	f.armed.Store("")
	f.s.sim.ClearFaults()
	f.s.sim.SetLatency(0)
}

func (f *faults) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.served)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
