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
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// formatSecrets renders a List answer as a table: no values, because the API has none.
func formatSecrets(secrets []utils.VaultSecret) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	_, _ = fmt.Fprintln(tw, "ID\tENV_KEY\tALLOWED_DOMAINS\tCREATED_AT\tUPDATED_AT")
	for _, s := range secrets {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.EnvKey,
			"["+strings.Join(s.AllowedDomains, ",")+"]", s.CreatedAt, s.UpdatedAt)
	}
	_ = tw.Flush()
	return b.String()
}
