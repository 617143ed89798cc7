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
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock drives the 429 pause without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

// throttleServer answers 429 with the given Retry-After to the first
// request and 200 [] afterwards, counting every request it receives.
func throttleServer(t *testing.T, retryAfter string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte("[]"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newTestClient(t *testing.T, url string, opts ...Option) (*Client, *fakeClock) {
	t.Helper()
	c, err := New(url, "nr_test", append([]Option{WithRateLimit(0, 1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	c.now = clock.now
	return c, clock
}

func TestPauseAfter429HoldsRequestsBackUntilRetryAfter(t *testing.T) {
	tests := []struct {
		name, retryAfter string
		pause            time.Duration
	}{
		{"Retry-After in seconds", "60", 60 * time.Second},
		{"no Retry-After pauses one second", "", firstPause},
		{"huge Retry-After is capped", "86400", maxPause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, served := throttleServer(t, tt.retryAfter)
			c, clock := newTestClient(t, srv.URL)
			ctx := context.Background()
			if _, err := c.ListSecrets(ctx, "vlt_x"); !isStatus(err, http.StatusTooManyRequests) {
				t.Fatalf("first call: %v, want the API's 429", err)
			}
			for i := range 5 {
				_, err := c.ListSecrets(ctx, "vlt_x")
				wait, limited := IsRateLimited(err)
				if !limited || wait != tt.pause || !IsRetryable(err) {
					t.Fatalf("call %d while paused: %v (wait %v), want 429 with %v", i, err, wait, tt.pause)
				}
				var apiErr *APIError
				if errors.As(err, &apiErr); apiErr.Message != "paused after an earlier 429 from the API" {
					t.Errorf("message = %q", apiErr.Message)
				}
			}
			if n := served.Load(); n != 1 {
				t.Fatalf("server saw %d requests, want 1: paused requests must not be sent", n)
			}
			clock.advance(tt.pause - time.Millisecond)
			if wait, _ := IsRateLimited(c.DeleteSecret(ctx, "vlt_x", "sec_x")); wait != time.Millisecond {
				t.Errorf("remaining pause = %v, want 1ms", wait)
			}
			clock.advance(time.Millisecond)
			if _, err := c.ListSecrets(ctx, "vlt_x"); err != nil || served.Load() != 2 {
				t.Fatalf("after the pause: %v, served %d, want the request sent", err, served.Load())
			}
		})
	}
}

func TestPauseIsNotShortenedByALaterShorterRetryAfter(t *testing.T) {
	c, clock := newTestClient(t, "http://127.0.0.1:1")
	c.pause(clock.now(), time.Minute)
	c.pause(clock.now(), time.Second)
	clock.advance(30 * time.Second)
	if d := c.pausedFor(); d != 30*time.Second {
		t.Errorf("paused for %v, want 30s", d)
	}
}

func Test503RetryAfterDoesNotPause(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	for range 3 {
		_, _ = c.ListSecrets(context.Background(), "vlt_x")
	}
	if n.Load() != 3 {
		t.Errorf("server saw %d requests, want 3", n.Load())
	}
}

func TestTokenBucketLetsTheBurstThroughThenWaits(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		_, _ = w.Write([]byte("[]"))
	}))
	defer srv.Close()
	// One token per ~17 minutes: after the burst, nothing more in this test.
	c, _ := newTestClient(t, srv.URL, WithRateLimit(0.001, 3))
	for i := range 3 {
		if _, err := c.ListSecrets(context.Background(), "vlt_x"); err != nil {
			t.Fatalf("request %d of the burst: %v", i, err)
		}
	}

	t.Run("waiting past the context deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.ListSecrets(ctx, "vlt_x")
		var te *TransportError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !IsRetryable(err) {
			t.Fatalf("err = %v, want a retryable deadline TransportError", err)
		}
	})
	t.Run("waiting until the caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := c.ListSecrets(ctx, "vlt_x"); done <- err }()
		select {
		case err := <-done:
			t.Fatalf("returned before cancel: %v", err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || IsRetryable(err) {
			t.Fatalf("err = %v, want context.Canceled, not retryable", err)
		}
	})
	if n.Load() != 3 {
		t.Errorf("server saw %d requests, want the burst of 3 only", n.Load())
	}
}

func isStatus(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == status
}
