//go:build bench

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

package main

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// benchKey is the API key the simulator accepts and the manager is given.
const benchKey = "nr_bench_0123456789abcdef0123"

// sim serves a nairisim.Server in this process on 127.0.0.1 and records, for every
// request, when it arrived (before the simulated latency) and what status it got, so
// the driver can time PATCH arrivals exactly and count 429s.
type sim struct {
	*nairisim.Server
	URL    string
	Vaults []string

	srv *http.Server

	mu      sync.Mutex
	log     []hit
	waiters map[string]chan time.Time // secretID -> next PATCH arrival
}

// hit is one request as the driver saw it.
type hit struct {
	at     time.Time // arrival
	done   time.Time // answered
	method string
	status int
}

type simOptions struct {
	vaults    int
	latency   time.Duration
	rateLimit float64 // requests/s per key; 0 = none
	rateBurst int
}

func startSim(o simOptions) (*sim, error) {
	opts := []nairisim.Option{nairisim.WithAPIKeys(benchKey), nairisim.WithLatency(o.latency)}
	if o.rateLimit > 0 {
		opts = append(opts, nairisim.WithRateLimit(o.rateLimit, o.rateBurst))
	}
	s := &sim{Server: nairisim.New(opts...), waiters: map[string]chan time.Time{}}
	for range o.vaults {
		s.Vaults = append(s.Vaults, s.NewVault())
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.URL = "http://" + l.Addr().String()
	s.Observe(s.record)
	s.srv = &http.Server{Handler: s.Server, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// record is the simulator's observer: it keeps every request and hands the arrival time
// of a PATCH to whoever waits for that secret's rotation.
func (s *sim) record(r nairisim.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPatch {
		if ch, ok := s.waiters[r.SecretID]; ok {
			select {
			case ch <- r.Time: // arrival, before the simulated latency
			default:
			}
		}
	}
	s.log = append(s.log, hit{at: r.Time, done: r.Time.Add(r.Duration), method: r.Method, status: r.Status})
}

// expectPatch returns a channel that receives the arrival time of the next PATCH of
// secretID; cancel stops listening.
func (s *sim) expectPatch(secretID string) (<-chan time.Time, func()) {
	ch := make(chan time.Time, 1)
	s.mu.Lock()
	s.waiters[secretID] = ch
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.waiters, secretID)
		s.mu.Unlock()
	}
}

// apiCalls summarises the requests since the last reset.
type apiCalls struct {
	Total  int            `json:"total"`
	POST   int            `json:"post"`
	PATCH  int            `json:"patch"`
	List   int            `json:"list"`
	DELETE int            `json:"delete"`
	ByCode map[string]int `json:"byCode"`
}

func (s *sim) calls() apiCalls {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := apiCalls{ByCode: map[string]int{}}
	for _, h := range s.log {
		c.Total++
		switch h.method {
		case http.MethodPost:
			c.POST++
		case http.MethodPatch:
			c.PATCH++
		case http.MethodGet:
			c.List++
		case http.MethodDelete:
			c.DELETE++
		}
		c.ByCode[http.StatusText(h.status)+" "+strconv.Itoa(h.status)]++
	}
	return c
}

func (s *sim) hits() []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.log...)
}

func (s *sim) reset() {
	s.mu.Lock()
	s.log = nil
	s.mu.Unlock()
	s.ResetRequests()
}

func (s *sim) close() { _ = s.srv.Close() }
