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
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The fuzz targets cover every decoder of what the API sends back. Without
// -fuzz they run their seed corpus as ordinary tests.

var secretSeeds = []string{
	`{"id":"sec_01KQ27AQH800XQTQPJZ0DH14SJ","env_key":"DATABASE_URL","allowed_domains":[],"created_at":"2026-04-25T11:45:19.000Z","updated_at":"2026-04-25T11:45:19.000Z"}`,
	`{"id":"sec_1","env_key":"K","allowed_domains":null,"created_at":"2026-04-25T11:45:19Z","updated_at":"2026-04-25T11:45:19.999+02:00"}`,
	`{"id":"sec_1","env_key":"K","created_at":"yesterday","updated_at":"2026-04-25T11:45:19.000Z"}`,
	`{"id":"","env_key":"K"}`, `{"id":1}`, `[]`, `null`, `{`, ``, `<html>502</html>`,
}

func FuzzDecodeSecret(f *testing.F) {
	for _, s := range secretSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeSecret(data)
		if err != nil {
			if s != nil {
				t.Fatal("secret returned with an error")
			}
			if err != errMalformedBody && err != errIncomplete {
				t.Fatalf("unexpected error text %q", err)
			}
			return
		}
		if s.ID == "" || s.EnvKey == "" || s.CreatedAt.IsZero() || s.UpdatedAt.IsZero() || s.AllowedDomains == nil {
			t.Fatalf("incomplete secret accepted: %+v", s)
		}
	})
}

func FuzzDecodeSecretList(f *testing.F) {
	for _, s := range secretSeeds {
		f.Add([]byte("[" + s + "]"))
	}
	for _, s := range []string{`[]`, `null`, ` [ ] `, `{"cursor":"x","secrets":[]}`, `{"has_more":true}`, `{"secrets":[]}`, `{}`, `[1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := decodeSecretList(data)
		if err != nil {
			if list != nil {
				t.Fatal("list returned with an error")
			}
			return
		}
		if list == nil {
			t.Fatal("nil list without an error")
		}
		for _, s := range list {
			if s.ID == "" || s.UpdatedAt.IsZero() || s.AllowedDomains == nil {
				t.Fatalf("incomplete secret accepted: %+v", s)
			}
		}
	})
}

func FuzzErrorMessage(f *testing.F) {
	seeds := []struct{ body, contentType, secret string }{
		{`{"error":"vault not found"}`, "application/json", ""},
		{`{"error":"env_key already exists in this vault"}`, "application/json", "s3cr3t-value"},
		{`{"error":"bad s3cr3t-value"}`, "application/json", "s3cr3t-value"},
		{`{"error":"bad s3cr3t-v…"}`, "application/json", "s3cr3t-value"},
		{`{"error":"line\nbreak\u202e\u0000"}`, "", "line break"},
		{`{"error":{"nested":true}}`, "application/json", ""},
		{`<html><body>Bad Gateway</body></html>`, "text/html", ""},
		{"\xff\xfe", "", "\xff\xfe"},
		{`{"error":"` + strings.Repeat("é", 300) + `"}`, "application/json", "éé"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.contentType, s.secret)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType, secret string) {
		ct := mediaType(contentType)
		msg := errorMessage(500, ct, body, secret)
		if !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > maxMessageRunes+1 {
			t.Fatalf("message not clean or too long: %q", msg)
		}
		if strings.IndexFunc(msg, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
			t.Fatalf("message has control characters: %q", msg)
		}
		fixed := msg == unexpectedResponse(500, ct) || isDocumented(msg) ||
			strings.HasPrefix(msg, "error message withheld:")
		if !fixed && secret != "" && strings.Contains(msg, secret) {
			t.Fatalf("message %q repeats the sensitive %q", msg, secret)
		}
		if r := []rune(secret); !fixed && len(r) > echoRunLen {
			for i := 0; i+echoRunLen <= len(r); i++ {
				if run := string(r[i : i+echoRunLen]); strings.Contains(msg, run) {
					t.Fatalf("message %q repeats %q, 8 characters of the sensitive %q", msg, run, secret)
				}
			}
		}
	})
}
