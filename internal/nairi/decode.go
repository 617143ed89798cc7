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
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxMessageRunes bounds the API message kept in an *APIError, so that a
// server echoing something large cannot flood conditions and events.
const maxMessageRunes = 200

// minSensitiveLen is the shortest sensitive string errorMessage looks for.
const minSensitiveLen = 4

// Reasons a 2xx body is refused; they become the start of APIError.Message.
var (
	errMalformedBody  = errors.New("malformed response body")
	errIncomplete     = errors.New("incomplete secret in response body")
	errPaginatedList  = errors.New("paginated list response is not supported, refusing a partial list")
	paginationMarkers = []string{"cursor", "next_cursor", "has_more", "next", "next_page", "page", "pagination"}
)

// decodeSecret decodes one secret object and checks it carries what the API
// documents; a secret without id or updated_at would silently break drift
// detection further up.
func decodeSecret(data []byte) (*Secret, error) {
	var s Secret
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, errMalformedBody
	}
	if err := checkSecret(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// decodeSecretList decodes a list response: the API documents a bare array
// (nairi-api.md §1.8). An object is refused — with a specific message when it
// looks paginated, because a silently truncated list would make the caller
// recreate secrets that exist.
func decodeSecretList(data []byte) ([]Secret, error) {
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var obj map[string]json.RawMessage
		if json.Unmarshal(trimmed, &obj) == nil {
			for _, k := range paginationMarkers {
				if _, ok := obj[k]; ok {
					return nil, errPaginatedList
				}
			}
		}
		return nil, errMalformedBody
	}
	var list []Secret
	if err := json.Unmarshal(trimmed, &list); err != nil {
		return nil, errMalformedBody
	}
	if list == nil { // JSON null: read as an empty vault
		list = []Secret{}
	}
	for i := range list {
		if err := checkSecret(&list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func checkSecret(s *Secret) error {
	if s.ID == "" || s.EnvKey == "" || s.CreatedAt.IsZero() || s.UpdatedAt.IsZero() {
		return errIncomplete
	}
	s.AllowedDomains = nonNil(s.AllowedDomains)
	return nil
}

// errorMessage returns the API's "error" string (nairi-api.md §1.3) or, when
// the body has none, a synthesized description. The raw body is never
// returned: it may be an HTML page, or echo what was sent.
//
// The API is not known to echo input, but if a message ever repeats part of
// one of the sensitive strings (the value, the key) it is withheld as a whole,
// and a generic text naming the HTTP status takes its place: cutting the
// string out would not catch a reformatted echo, and a truncated echo
// ("postgres://admin:S3cr3t…") is still a leak. "Part" is any run of
// echoRunLen characters, or the whole string when it is shorter. The
// documented messages are fixed texts that carry no input, so they are kept
// even if a value happens to occur in them. Strings shorter than
// minSensitiveLen could hide in any ordinary word ("v" in "invalid vault id"),
// so with one of those no undocumented message is shown at all.
func errorMessage(status int, contentType string, body []byte, sensitive ...string) string {
	raw, ok := apiErrorString(body)
	if !ok {
		return unexpectedResponse(status, contentType)
	}
	msg := cleanMessage(raw)
	switch {
	case msg == "":
		return unexpectedResponse(status, contentType)
	case isDocumented(msg):
		return msg
	}
	for _, s := range sensitive {
		if repeats(raw, msg, s) {
			return "error message withheld: it repeated request data " + describeResponse(status, contentType)
		}
		// A value this short could hide in any message (even "bad" in "bad request"), so
		// no undocumented message is safe to show.
		if s != "" && len(s) < minSensitiveLen {
			return "error message withheld: the request carried a value too short to search it for " +
				describeResponse(status, contentType)
		}
	}
	return msg
}

// apiErrorString returns the "error" string of a body in the API's one error
// shape, {"error": "..."} (nairi-api.md §1.3), and whether the body had that
// shape. A proxy's HTML page or a JSON body of another shape does not.
func apiErrorString(body []byte) (string, bool) {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	var raw string
	if json.Unmarshal(body, &env) != nil || json.Unmarshal(env.Error, &raw) != nil {
		return "", false
	}
	return raw, true
}

// echoRunLen is the length of the shortest run of a sensitive string that, found in
// an API message, withholds it (DESIGN.md §5).
const echoRunLen = 8

// repeats reports whether the message repeats any echoRunLen-character run of s
// (or all of s when shorter): as sent, in the cleaned text before or after it
// was cut, or as cleaning would have rewritten s.
func repeats(raw, msg, s string) bool {
	texts := []string{raw, normalize(raw), msg}
	for _, needle := range []string{s, normalize(s)} {
		if len(needle) < minSensitiveLen {
			continue
		}
		runs := runsOf(needle)
		for _, text := range texts {
			if sharesRun(text, runs) {
				return true
			}
		}
	}
	return false
}

// runsOf returns every echoRunLen-rune run of s, or s itself when it is shorter.
func runsOf(s string) map[string]struct{} {
	runes := []rune(s)
	if len(runes) <= echoRunLen {
		return map[string]struct{}{s: {}}
	}
	runs := make(map[string]struct{}, len(runes)-echoRunLen+1)
	for i := 0; i+echoRunLen <= len(runes); i++ {
		runs[string(runes[i:i+echoRunLen])] = struct{}{}
	}
	return runs
}

// sharesRun reports whether text contains one of runs. Every run has the same
// length in runes (or there is one shorter run), so one pass over text's windows of
// that length suffices, whatever the size of the value.
func sharesRun(text string, runs map[string]struct{}) bool {
	for run := range runs {
		if n := utf8.RuneCountInString(run); n < echoRunLen {
			return strings.Contains(text, run)
		}
		break
	}
	runes := []rune(text)
	for i := 0; i+echoRunLen <= len(runes); i++ {
		if _, found := runs[string(runes[i:i+echoRunLen])]; found {
			return true
		}
	}
	return false
}

func unexpectedResponse(status int, contentType string) string {
	return "unexpected response " + describeResponse(status, contentType)
}

func isDocumented(msg string) bool {
	for _, m := range []string{msgVaultNotFound, msgEnvKeyExists, msgEmptyValue} {
		if strings.EqualFold(msg, m) {
			return true
		}
	}
	return false
}

// describeResponse renders "(HTTP 502, text/html)" for messages.
func describeResponse(status int, contentType string) string {
	if contentType == "" {
		return fmt.Sprintf("(HTTP %d)", status)
	}
	return fmt.Sprintf("(HTTP %d, %s)", status, contentType)
}

// cleanMessage makes an API message safe to put in a condition or a log
// line: valid UTF-8, no control or bidi-formatting characters, single
// spaces, bounded length.
func cleanMessage(msg string) string {
	msg = normalize(msg)
	if utf8.RuneCountInString(msg) > maxMessageRunes {
		msg = string([]rune(msg)[:maxMessageRunes]) + "…"
	}
	return msg
}

// normalize makes text valid UTF-8 without control or bidi-formatting
// characters, with single spaces.
func normalize(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, text)
	return strings.Join(strings.Fields(text), " ")
}

// mediaType returns the bare media type of a Content-Type header ("text/html"
// for "text/html; charset=utf-8"), or "" when absent or invalid.
func mediaType(header string) string {
	mt, _, err := mime.ParseMediaType(header)
	if err != nil || len(mt) > 64 {
		return ""
	}
	return mt
}

// parseRetryAfter reads a Retry-After header, as delta-seconds or as an
// HTTP-date (RFC 9110 §10.2.3). Absent, invalid or past values give 0; values
// are capped at maxPause so a bogus header cannot stall the operator.
func parseRetryAfter(header string, now time.Time) time.Duration {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(header, 10, 64); err == nil {
		if secs > uint64(maxPause/time.Second) {
			return maxPause
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(header); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxPause)
}
