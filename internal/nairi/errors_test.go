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
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"5", 5 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"601", maxPause},
		{"99999999999999999999", 0}, // overflows uint64: not a number, not a date
		{"-3", 0},
		{"1.5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{now.Add(24 * time.Hour).Format(http.TimeFormat), maxPause},
		{now.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestHelpersSeeThroughWrapping(t *testing.T) {
	notFound := fmt.Errorf("patch vault secret x: %w", &APIError{StatusCode: 404, Message: "vault not found"})
	if !IsNotFound(notFound) || !IsVaultNotFound(notFound) {
		t.Errorf("wrapped 404 not recognised: %v", notFound)
	}
	if got := (&APIError{StatusCode: 404, Message: "secret not found"}).Error(); got != "nairi: 404 secret not found" {
		t.Errorf("Error() without method = %q", got)
	}
	if !IsEnvKeyExists(&APIError{StatusCode: 400, Message: " Env_key already exists in this vault "}) {
		t.Error("message match should forgive case and surrounding space")
	}
	if IsEnvKeyExists(&APIError{StatusCode: 409, Message: msgEnvKeyExists}) {
		t.Error("the documented message must come with its documented status")
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("plain"), false},
		{&APIError{StatusCode: 400}, false},
		{&APIError{StatusCode: 401}, false},
		{&APIError{StatusCode: 404}, false},
		{&APIError{StatusCode: 408}, true},
		{&APIError{StatusCode: 429}, true},
		{&APIError{StatusCode: 500}, true},
		{&APIError{StatusCode: 503}, true},
		{&APIError{StatusCode: 200, Message: "malformed response body"}, true},
		{&APIError{StatusCode: 301}, false},
		{&TransportError{Err: io.EOF}, true},
		{&TransportError{Err: context.DeadlineExceeded}, true},
		{&TransportError{Err: fmt.Errorf("wait: %w", context.Canceled)}, false},
		{fmt.Errorf("wrapped: %w", &TransportError{Err: io.ErrUnexpectedEOF}), true},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name, contentType, body string
		sensitive               []string
		want                    string
	}{
		{"API message", "application/json", `{"error":"vault not found"}`, nil, "vault not found"},
		{"no body", "", ``, nil, "unexpected response (HTTP 400)"},
		{"HTML", "text/html", `<h1>{"error":"x"}</h1>`, nil, "unexpected response (HTTP 400, text/html)"},
		{"empty message", "application/json", `{"error":""}`, nil, "unexpected response (HTTP 400, application/json)"},
		{"long message is cut", "application/json", `{"error":"` + long + `"}`, nil, strings.Repeat("x", maxMessageRunes) + "…"},
		{"echoed value is withheld", "application/json", `{"error":"bad value hunter22"}`, []string{"hunter22"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"echo hidden by a newline is withheld", "application/json", `{"error":"bad pass word"}`, []string{"pass\nword"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"a truncated echo of the value is withheld", "application/json",
			`{"error":"cannot parse postgres://admin:S3cr3t…@db.i..."}`,
			[]string{"postgres://admin:S3cr3tPassw0rd@db.internal:5432/shop"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"any 8 characters of the value in a row withhold the message", "application/json",
			`{"error":"near 'cr3tPass'"}`, []string{"postgres://admin:S3cr3tPassw0rd@db.internal:5432/shop"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"7 characters in a row are not an echo", "application/json",
			`{"error":"near 'cr3tPas'"}`, []string{"postgres://admin:S3cr3tPassw0rd@db.internal:5432/shop"},
			"near 'cr3tPas'"},
		{"8 characters of the API key withhold the message", "application/json",
			`{"error":"key nr_live_a is revoked"}`, []string{"value-1234", "nr_live_abcdef0123456789"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"a value shorter than 8 characters is looked for whole", "application/json",
			`{"error":"bad pin 4821x"}`, []string{"4821x"},
			"error message withheld: it repeated request data (HTTP 400, application/json)"},
		{"documented message kept even if it contains the value", "", `{"error":"value cannot be empty"}`, []string{"value"},
			"value cannot be empty"},
		{"a value too short to search for withholds undocumented messages", "", `{"error":"invalid vault id"}`,
			[]string{"v", "id"}, "error message withheld: the request carried a value too short to search it for (HTTP 400)"},
		{"a value too short to search for keeps documented messages", "", `{"error":"vault not found"}`,
			[]string{"v"}, "vault not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errorMessage(400, tt.contentType, []byte(tt.body), tt.sensitive...); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := cleanMessage("\xff ok"); !utf8.ValidString(got) {
		t.Errorf("cleanMessage kept invalid UTF-8: %q", got)
	}
}
