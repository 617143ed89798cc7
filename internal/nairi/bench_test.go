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

// Micro-benchmarks of the client's hot in-process paths, run by `make bench`:
//
//	go test -run '^$' -bench . -benchmem ./internal/nairi/

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	benchVault   = "vlt_01KQ27AQH800XQTQPJZ0DH14SJ"
	benchSecret  = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
	benchKey     = "nr_bench_0123456789abcdef"
	benchOneJSON = `{"id":"sec_01KQ27AQH800XQTQPJZ0DH14SJ","env_key":"DATABASE_URL","allowed_domains":["*.example.com","api.example.org"],"created_at":"2026-04-25T11:45:19.000Z","updated_at":"2026-04-25T11:45:19.123Z"}`
)

// benchList is a List answer of n secrets, as the API writes it.
func benchList(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"sec_01KQ27AQH800XQTQPJZ0D%07d","env_key":"KEY_%05d","allowed_domains":[],`+
			`"created_at":"2026-04-25T11:45:19.000Z","updated_at":"2026-04-25T11:45:19.%03dZ"}`, i, i, i%1000)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// BenchmarkEncodeCreateBody is the body of a POST: what CreateSecret marshals.
func BenchmarkEncodeCreateBody(b *testing.B) {
	body := createBody{EnvKey: "DATABASE_URL", Value: strings.Repeat("v", 64),
		AllowedDomains: nonNil([]string{"*.example.com", "api.example.org"})}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeUpdateBody is the body of a PATCH (value and domains).
func BenchmarkEncodeUpdateBody(b *testing.B) {
	value := strings.Repeat("v", 64)
	domains := []string{"*.example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(updateBody{Value: &value, AllowedDomains: &domains}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSecret decodes the answer of a POST or PATCH.
func BenchmarkDecodeSecret(b *testing.B) {
	data := []byte(benchOneJSON)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := decodeSecret(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSecretList decodes the List a drift check shares among a vault's objects.
func BenchmarkDecodeSecretList(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		data := benchList(n)
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				list, err := decodeSecretList(data)
				if err != nil || len(list) != n {
					b.Fatalf("decoded %d secrets: %v", len(list), err)
				}
			}
		})
	}
}

// BenchmarkErrorMessage reads the API's error string of a refused request, checking it
// does not echo the value or the key.
func BenchmarkErrorMessage(b *testing.B) {
	body := []byte(`{"error":"allowed_domains contains an invalid pattern"}`)
	value := strings.Repeat("v", 64)
	b.ReportAllocs()
	for b.Loop() {
		if msg := errorMessage(400, "application/json", body, value, benchKey); msg == "" {
			b.Fatal("empty message")
		}
	}
}

// BenchmarkParseRetryAfter parses the header of a 429.
func BenchmarkParseRetryAfter(b *testing.B) {
	now := time.Date(2026, 4, 25, 11, 45, 19, 0, time.UTC)
	for name, h := range map[string]string{"seconds": "7", "http-date": "Sat, 25 Apr 2026 11:45:26 GMT"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d := parseRetryAfter(h, now); d != 7*time.Second {
					b.Fatalf("got %s", d)
				}
			}
		})
	}
}

// BenchmarkCreateSecretLoopback is a whole CreateSecret — encode, request, limiter,
// metrics-free client, decode — against a loopback server answering at once, i.e. the
// client's own cost per call on top of the network.
func BenchmarkCreateSecretLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(benchOneJSON))
	}))
	defer srv.Close()
	c, err := New(srv.URL, benchKey, WithRateLimit(0, 1))
	if err != nil {
		b.Fatal(err)
	}
	req := CreateSecretRequest{EnvKey: "DATABASE_URL", Value: strings.Repeat("v", 64)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateSecret(ctx, benchVault, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdateSecretLoopback is the same for the PATCH of a rotation.
func BenchmarkUpdateSecretLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(benchOneJSON))
	}))
	defer srv.Close()
	c, err := New(srv.URL, benchKey, WithRateLimit(0, 1), WithMetrics(NewMetrics()))
	if err != nil {
		b.Fatal(err)
	}
	value := strings.Repeat("v", 64)
	req := UpdateSecretRequest{Value: &value, SetAllowedDomains: true}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.UpdateSecret(ctx, benchVault, benchSecret, req); err != nil {
			b.Fatal(err)
		}
	}
}
