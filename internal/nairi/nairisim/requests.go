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

package nairisim

import (
	"strings"
	"time"
)

// maxLogEntries bounds the request log of a long-running simulator; Count
// stays exact beyond it.
const maxLogEntries = 10000

// Request is one request as the simulator saw it. It never holds the body,
// a value or the API key.
type Request struct {
	Method string
	// Route is the route template (nairi.RouteSecrets, nairi.RouteSecret),
	// or "" for a path the API does not serve.
	Route             string
	VaultID, SecretID string
	// Status is the status answered, 0 when the connection was dropped or
	// the client left first.
	Status int
	// Time is when the request arrived; Duration how long until it was answered.
	Time     time.Time
	Duration time.Duration
	// Fault is the Name of the injected fault that hit this request, if any.
	Fault string
}

func (s *Server) logRequest(r Request) {
	s.mu.Lock()
	if len(s.log) >= maxLogEntries {
		s.log = append(s.log[:0], s.log[len(s.log)-maxLogEntries/2:]...)
	}
	s.log = append(s.log, r)
	s.counts[[2]string{strings.ToUpper(r.Method), r.Route}]++
	observe := s.observer
	s.mu.Unlock()
	if observe != nil {
		observe(r)
	}
}

// Observe calls fn with each request as it is logged (answered or dropped), for a
// harness that writes a request log or timestamps arrivals. fn runs on the request's
// goroutine, so it must be quick and safe for concurrent use; nil stops observing.
func (s *Server) Observe(fn func(Request)) {
	s.mu.Lock()
	s.observer = fn
	s.mu.Unlock()
}

// Requests returns the logged requests, oldest first (the most recent
// maxLogEntries at most).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count returns how many requests matched method and route since the last
// ResetRequests; "" matches any method or any route.
func (s *Server) Count(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.counts {
		if (method == "" || strings.EqualFold(k[0], method)) && (route == "" || k[1] == route) {
			n += c
		}
	}
	return n
}

// ResetRequests empties the request log and the counts.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	clear(s.counts)
	clear(s.byKey)
}

// RequestsBy returns how many requests were authenticated with key since the
// last ResetRequests, so a test can tell which of several valid keys a client
// used without the log ever holding a key.
func (s *Server) RequestsBy(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[key]
}
