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

// Command dashboard writes the Grafana dashboard of internal/dashboard as JSON
// (`make dashboard`).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/dashboard"
)

func main() {
	out := flag.String("o", "config/grafana/nairi-secrets-operator.json", "file to write")
	flag.Parse()
	data, err := dashboard.JSON()
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
