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

package controller

import (
	"errors"
	"strings"
	"testing"
)

// The functions of spec.template, each with the example the CRD documents for it.
func TestTemplateFunctionsDoWhatTheDocsSay(t *testing.T) {
	data := map[string][]byte{"in": nil}
	cases := []struct{ template, in, want string }{
		{`{{ urlquery .in }}`, "p@ss/w:rd", "p%40ss%2Fw%3Ard"},
		{`{{ urlquery .in }}`, "@:/?#", "%40%3A%2F%3F%23"},
		{`{{ pathEscape .in }}`, "my db", "my%20db"},
		{`{{ b64enc .in }}`, "hello", "aGVsbG8="},
		{`{{ b64dec .in }}`, "aGVsbG8=", "hello"},
		{`{{ trim .in }}`, " hello\n", "hello"},
		{`{{ lower .in }}`, "Hello", "hello"},
		{`{{ upper .in }}`, "Hello", "HELLO"},
		{`{{ json .in }}`, `a"b`, `"a\"b"`},
		{`{{ json .in }}`, `<&>`, `"<&>"`},
		{`{{ .in | trim | upper }}`, " x ", "X"},
		{`{{ index . "in" }}`, "v", "v"},
		{`{{ if eq .in "a" }}yes{{ else }}no{{ end }}`, "a", "yes"},
		{`{{ with .in }}[{{ . }}]{{ end }}`, "w", "[w]"},
	}
	for _, c := range cases {
		data["in"] = []byte(c.in)
		got, err := renderTemplate(c.template, data)
		if err != nil || got != c.want {
			t.Errorf("%s with %q = %q, %v; want %q", c.template, c.in, got, err, c.want)
		}
	}
}

func TestTemplateComposesADatabaseURL(t *testing.T) {
	data := map[string][]byte{"username": []byte("app"), "password": []byte("p@ss:w/rd?#"),
		"host": []byte("db-rw.shop.svc"), "tls.crt": []byte("CERT")}
	got, err := renderTemplate(`postgresql://{{ .username }}:{{ urlquery .password }}@{{ .host }}:5432/shop`+
		`{{ if index . "tls.crt" }}?sslmode=verify-full{{ end }}`, data)
	want := "postgresql://app:p%40ss%3Aw%2Frd%3F%23@db-rw.shop.svc:5432/shop?sslmode=verify-full"
	if err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// A key the template names and the Secret lacks is SecretKeyNotFound, named; Go's
// wording of the {{ .key }} error is what missingFieldRE reads, so this fails if it changes.
func TestTemplateNamesTheMissingKey(t *testing.T) {
	for _, text := range []string{`{{ .user }}:{{ .password }}`, `{{ index . "password" }}`,
		`{{ urlquery .password }}`, `{{ if .password }}x{{ end }}`} {
		_, err := renderTemplate(text, map[string][]byte{"user": []byte("u")})
		missing, ok := errors.AsType[*missingKeyError](err)
		if !ok || missing.key != "password" {
			t.Errorf("%s: got %v, want the missing key password", text, err)
		}
	}
}

func TestTemplateRefusesWhatItCannotRender(t *testing.T) {
	data := map[string][]byte{"a": []byte("value-a"), "b": []byte("not base64!")}
	cases := map[string]string{
		`{{ .a `:                                     "unclosed action",
		`{{ nosuchfunc .a }}`:                        `function "nosuchfunc" not defined`,
		`{{ printf "%099999999d" 1 }}`:               "printf is not available",
		`{{ print .a }}`:                             "print is not available",
		`{{ range . }}{{ . }}{{ end }}`:              "range is not available",
		`{{ define "x" }}x{{ end }}{{ .a }}`:         "define and block are not available",
		`{{ block "x" . }}x{{ end }}`:                "define and block are not available",
		`{{ b64dec .b }}`:                            "b64dec: the input is not valid base64",
		`{{ .a.field }}`:                             "can't evaluate field field",
		`{{ if .a }}{{ range . }}{{ end }}{{ end }}`: "range is not available",
	}
	for text, want := range cases {
		_, err := renderTemplate(text, data)
		te, ok := errors.AsType[*templateError](err)
		if !ok || !strings.Contains(te.message, want) {
			t.Errorf("%s: got %v, want a template error containing %q", text, err, want)
		}
	}
}

func TestTemplateCapsTheRenderedValue(t *testing.T) {
	big := strings.Repeat("x", maxRenderedValue/2+1)
	_, err := renderTemplate(`{{ .a }}{{ .a }}`, map[string][]byte{"a": []byte(big)})
	if te, ok := errors.AsType[*templateError](err); !ok || !strings.Contains(te.message, "longer than") {
		t.Fatalf("got %v, want the value to be refused as too long", err)
	}
}

// text/template's execution errors can quote data; none of them may reach a condition.
func TestTemplateErrorsNeverShowAValue(t *testing.T) {
	secret := "s3cr3t-CANARY-value"
	encoded := "czNjcjN0LUNBTkFSWS12YWx1ZQ==" // base64 of secret
	data := map[string][]byte{"password": []byte(secret), "enc": []byte(encoded), "ref": []byte("password")}
	for _, text := range []string{
		`{{ index . .password }}`,         // a key computed from the value
		`{{ index . (b64dec .enc) }}`,     // from a decoded value
		`{{ index . (upper .password) }}`, // from a transformed value
		`{{ .password.x }}`,               // field of a string
		`{{ slice .password 3 100 }}`,     // out of range
		`{{ eq .password 1 }}`,            // incomparable
		`{{ index . (index . "ref") }}x{{ .nokey }}`,
	} {
		_, err := renderTemplate(text, data)
		if err == nil {
			t.Errorf("%s: rendered without error", text)
			continue
		}
		msg := err.Error()
		for i := 0; i+8 <= len(secret); i++ {
			if strings.Contains(msg, secret[i:i+8]) || strings.Contains(strings.ToUpper(msg), strings.ToUpper(secret[i:i+8])) {
				t.Errorf("%s: the error shows part of the value: %s", text, msg)
				break
			}
		}
	}
}
