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
	"net/http"
	"time"
)

// Defaults applied by New when no option overrides them.
const (
	// DefaultTimeout bounds each request, including reading the response.
	DefaultTimeout = 30 * time.Second
	// DefaultQPS is the ceiling of the adaptive rate of one API key, and DefaultBurst
	// the token bucket's burst. The rate itself starts at DefaultStartQPS and finds
	// the key's limit from the API's 429s (adaptive.go).
	DefaultQPS   = 200.0
	DefaultBurst = 10
)

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient *http.Client
	timeout    time.Duration
	version    string
	qps        float64
	burst      int
	startQPS   float64
	metrics    *Metrics

	allowInsecureHTTP bool
}

func defaultOptions() options {
	return options{
		httpClient: defaultHTTPClient(),
		timeout:    DefaultTimeout,
		version:    "dev",
		qps:        DefaultQPS,
		burst:      DefaultBurst,
		startQPS:   DefaultStartQPS,
	}
}

// defaultHTTPClient has its own transport (so tuning it never touches
// http.DefaultTransport) and does not follow redirects: a redirect would turn
// a POST into a GET and could carry the Authorization header elsewhere, so a
// 3xx is reported as an unexpected response instead.
func defaultHTTPClient() *http.Client {
	var transport = http.DefaultTransport
	if t, ok := transport.(*http.Transport); ok {
		transport = t.Clone()
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// WithHTTPClient replaces the HTTP client, e.g. for a custom transport or
// proxy. The per-request timeout of WithTimeout still applies on top of it.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) {
		if hc != nil {
			o.httpClient = hc
		}
	}
}

// WithTimeout bounds each request (DefaultTimeout unless set). A timeout is
// reported as a retryable *TransportError. d <= 0 disables it, leaving only
// the caller's context.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithUserAgent sets the version in the User-Agent header
// "nairi-secrets-operator/<version>" (default "dev").
func WithUserAgent(version string) Option {
	return func(o *options) {
		if version != "" {
			o.version = version
		}
	}
}

// WithRateLimit sets the ceiling of the key's adaptive rate and the token bucket's
// burst (DefaultQPS, DefaultBurst unless set). Requests wait for a token, honouring
// their context. qps <= 0 disables the client-side limit altogether (the pause after
// a 429 stays); burst < 1 counts as 1.
func WithRateLimit(qps float64, burst int) Option {
	return func(o *options) {
		o.qps = qps
		o.burst = burst
	}
}

// WithStartRate sets the rate a key starts at (DefaultStartQPS unless set; never above
// the ceiling). It grows while requests succeed and halves on a 429.
func WithStartRate(qps float64) Option {
	return func(o *options) { o.startQPS = qps }
}

// WithMetrics records every request in m. Without it, nothing is recorded.
func WithMetrics(m *Metrics) Option {
	return func(o *options) { o.metrics = m }
}

// WithInsecureHTTP lets the base URL be plain http:// to any host. Without it, http://
// is accepted only to a loopback address (a local simulator or a sidecar proxy), so a
// typo cannot send the API key across the network in clear text.
func WithInsecureHTTP(allow bool) Option {
	return func(o *options) { o.allowInsecureHTTP = allow }
}
