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
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"
)

// maxRenderedValue bounds what a template may produce: the size of a whole Secret, which
// no real value exceeds, so a template cannot make the operator build a huge string.
const maxRenderedValue = 1 << 20

// templateFuncs is the documented function set of spec.template (DESIGN.md §2.4), with
// the example the CRD documentation gives for each. The template language's own
// builtins that print arbitrary formats or call functions are replaced by ones that
// fail: printf can be made to allocate gigabytes ({{ printf "%099999999d" 1 }}).
var templateFuncs = template.FuncMap{
	// urlquery: p@ss/w:rd -> p%40ss%2Fw%3Ard (user and password inside a URL).
	"urlquery": url.QueryEscape,
	// pathEscape: my db -> my%20db.
	"pathEscape": url.PathEscape,
	// b64enc: hello -> aGVsbG8=.
	"b64enc": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	// b64dec: aGVsbG8= -> hello.
	"b64dec": func(s string) (string, error) {
		out, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", errors.New("b64dec: the input is not valid base64")
		}
		return string(out), nil
	},
	// trim: " hello\n" -> hello.
	"trim": strings.TrimSpace,
	// lower: Hello -> hello.
	"lower": strings.ToLower,
	// upper: Hello -> HELLO.
	"upper": strings.ToUpper,
	// json: a"b -> "a\"b" (a quoted JSON string, for values inside JSON documents).
	"json": jsonString,
	// index . "tls.crt": like the builtin, but a missing key is an error, as it is for
	// {{ .key }} with missingkey=error.
	"index": indexKey,

	"print":   unavailable("print"),
	"printf":  unavailable("printf"),
	"println": unavailable("println"),
	"html":    unavailable("html"),
	"js":      unavailable("js"),
	"call":    unavailable("call"),
}

func jsonString(s string) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", errors.New("json: cannot encode the value")
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func unavailable(name string) func(...any) (string, error) {
	return func(...any) (string, error) {
		return "", fmt.Errorf("%s is not available in spec.template; write the text around the actions instead", name)
	}
}

// missingKeyError is a key the template looks up and the Secret lacks.
type missingKeyError struct{ key string }

func (e *missingKeyError) Error() string { return fmt.Sprintf("map has no entry for key %q", e.key) }

func indexKey(data map[string]string, key string) (string, error) {
	v, ok := data[key]
	if !ok {
		return "", &missingKeyError{key: key}
	}
	return v, nil
}

// templateError is a template that does not parse or fails; its message is safe to show.
type templateError struct{ message string }

func (e *templateError) Error() string { return e.message }

// missingFieldRE reads the key out of text/template's error for {{ .key }} under
// missingkey=error; template_test.go fails if Go changes the wording.
var missingFieldRE = regexp.MustCompile(`map has no entry for key "((?:[^"\\]|\\.)*)"`)

// templateLocationRE is the "template: value:1:12" prefix of text/template's errors.
var templateLocationRE = regexp.MustCompile(`^template: value:\d+(:\d+)?`)

// renderTemplate executes text with the Secret's data as strings. It returns a
// *missingKeyError for a key the template names that the Secret lacks, and a
// *templateError for anything else; neither ever carries a part of a value.
func renderTemplate(text string, data map[string][]byte) (string, error) {
	tmpl, err := template.New("value").Funcs(templateFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		// Parse errors quote the template, which is spec, never data.
		return "", &templateError{message: err.Error()}
	}
	if err := checkBounded(tmpl); err != nil {
		return "", err
	}
	values := make(map[string]string, len(data))
	for k, v := range data {
		values[k] = string(v)
	}
	out := &limitedBuffer{max: maxRenderedValue}
	err = tmpl.Execute(out, values)
	switch {
	case err == nil:
		return out.String(), nil
	case errors.Is(err, errValueTooLong):
		return "", &templateError{message: fmt.Sprintf("the rendered value is longer than %d bytes", maxRenderedValue)}
	}
	return "", execError(err, text, values)
}

// execError turns an execution error into one safe to show. text/template's messages
// can quote data (a key computed from a value, a function's complaint about its input),
// so a missing key is named only when the template itself spells it, and any message
// holding a part of a value is replaced by the error's location.
func execError(err error, text string, values map[string]string) error {
	key := ""
	if missing, ok := errors.AsType[*missingKeyError](err); ok {
		key = missing.key
	} else if m := missingFieldRE.FindStringSubmatch(err.Error()); m != nil {
		key = m[1]
	}
	if key != "" && strings.Contains(text, key) && !holdsValue(key, values) {
		return &missingKeyError{key: key}
	}
	message := err.Error()
	if key != "" || holdsValue(message, values) {
		message = templateLocationRE.FindString(message) +
			": the template failed; the details are withheld because they would show part of a Secret value"
	}
	return &templateError{message: message}
}

// holdsValue says whether text contains a value of the Secret, or any 8 characters of
// one in a row (values of 3 to 8 characters are looked for whole).
func holdsValue(text string, values map[string]string) bool {
	for _, v := range values {
		if len(v) < 3 {
			continue
		}
		if len(v) <= 8 {
			if strings.Contains(text, v) {
				return true
			}
			continue
		}
		for i := 0; i+8 <= len(v); i++ {
			if strings.Contains(text, v[i:i+8]) {
				return true
			}
		}
	}
	return false
}

// checkBounded refuses what could make one execution run for ever or grow without
// bound: range (nested loops over the keys multiply), and define, block and template
// (recursion). What remains runs in time linear in the template's size.
func checkBounded(tmpl *template.Template) error {
	if len(tmpl.Templates()) > 1 {
		return &templateError{message: "define and block are not available in spec.template"}
	}
	var walk func(*parse.ListNode) error
	walk = func(list *parse.ListNode) error {
		if list == nil {
			return nil
		}
		for _, n := range list.Nodes {
			switch n := n.(type) {
			case *parse.RangeNode:
				location, _ := tmpl.ErrorContext(n)
				return &templateError{message: fmt.Sprintf("template: %s: range is not available in spec.template",
					location)}
			case *parse.TemplateNode:
				return &templateError{message: "template is not available in spec.template"}
			case *parse.IfNode:
				if err := walkBranch(walk, &n.BranchNode); err != nil {
					return err
				}
			case *parse.WithNode:
				if err := walkBranch(walk, &n.BranchNode); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(tmpl.Root)
}

func walkBranch(walk func(*parse.ListNode) error, b *parse.BranchNode) error {
	if err := walk(b.List); err != nil {
		return err
	}
	return walk(b.ElseList)
}

var errValueTooLong = errors.New("rendered value too long")

// limitedBuffer is a buffer that refuses to grow past max bytes.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errValueTooLong
	}
	return b.Buffer.Write(p)
}
