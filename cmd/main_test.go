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

package main

import (
	"strings"
	"testing"
	"time"
)

// The manager refuses plain HTTP to a remote host before it connects anywhere, and says
// how to allow it; run returns before it builds a manager, so no cluster is needed.
func TestRunRefusesPlainHTTPToARemoteHostAndSaysHowToAllowIt(t *testing.T) {
	o := &options{apiURL: "http://nairi.internal.example:8080", qps: 5, burst: 10, concurrency: 1,
		timeout: time.Second}
	err := run(o)
	if err == nil {
		t.Fatal("run accepted http:// to a remote host")
	}
	for _, want := range []string{"--nairi-api-url", "loopback", "https://", "--nairi-allow-insecure-http"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
