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

// Package nairi is a client for the vault-secret endpoints of the Nairi public
// API (https://nairi.ai/docs/api).
//
// It uses plain net/http, knows nothing of Kubernetes and never logs. Every
// failure comes back as a typed error — *APIError when the API answered,
// *TransportError when it did not — that callers classify with IsNotFound,
// IsRateLimited, IsRetryable and friends. The client does not retry: the
// caller (a workqueue) already retries with backoff.
//
// Secret values, the API key and request bodies never appear in an error
// string or a metric label.
package nairi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPrefix is the path under which every public endpoint lives; New appends
// it to the base URL.
const APIPrefix = "/api/public/v1"

// Route templates, used in errors and as the "route" metric label so that
// neither ever carries an id.
const (
	// RouteSecrets is the collection of secrets of one vault (POST, GET).
	RouteSecrets = "/vaults/{id}/secrets"
	// RouteSecret is one secret of one vault (PATCH, DELETE).
	RouteSecret = "/vaults/{id}/secrets/{id}"
)

// maxResponseBytes bounds how much of a response body is read. A vault's list
// is a few hundred bytes per secret, so this leaves ample room while keeping a
// misbehaving server from exhausting memory.
const maxResponseBytes = 16 << 20

// Client calls the Nairi public API with one API key. It is safe for
// concurrent use. Create one Client per API key and share it: the client-side
// rate limit and the pause after a 429 belong to the key, so every request
// made with that key must see them.
type Client struct {
	baseURL    string // scheme://host[/path] + APIPrefix, without a trailing slash
	apiKey     string
	httpClient *http.Client
	timeout    time.Duration
	userAgent  string
	rate       *adaptiveRate
	keyID      string // KeyID(apiKey): the metrics' key_id label
	metrics    *Metrics
	now        func() time.Time // replaced in tests to move the 429 pause forward

	mu           sync.Mutex
	pausedUntil  time.Time
	pauseStarted time.Time     // when the pause in force (or the last one) began
	nextPause    time.Duration // the grown pause for a 429 without Retry-After; 0 after a success
}

// New returns a Client for the API at baseURL (for example
// "https://api.nairi.ai"; APIPrefix is appended unless the URL already ends
// with it). It refuses an empty key, a key with whitespace or control
// characters, and `ccagent_` daemon keys, which the public API does not
// accept. Errors never contain the key.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	base, err := parseBaseURL(baseURL, o.allowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if err := checkAPIKey(apiKey); err != nil {
		return nil, err
	}
	c := &Client{
		baseURL:    base,
		apiKey:     apiKey,
		httpClient: o.httpClient,
		timeout:    o.timeout,
		userAgent:  "nairi-secrets-operator/" + o.version,
		keyID:      KeyID(apiKey),
		metrics:    o.metrics,
		now:        time.Now,
	}
	c.rate = newAdaptiveRate(o.startQPS, o.qps, o.burst, func() time.Time { return c.now() },
		func(qps float64) { c.metrics.setRate(c.keyID, qps) })
	return c, nil
}

// KeyID is an id of an API key that is safe to log, compare and use as a metric label:
// the first 16 hex digits of its SHA-256, never the key.
func KeyID(apiKey string) string {
	sum := sha256.Sum256([]byte(apiKey))
	return hex.EncodeToString(sum[:8])
}

// CheckBaseURL reports whether New, given the same options, would accept raw as its
// base URL, so a program can refuse a bad --nairi-api-url at start rather than at its
// first request.
func CheckBaseURL(raw string, opts ...Option) error {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	_, err := parseBaseURL(raw, o.allowInsecureHTTP)
	return err
}

// ErrInsecureHTTP is the error (for errors.Is) of an http:// base URL whose host is not
// a loopback address, refused unless WithInsecureHTTP is given: every request carries
// the API key, which plain HTTP would show to the whole network path.
var ErrInsecureHTTP = errors.New("nairi: refusing plain http:// to a host that is not a loopback address " +
	"(the API key would cross the network in clear text); use https://")

// parseBaseURL validates baseURL and returns it with APIPrefix appended. The
// raw input is never echoed, as it may hold credentials.
func parseBaseURL(raw string, allowInsecureHTTP bool) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // url.Error repeats the whole input
		}
		return "", fmt.Errorf("nairi: invalid API base URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("nairi: invalid API base URL: scheme must be https (or http for a local simulator)")
	case u.Host == "":
		return "", errors.New("nairi: invalid API base URL: no host")
	case u.User != nil:
		return "", errors.New("nairi: invalid API base URL: it must not carry credentials; the API key is passed separately")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("nairi: invalid API base URL %s: it must not have a query or fragment", u.Redacted())
	case u.Scheme == "http" && !allowInsecureHTTP && !isLoopback(u.Hostname()):
		return "", ErrInsecureHTTP
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if !strings.HasSuffix(path, APIPrefix) {
		path += APIPrefix
	}
	return u.Scheme + "://" + u.Host + path, nil
}

// isLoopback reports whether host is "localhost" or a loopback IP (127.0.0.0/8, ::1):
// traffic to it never leaves the machine (or the pod, for a sidecar).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// checkAPIKey refuses keys the public API would reject anyway, with a message
// that helps the operator's user and never contains the key itself.
func checkAPIKey(key string) error {
	switch {
	case strings.TrimSpace(key) == "":
		return errors.New("nairi: the API key is empty")
	case strings.HasPrefix(key, "ccagent_"):
		return errors.New("nairi: the API key is a ccagent_ daemon key, which the public API refuses; " +
			"create an nr_ key in the Nairi dashboard under Settings → API Key")
	case strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
		return errors.New("nairi: the API key contains whitespace or control characters (a trailing newline from a file?)")
	}
	return nil
}

// reply is a successful (2xx) response, read in full.
type reply struct {
	status      int
	contentType string
	body        []byte
}

// do sends one request: it honours the pause after a 429 and the token
// bucket, applies the per-request timeout, records metrics and turns every
// failure into an *APIError or a *TransportError. sensitive lists strings
// (the secret value) that no API message may repeat; the key is added here.
func (c *Client) do(ctx context.Context, method, route, path string, in any, sensitive ...string) (reply, error) {
	if d := c.pausedFor(); d > 0 {
		return reply{}, pausedError(method, route, d)
	}
	limited, err := c.rate.wait(ctx)
	if err != nil {
		return reply{}, &TransportError{Method: method, Route: route, Err: limiterError(ctx)}
	}
	// A 429 may have arrived while this request waited for a token.
	if d := c.pausedFor(); d > 0 {
		return reply{}, pausedError(method, route, d)
	}

	var body io.Reader
	if in != nil {
		buf, err := json.Marshal(in)
		if err != nil {
			return reply{}, fmt.Errorf("nairi: %s %s: encode request: %w", method, route, err)
		}
		body = bytes.NewReader(buf)
	}
	reqCtx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		reqCtx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, method, c.baseURL+path, body)
	if err != nil {
		return reply{}, fmt.Errorf("nairi: %s %s: build request: %w", method, route, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	start, sent := time.Now(), c.now()
	resp, err := c.httpClient.Do(req)
	if err != nil {
		c.metrics.observe(method, route, "error", time.Since(start))
		return reply{}, c.transportError(ctx, reqCtx, method, route, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		// The status line arrived but the body did not: as far as the caller
		// is concerned the request failed in transit.
		c.metrics.observe(method, route, "error", time.Since(start))
		return reply{}, c.transportError(ctx, reqCtx, method, route, err)
	}
	c.metrics.observe(method, route, strconv.Itoa(resp.StatusCode), time.Since(start))

	c.adapt(resp.StatusCode, limited)
	ct := mediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return reply{status: resp.StatusCode, contentType: ct, body: data}, nil
	}
	apiErr := &APIError{
		StatusCode: resp.StatusCode,
		Message:    errorMessage(resp.StatusCode, ct, data, append(slices.Clip(sensitive), c.apiKey)...),
		Method:     method,
		Route:      route,
	}
	if _, shaped := apiErrorString(data); resp.StatusCode == http.StatusNotFound && !shaped {
		// A 404 the API did not answer (a proxy's page, a wrong base URL) says nothing
		// about the secret: taking it for "already gone" would drop a finalizer while
		// the vault secret stays.
		apiErr.notFromAPI = true
		apiErr.Message += ": the answer did not come from the Nairi API (check --nairi-api-url)"
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		apiErr.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		c.rate.rateLimited(sent)
		c.metrics.paused(c.keyID, c.pause(sent, apiErr.RetryAfter))
	}
	return reply{}, apiErr
}

// adapt feeds an answer of the API to the key's rate: anything but a 429 or a 5xx says the
// rate was accepted (a 404 is an answer too); a 429 is handled with its Retry-After.
func (c *Client) adapt(status int, limited bool) {
	switch {
	case status == http.StatusTooManyRequests:
		c.metrics.rateLimited(c.keyID)
	case status < http.StatusInternalServerError:
		c.rate.succeeded(limited)
		c.resetPause()
	}
}

// transportError wraps a failure that left no usable response. The cause is
// taken out of *url.Error so the message names the route template, not the
// URL. It tells the caller's own cancellation (not retryable) apart from the
// client's per-request timeout (retryable).
func (c *Client) transportError(ctx, reqCtx context.Context, method, route string, err error) error {
	cause := err
	if ue, ok := errors.AsType[*url.Error](err); ok {
		cause = ue.Err
	}
	switch {
	case ctx.Err() != nil:
		cause = ctx.Err()
	case reqCtx.Err() != nil:
		cause = fmt.Errorf("request timed out after %s: %w", c.timeout, context.DeadlineExceeded)
	}
	return &TransportError{Method: method, Route: route, Err: cause}
}

// malformed is the error for a 2xx response whose body is not what the API
// documents (a proxy's HTML page, a changed schema).
func malformed(method, route string, rep reply, why string) error {
	return &APIError{
		StatusCode: rep.status,
		Message:    why + " " + describeResponse(rep.status, rep.contentType),
		Method:     method,
		Route:      route,
	}
}

// vaultPath and secretPath build request paths; ids are escaped so that any
// string, however odd, stays one path segment and the API answers 400.
func vaultPath(vaultID string) string {
	return "/vaults/" + url.PathEscape(vaultID) + "/secrets"
}

func secretPath(vaultID, secretID string) string {
	return vaultPath(vaultID) + "/" + url.PathEscape(secretID)
}

// checkIDs refuses empty ids before any request: they would address a
// different route altogether.
func checkIDs(method, route string, ids ...string) error {
	if slices.Contains(ids, "") {
		return fmt.Errorf("nairi: %s %s: empty id", method, route)
	}
	return nil
}
