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
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

func TestNewRefusesBadConfigurationWithoutEchoingTheKey(t *testing.T) {
	tests := []struct {
		name, url, key, wantErr string
	}{
		{"empty key", "https://api.nairi.ai", "", "API key is empty"},
		{"blank key", "https://api.nairi.ai", "  ", "API key is empty"},
		{"daemon key", "https://api.nairi.ai", "ccagent_s3cr3t", "ccagent_ daemon key"},
		{"key with newline", "https://api.nairi.ai", "nr_s3cr3t\n", "whitespace or control"},
		{"no scheme", "api.nairi.ai", "nr_s3cr3t", "scheme must be https"},
		{"ftp", "ftp://api.nairi.ai", "nr_s3cr3t", "scheme must be https"},
		{"no host", "https://", "nr_s3cr3t", "no host"},
		{"credentials in URL", "https://user:hunter2@api.nairi.ai", "nr_s3cr3t", "must not carry credentials"},
		{"query", "https://api.nairi.ai/?x=1", "nr_s3cr3t", "query or fragment"},
		{"unparsable", "https://api nairi.ai:x", "nr_s3cr3t", "invalid API base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := nairi.New(tt.url, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			for _, secret := range []string{"s3cr3t", "hunter2"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
			// CheckBaseURL gives the same verdict on the URL alone, for flag validation.
			urlErr := nairi.CheckBaseURL(tt.url)
			if badKeyOnly := strings.Contains(tt.name, "key"); badKeyOnly != (urlErr == nil) {
				t.Errorf("CheckBaseURL(%q) = %v", tt.url, urlErr)
			}
		})
	}
	for _, good := range []string{"https://api.nairi.ai", "http://127.0.0.1:8089", "https://api.nairi.ai/api/public/v1"} {
		if err := nairi.CheckBaseURL(good); err != nil {
			t.Errorf("CheckBaseURL(%q) = %v, want nil", good, err)
		}
	}
}

func TestRequestsCarryPrefixAuthUserAgentAndJSONHeaders(t *testing.T) {
	tests := []struct {
		name, base, wantPath string
	}{
		{"bare host", "", "/api/public/v1/vaults/" + testVault + "/secrets"},
		{"trailing slash", "/", "/api/public/v1/vaults/" + testVault + "/secrets"},
		{"prefix already given", "/api/public/v1/", "/api/public/v1/vaults/" + testVault + "/secrets"},
		{"behind a path", "/nairi", "/nairi/api/public/v1/vaults/" + testVault + "/secrets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				respond(http.StatusCreated, secretJSON)(w, r)
			}))
			defer srv.Close()
			c := newClient(t, srv.URL+tt.base, nairi.WithUserAgent("v1.2.3"))
			if _, err := c.CreateSecret(context.Background(), testVault, nairi.CreateSecretRequest{EnvKey: "A", Value: "v"}); err != nil {
				t.Fatal(err)
			}
			for header, want := range map[string]string{
				"Authorization": "Bearer " + testKey,
				"User-Agent":    "nairi-secrets-operator/v1.2.3",
				"Content-Type":  "application/json",
				"Accept":        "application/json",
			} {
				if v := got.Header.Get(header); v != want {
					t.Errorf("%s = %q, want %q", header, v, want)
				}
			}
			if got.URL.Path != tt.wantPath || got.Method != http.MethodPost {
				t.Errorf("request = %s %s, want POST %s", got.Method, got.URL.Path, tt.wantPath)
			}
		})
	}
}

func TestIDsAreEscapedIntoOnePathSegment(t *testing.T) {
	var path string
	srv := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	})
	if err := newClient(t, srv.URL).DeleteSecret(context.Background(), "vlt_a/../b", "sec_?x"); err != nil {
		t.Fatal(err)
	}
	if want := "/api/public/v1/vaults/vlt_a%2F..%2Fb/secrets/sec_%3Fx"; path != want {
		t.Errorf("path = %q, want %q", path, want)
	}
	if err := newClient(t, srv.URL).DeleteSecret(context.Background(), testVault, ""); err == nil {
		t.Error("an empty secret id was sent")
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("client timeout is a retryable TransportError", func(t *testing.T) {
		release := make(chan struct{})
		srv := testServer(t, func(http.ResponseWriter, *http.Request) { <-release })
		t.Cleanup(func() { close(release) }) // runs before srv.Close, which waits for handlers
		_, err := newClient(t, srv.URL, nairi.WithTimeout(20*time.Millisecond)).ListSecrets(context.Background(), testVault)
		var te *nairi.TransportError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !nairi.IsRetryable(err) {
			t.Fatalf("err = %v, want a retryable TransportError wrapping DeadlineExceeded", err)
		}
		if te.Method != http.MethodGet || te.Route != nairi.RouteSecrets || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("err = %q, want method and route template, no URL", err)
		}
	})
	t.Run("caller cancellation is not retryable", func(t *testing.T) {
		arrived, release := make(chan struct{}), make(chan struct{})
		srv := testServer(t, func(http.ResponseWriter, *http.Request) { close(arrived); <-release })
		t.Cleanup(func() { close(release) })
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		_, err := newClient(t, srv.URL).ListSecrets(ctx, testVault)
		if !errors.Is(err, context.Canceled) || nairi.IsRetryable(err) {
			t.Fatalf("err = %v, want context.Canceled, not retryable", err)
		}
	})
	t.Run("dropped connection is a retryable TransportError", func(t *testing.T) {
		srv := testServer(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		_, err := newClient(t, srv.URL).ListSecrets(context.Background(), testVault)
		var te *nairi.TransportError
		if !errors.As(err, &te) || !nairi.IsRetryable(err) {
			t.Fatalf("err = %v, want a retryable TransportError", err)
		}
	})
	t.Run("connection refused is a retryable TransportError", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := newClient(t, url).DeleteSecret(context.Background(), testVault, testSecret)
		var te *nairi.TransportError
		if !errors.As(err, &te) || !nairi.IsRetryable(err) || strings.Contains(err.Error(), testSecret) {
			t.Fatalf("err = %v, want a retryable TransportError naming the route, not the URL", err)
		}
	})
}

func TestPlainHTTPOnlyToLoopbackUnlessAllowed(t *testing.T) {
	tests := []struct {
		url      string
		loopback bool
	}{
		{"http://127.0.0.1:8089", true},
		{"http://127.8.9.10", true},
		{"http://[::1]:8089", true},
		{"http://localhost:8089", true},
		{"http://LOCALHOST", true},
		{"http://api.nairi.ai", false},
		{"http://10.0.0.5:8080", false},
		{"http://[::ffff:10.0.0.5]", false},
		{"http://localhost.example.com", false},
		{"http://127.0.0.1.nip.io", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := nairi.New(tt.url, testKey)
			if tt.loopback != (err == nil) {
				t.Fatalf("New(%q) = %v, want accepted=%v", tt.url, err, tt.loopback)
			}
			if !tt.loopback && !errors.Is(err, nairi.ErrInsecureHTTP) {
				t.Errorf("err = %v, want ErrInsecureHTTP", err)
			}
			if got := nairi.CheckBaseURL(tt.url); (got == nil) != tt.loopback {
				t.Errorf("CheckBaseURL(%q) = %v, want the same verdict as New", tt.url, got)
			}
			if _, err := nairi.New(tt.url, testKey, nairi.WithInsecureHTTP(true)); err != nil {
				t.Errorf("New(%q, WithInsecureHTTP(true)) = %v, want accepted", tt.url, err)
			}
			if err := nairi.CheckBaseURL(tt.url, nairi.WithInsecureHTTP(true)); err != nil {
				t.Errorf("CheckBaseURL(%q, WithInsecureHTTP(true)) = %v, want accepted", tt.url, err)
			}
		})
	}
	if _, err := nairi.New("https://api.nairi.ai", testKey); err != nil {
		t.Errorf("https refused: %v", err)
	}
}
