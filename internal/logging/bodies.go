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

// Package logging keeps request and response bodies of the Kubernetes API out of the
// manager's log.
//
// client-go logs every request and response body at verbosity 8 and above ("Request
// Body", "Response Body", with the body under the key "body"), through the logger of the
// request's context. controller-runtime gives its informers and reconcilers a context
// carrying the manager's logger, so with --zap-log-level=8 the LIST of the metadata-only
// Secret watch is printed, and with it kubectl's last-applied-configuration annotation,
// which holds a Secret's data, before the cache's transform can strip it.
//
// WithoutBodies drops exactly those messages, at any verbosity, from every logger
// derived from the one it wraps. It does not cap the verbosity: the rest of what
// client-go prints at 8-10 (URLs, status codes, latencies, headers with the
// Authorization masked) stays available for debugging.
package logging

import (
	"github.com/go-logr/logr"
)

// bodyKey is the key client-go logs a body under; bodyMessages are the messages.
const bodyKey = "body"

var bodyMessages = map[string]bool{"Request Body": true, "Response Body": true}

// WithoutBodies returns a logger that passes everything to l except messages carrying
// a request or response body: any message client-go logs a body with, or any entry
// with a "body" value.
func WithoutBodies(l logr.Logger) logr.Logger {
	sink := l.GetSink()
	if sink == nil {
		return l
	}
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1) // this wrapper's frame, so callers are reported right
	}
	return logr.New(&noBodies{sink: sink})
}

// noBodies is a logr.LogSink filter.
type noBodies struct {
	sink logr.LogSink
}

var _ logr.CallDepthLogSink = (*noBodies)(nil)

// Init does nothing: the wrapped sink was initialised by the logger it came from, and
// WithoutBodies already told it about this wrapper's extra frame.
func (s *noBodies) Init(logr.RuntimeInfo) {}

func (s *noBodies) Enabled(level int) bool { return s.sink.Enabled(level) }

func (s *noBodies) Info(level int, msg string, kv ...any) {
	if carriesBody(msg, kv) {
		return
	}
	s.sink.Info(level, msg, kv...)
}

func (s *noBodies) Error(err error, msg string, kv ...any) {
	if carriesBody(msg, kv) {
		return
	}
	s.sink.Error(err, msg, kv...)
}

// WithValues keeps the filter; values given here cannot carry a body key past it,
// since a logger with a "body" value drops every message.
func (s *noBodies) WithValues(kv ...any) logr.LogSink {
	if carriesBody("", kv) {
		return &dropAll{}
	}
	return &noBodies{sink: s.sink.WithValues(kv...)}
}

func (s *noBodies) WithName(name string) logr.LogSink {
	return &noBodies{sink: s.sink.WithName(name)}
}

func (s *noBodies) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.sink.(logr.CallDepthLogSink); ok {
		return &noBodies{sink: cd.WithCallDepth(depth)}
	}
	return s
}

func carriesBody(msg string, kv []any) bool {
	if bodyMessages[msg] {
		return true
	}
	for i := 0; i < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok && k == bodyKey {
			return true
		}
	}
	return false
}

// dropAll is a logger that was given a body as a value: nothing it logs may be shown.
type dropAll struct{}

func (dropAll) Init(logr.RuntimeInfo)             {}
func (dropAll) Enabled(int) bool                  { return false }
func (dropAll) Info(int, string, ...any)          {}
func (dropAll) Error(error, string, ...any)       {}
func (d *dropAll) WithValues(...any) logr.LogSink { return d }
func (d *dropAll) WithName(string) logr.LogSink   { return d }
