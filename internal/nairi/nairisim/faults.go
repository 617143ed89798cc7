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
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Fault is a failure to inject into the next matching requests. Faults are
// applied before authentication, as a failing proxy or server would be; the
// first matching fault wins.
type Fault struct {
	// Method matches the HTTP method; "" matches any.
	Method string
	// Route matches a route template (nairi.RouteSecrets, nairi.RouteSecret);
	// "" matches any, including unknown paths.
	Route string
	// Times is how many requests get the fault: 0 counts as 1, a negative
	// number means every matching request until ClearFaults.
	Times int
	// Status, when not 0, is answered instead of handling the request, with
	// Headers (e.g. "Retry-After") and Body. An empty Body becomes
	// {"error":"<status text>"}.
	Status  int
	Headers map[string]string
	Body    string
	// Latency delays the response (on top of the server's latency).
	Latency time.Duration
	// Drop closes the connection without answering.
	Drop bool
	// Commit handles the request first (its change is made) and only then
	// replaces the response by Status or Drop: the "the write happened but
	// the answer was lost" case that retried creates must survive.
	Commit bool
	// Name, when set, is copied to Request.Fault of each request the fault
	// hits, so a harness can count which faults were really served.
	Name string
}

// Inject queues a fault for the next matching requests.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	f.Headers = maps.Clone(f.Headers)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault matching the request and uses up one of
// its Times, or nil.
func (s *Server) takeFault(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, method)) || (f.Route != "" && f.Route != route) {
			continue
		}
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		c := *f
		return &c
	}
	return nil
}

// replaces reports whether the fault answers in place of the handler.
func (f *Fault) replaces() bool { return f != nil && (f.Status != 0 || f.Drop) }

// answer writes the fault's response, or drops the connection.
func (f *Fault) answer(w http.ResponseWriter) {
	if f.Drop {
		dropConnection(w)
		return
	}
	body := f.Body
	if body == "" {
		msg, _ := json.Marshal(map[string]string{"error": strings.ToLower(http.StatusText(f.Status))})
		body = string(msg)
	}
	if _, ok := f.Headers["Content-Type"]; !ok {
		w.Header().Set("Content-Type", contentTypeOf(body))
	}
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
}

// contentTypeOf guesses a fault body's type; http.DetectContentType does not
// recognise JSON.
func contentTypeOf(body string) string {
	if t := strings.TrimSpace(body); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "application/json"
	}
	return http.DetectContentType([]byte(body))
}

// dropConnection closes the client's connection without a response. Where
// hijacking is impossible (HTTP/2), aborting the handler resets the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// endpoint wraps a handler with what every request goes through, in order:
// the request log, injected faults and latency, the bearer key check (401)
// and the per-key rate limit (429).
func (s *Server) endpoint(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		entry := Request{
			Method: r.Method, Route: route,
			VaultID: r.PathValue("vault_id"), SecretID: r.PathValue("secret_id"),
			Time: s.clock(),
		}
		// The entry is logged before the client can see the outcome (for a
		// drop, before the connection closes), so a test that got its answer
		// finds the request in the log.
		logged := false
		logOnce := func() {
			if !logged {
				logged = true
				entry.Status = rec.status
				entry.Duration = s.clock().Sub(entry.Time)
				s.logRequest(entry)
			}
		}
		defer logOnce()

		f := s.takeFault(r.Method, route)
		if f != nil {
			entry.Fault = f.Name
		}
		s.mu.Lock()
		delay := s.latency
		s.mu.Unlock()
		if f != nil {
			delay += f.Latency
		}
		if !sleep(r.Context(), delay) {
			return // the client gave up; nobody to answer
		}
		if f.replaces() {
			if f.Commit { // make the change, lose the answer
				s.serve(&discard{header: http.Header{}}, r, h)
			}
			if f.Drop {
				logOnce()
			}
			f.answer(rec)
			return
		}
		s.serve(rec, r, h)
	})
}

// serve applies authentication and the rate limit, then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	key, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, msgUnauthorized)
		return
	}
	if wait := s.throttle(key); wait > 0 {
		if !s.noRetryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		writeError(w, http.StatusTooManyRequests, msgRateLimited)
		return
	}
	h(w, r)
}

// authenticate checks "Authorization: Bearer <key>". ccagent_ daemon keys are
// never accepted by the public API (nairi-api.md §1.2).
func (s *Server) authenticate(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.HasPrefix(key, "ccagent_") {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys[key] {
		s.byKey[key]++
	}
	return key, s.keys[key]
}

// throttle takes a token from the key's bucket, or returns how long until
// one is available.
func (s *Server) throttle(key string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rps <= 0 {
		return 0
	}
	lim := s.limiters[key]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(s.rps), s.burst)
		s.limiters[key] = lim
	}
	res := lim.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return d
	}
	return 0
}

// sleep waits for d unless ctx ends first; it reports whether it waited.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// statusRecorder remembers the status for the request log; Unwrap lets
// http.ResponseController reach the connection to drop it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discard is the response of a request whose answer a Commit fault loses.
type discard struct {
	header http.Header
	body   bytes.Buffer
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return d.body.Write(b) }
func (d *discard) WriteHeader(int)             {}
