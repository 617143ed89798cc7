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

// Package nairisim is an in-memory simulator of the vault-secret endpoints of
// the Nairi public API, written from the contract in nairi-api.md: the same
// routes, status codes and error strings, with write-only values, monotonic
// ULID ids and millisecond timestamps. Where the docs are silent it makes a
// documented guess (see README.md).
//
// Tests drive it over real HTTP, change secrets out of band, inspect stored
// values, inject faults (status codes, Retry-After, latency, dropped
// connections) and count requests. It is safe for concurrent use.
package nairisim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

const (
	vaultPrefix  = "vlt_"
	secretPrefix = "sec_"
	// DefaultAddr is where Start listens when given no address: loopback
	// only, on a free port.
	DefaultAddr = "127.0.0.1:0"
)

// Server is the simulated API. Create it with New, then either Start it or
// mount it (it is an http.Handler), e.g. with httptest.NewServer.
type Server struct {
	mux   *http.ServeMux
	clock func() time.Time

	mu        sync.Mutex
	keys      map[string]bool
	vaults    map[string]*vault
	ids       ulidSource
	lastStamp time.Time
	latency   time.Duration
	rps       float64
	burst     int
	limiters  map[string]*rate.Limiter // per API key: the limit belongs to the key
	// noRetryAfter: 429s of the rate limit come without Retry-After (WithoutRetryAfter).
	noRetryAfter bool
	faults       []*Fault
	log          []Request
	counts       map[[2]string]int // method, route → requests, exact even once the log is trimmed
	byKey        map[string]int    // API key → authenticated requests
	observer     func(Request)
	srv          *http.Server
}

// vault holds its secrets in creation order, which is the order List returns.
type vault struct {
	secrets []*record
}

// record is a stored secret, value included.
type record struct {
	id, envKey       string
	value            string
	domains          []string
	created, updated time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKeys accepts these bearer keys. A server without keys answers every
// request with 401.
func WithAPIKeys(keys ...string) Option {
	return func(s *Server) {
		for _, k := range keys {
			s.keys[k] = true
		}
	}
}

// WithVaults creates vaults with these ids (each "vlt_" + ULID; New panics on
// a malformed one).
func WithVaults(ids ...string) Option {
	return func(s *Server) {
		for _, id := range ids {
			s.addVaultLocked(id)
		}
	}
}

// WithLatency delays every response by d.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// WithRateLimit allows each API key rps requests per second with bursts of
// burst; beyond that the server answers 429 with Retry-After in seconds.
// rps <= 0 disables the limit.
func WithRateLimit(rps float64, burst int) Option {
	return func(s *Server) { s.rps, s.burst = rps, max(burst, 1) }
}

// WithoutRetryAfter makes the rate limit of WithRateLimit answer 429 without a
// Retry-After header, as some APIs do, so a client must choose its own pause.
func WithoutRetryAfter() Option {
	return func(s *Server) { s.noRetryAfter = true }
}

// New returns a simulator with no vaults unless options add them.
func New(opts ...Option) *Server {
	s := &Server{
		clock:    time.Now,
		keys:     map[string]bool{},
		vaults:   map[string]*vault{},
		limiters: map[string]*rate.Limiter{},
		counts:   map[[2]string]int{},
		byKey:    map[string]int{},
	}
	for _, opt := range opts {
		opt(s)
	}
	s.mux = s.routes()
	return s
}

// ServeHTTP serves the API under nairi.APIPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Start serves on addr (DefaultAddr when empty) in the background and
// returns the base URL to give nairi.New, e.g. "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("nairisim: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.srv != nil {
		s.mu.Unlock()
		_ = l.Close()
		return "", errors.New("nairisim: already started")
	}
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), nil
}

// Close stops a server started with Start, closing open connections. It is a
// no-op otherwise.
func (s *Server) Close() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// NewVault adds a vault with a fresh id and returns the id.
func (s *Server) NewVault() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := vaultPrefix + s.ids.next(s.clock())
	s.addVaultLocked(id)
	return id
}

// AddVault adds a vault with the given id; it panics on a malformed id, which
// no request could address. Adding an existing vault changes nothing.
func (s *Server) AddVault(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addVaultLocked(id)
}

func (s *Server) addVaultLocked(id string) {
	if !ValidVaultID(id) {
		panic(fmt.Sprintf("nairisim: malformed vault id %q", id))
	}
	if s.vaults[id] == nil {
		s.vaults[id] = &vault{}
	}
}

// AddAPIKey accepts a bearer key from now on.
func (s *Server) AddAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = true
}

// RevokeAPIKey refuses a key from the next request on, with no grace period,
// as the docs describe (nairi-api.md §1.2).
func (s *Server) RevokeAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
}

// SetLatency changes the delay added to every response.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// stampLocked returns the time for a created_at or updated_at: UTC, whole
// milliseconds (the API's precision) and strictly later than every earlier
// stamp, so a change within the same millisecond is still visible.
func (s *Server) stampLocked() time.Time {
	t := s.clock().UTC().Truncate(time.Millisecond)
	if !t.After(s.lastStamp) {
		t = s.lastStamp.Add(time.Millisecond)
	}
	s.lastStamp = t
	return t
}

// public converts a record to what the API shows: everything but the value.
func (rec *record) public() nairi.Secret {
	return nairi.Secret{
		ID:             rec.id,
		EnvKey:         rec.envKey,
		AllowedDomains: append([]string{}, rec.domains...),
		CreatedAt:      rec.created,
		UpdatedAt:      rec.updated,
	}
}

func (v *vault) find(secretID string) (int, *record) {
	for i, rec := range v.secrets {
		if rec.id == secretID {
			return i, rec
		}
	}
	return -1, nil
}

func (v *vault) findEnvKey(envKey string) *record {
	for _, rec := range v.secrets {
		if rec.envKey == envKey {
			return rec
		}
	}
	return nil
}
