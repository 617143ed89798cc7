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

package soak

import (
	"testing"
	"time"
)

func TestParseSeeds(t *testing.T) {
	got, err := parseSeeds("7, date", time.Date(2026, 12, 4, 23, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 2 || got[0] != 7 || got[1] != 20261204 {
		t.Errorf("parseSeeds = %v, %v; want [7 20261204]", got, err)
	}
	if _, err := parseSeeds("yesterday", time.Now()); err == nil {
		t.Error("a seed that is neither a number nor date was accepted")
	}
}

// The leak detector finds a value inside longer hex text and in part, and never reports
// hex that is not a value (digests, UIDs).
func TestCanariesFindValuesAndOnlyValues(t *testing.T) {
	var c canaries
	c.add("0123456789abcdef01234567")
	for _, leak := range []string{
		`msg="wrote 0123456789abcdef01234567"`,
		`"value":"ff0123456789abcdef0"`, // a 12-digit run inside other hex
		`error: 89abcdef01234567 rejected`,
	} {
		if c.find(leak) == "" {
			t.Errorf("no leak found in %q", leak)
		}
	}
	if got := c.find(`digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 uid 1b4e28ba-2fa1-11d2-883f-0016d3cca427`); got != "" {
		t.Errorf("false leak: %q", got)
	}
	if got := c.find("0123456789abcdef01234567"); got == "" || got != "<value>" {
		t.Errorf("the report must hide the value, got %q", got)
	}
}
