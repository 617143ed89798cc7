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
	"net/http"
	"strings"
	"time"
)

// The error strings the docs give verbatim (nairi-api.md §2.1). The API has
// no machine-readable error codes, so these are what the Is* helpers match.
const (
	msgVaultNotFound = "vault not found"
	msgEnvKeyExists  = "env_key already exists in this vault"
	msgEmptyValue    = "value cannot be empty"
)

// APIError is an HTTP response from the API that is not a success, or a
// success whose body could not be understood.
type APIError struct {
	// StatusCode is the HTTP status. It is never 0: failures without a
	// response are *TransportError.
	StatusCode int
	// Message is the API's "error" string, or a synthesized description such
	// as "unexpected response (HTTP 502, text/html)". Never the raw body.
	Message string
	// RetryAfter is the Retry-After of a 429 or 503 (0 when absent), capped
	// at 10 minutes.
	RetryAfter time.Duration
	// Method and Route name the call, e.g. "PATCH" and RouteSecret.
	Method, Route string

	// notFromAPI marks a 404 whose body is not the API's JSON error shape: something
	// else answered (a proxy, a wrong base URL), so it proves nothing is missing.
	notFromAPI bool
}

// Error returns e.g. "nairi: PATCH /vaults/{id}/secrets/{id}: 404 secret not found".
func (e *APIError) Error() string {
	if e.Method == "" && e.Route == "" {
		return fmt.Sprintf("nairi: %d %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("nairi: %s %s: %d %s", e.Method, e.Route, e.StatusCode, e.Message)
}

// TransportError is a request that got no usable HTTP response: connection
// refused or reset, timeout, a dropped connection, the caller's context
// ending, or no rate-limit token before the context's deadline.
type TransportError struct {
	// Method and Route name the call, e.g. "GET" and RouteSecrets.
	Method, Route string
	// Err is the cause. It never holds the URL (it is taken out of
	// *url.Error) or a body. The client's own timeout wraps
	// context.DeadlineExceeded; the caller's cancellation is context.Canceled.
	Err error
}

// Error returns e.g. "nairi: GET /vaults/{id}/secrets: request timed out after 30s: context deadline exceeded".
func (e *TransportError) Error() string {
	return fmt.Sprintf("nairi: %s %s: %v", e.Method, e.Route, e.Err)
}

// Unwrap returns the cause, so errors.Is(err, context.Canceled) works.
func (e *TransportError) Unwrap() error { return e.Err }

// pausedError is what requests get, without reaching the API, while the
// client honours an earlier 429.
func pausedError(method, route string, remaining time.Duration) error {
	return &APIError{
		StatusCode: http.StatusTooManyRequests,
		Message:    "paused after an earlier 429 from the API",
		RetryAfter: remaining,
		Method:     method,
		Route:      route,
	}
}

// limiterError explains why no token of the client-side rate limit came.
// rate.Limiter.Wait gives up early, before the context ends, when the token
// would only come after the deadline; that is still a deadline failure.
func limiterError(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("waiting for the client-side rate limit: %w", err)
	}
	return fmt.Errorf("no client-side rate-limit token before the context deadline: %w", context.DeadlineExceeded)
}

func asAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// hasMessage compares an API message with one the docs give verbatim,
// forgiving case and surrounding space, which would not change its meaning.
func hasMessage(err error, status int, msg string) bool {
	e, ok := asAPIError(err)
	return ok && e.StatusCode == status && strings.EqualFold(strings.TrimSpace(e.Message), msg)
}

// IsNotFound reports a 404 that the API itself answered, in its JSON error shape:
// unknown vault or unknown secret. A 404 from anything else (an HTML page of a proxy,
// a wrong base URL) is not one; it is retryable instead.
func IsNotFound(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.StatusCode == http.StatusNotFound && !e.notFromAPI
}

// IsVaultNotFound reports a 404 "vault not found": the vault does not exist
// in the key's organization.
func IsVaultNotFound(err error) bool {
	return hasMessage(err, http.StatusNotFound, msgVaultNotFound)
}

// IsEnvKeyExists reports a 400 "env_key already exists in this vault",
// which a create answers when the key is taken (e.g. a retried create).
func IsEnvKeyExists(err error) bool {
	return hasMessage(err, http.StatusBadRequest, msgEnvKeyExists)
}

// IsEmptyValue reports a 400 "value cannot be empty".
func IsEmptyValue(err error) bool {
	return hasMessage(err, http.StatusBadRequest, msgEmptyValue)
}

// IsUnauthorized reports a 401: the key is missing, invalid or revoked.
func IsUnauthorized(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.StatusCode == http.StatusUnauthorized
}

// IsRateLimited reports a 429 — from the API, or the client's own pause
// after an earlier one — with the time to wait (0 when the API sent none).
func IsRateLimited(err error) (time.Duration, bool) {
	e, ok := asAPIError(err)
	if !ok || e.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	return e.RetryAfter, true
}

// IsRetryable reports whether the same call may succeed later without any
// change: 408, 429, 5xx, a success whose body could not be read (such as a
// proxy's page), a 404 that the API did not answer, and transport failures
// including the client's own timeout and a context deadline. The caller's
// cancellation is not retryable, nor is any other 4xx: those need a changed
// request or a human.
func IsRetryable(err error) bool {
	if e, ok := asAPIError(err); ok {
		switch {
		case e.notFromAPI:
			return true
		case e.StatusCode == http.StatusRequestTimeout, e.StatusCode == http.StatusTooManyRequests:
			return true
		case e.StatusCode >= 500:
			return true
		case e.StatusCode >= 200 && e.StatusCode < 300:
			return true
		}
		return false
	}
	if te, ok := errors.AsType[*TransportError](err); ok {
		return !errors.Is(te.Err, context.Canceled)
	}
	return false
}
