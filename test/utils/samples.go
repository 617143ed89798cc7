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

package utils

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// SampleFile is the sample users copy: a Secret and the NairiSecret that syncs it.
const SampleFile = "config/samples/secrets_v1alpha1_nairisecret.yaml"

var vaultIDPattern = regexp.MustCompile(`vlt_[0-9A-HJKMNP-TV-Z]{26}`)

// SetSampleFile is the second sample: an env-file Secret kept whole by a NairiSecretSet,
// and a NairiSecret composing a database URL with spec.template.
const SetSampleFile = "config/samples/secrets_v1alpha1_nairisecretset.yaml"

// Sample returns config/samples' Secret and NairiSecret with the vault id replaced, so the
// demo and the e2e suite apply exactly what the README tells users to apply.
func Sample(vaultID string) (string, error) {
	return SampleOf(SampleFile, vaultID)
}

// SampleOf returns a sample file of config/samples with the vault id replaced.
func SampleOf(file, vaultID string) (string, error) {
	data, err := os.ReadFile(filepath.Join(ProjectDir(), file))
	if err != nil {
		return "", err
	}
	return vaultIDPattern.ReplaceAllLiteralString(string(data), vaultID), nil
}

// VaultSampleFile is the sample NairiVault a cluster admin copies.
const VaultSampleFile = "config/samples/secrets_v1alpha1_nairivault.yaml"

// VaultSample returns config/samples' NairiVault for vaultID, granting namespace (in place
// of the sample's shop namespaces), so the demo applies what the README shows.
func VaultSample(vaultID, namespace string) (string, error) {
	data, err := os.ReadFile(filepath.Join(ProjectDir(), VaultSampleFile))
	if err != nil {
		return "", err
	}
	out := vaultIDPattern.ReplaceAllLiteralString(string(data), vaultID)
	return strings.Replace(out, "namespaces: [shop, shop-staging]", "namespaces: ["+namespace+"]", 1), nil
}
