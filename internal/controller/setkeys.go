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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// maxObjectName is the longest name a NairiSecret may have (a DNS subdomain).
const maxObjectName = 253

var (
	envKeyRE       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	notEnvKeyChars = regexp.MustCompile(`[^A-Za-z0-9_]`)
	// reservedPrefixes are the env key prefixes Nairi keeps for itself (the CRD refuses
	// them on a NairiSecret; a set can only find out once it sees the Secret's keys).
	reservedPrefixes = []string{"NAIRI_", "CCAGENT_", "CCASECRET_"}
)

// setChild is one child NairiSecret a set wants: which data key, under which env key.
type setChild struct {
	name, key, envKey string
}

// setPlan is what a set wants, worked out from its spec and its Secret's keys alone.
type setPlan struct {
	// children, sorted by env key.
	children []setChild
	// invalid says, one line per problem, which keys get no child and why.
	invalid []string
	// keep names children that must be left as they are: their env key is now claimed by
	// two keys, and deleting the child would delete a vault secret agents may be using.
	keep map[string]bool
}

// planChildren maps the selected keys of the Secret to env keys and child names
// (DESIGN.md §2.3): envKeyPrefix + (keys[].envKey, else the key with every character
// outside [A-Za-z0-9_] made '_'). Keys whose env key is invalid or reserved, and keys
// that share an env key, get no child; the others proceed.
func planChildren(set *secretsv1alpha1.NairiSecretSet, dataKeys []string) setPlan {
	p := setPlan{keep: map[string]bool{}}
	byEnvKey := map[string][]string{}
	for _, sel := range selectedKeys(set, dataKeys) {
		envKey := set.Spec.EnvKeyPrefix + sel.EnvKey
		if sel.EnvKey == "" {
			envKey = set.Spec.EnvKeyPrefix + notEnvKeyChars.ReplaceAllString(sel.Key, "_")
		}
		if why := invalidEnvKey(envKey); why != "" {
			p.invalid = append(p.invalid, fmt.Sprintf("key %q would be env key %s, which %s", sel.Key, envKey, why))
			continue
		}
		byEnvKey[envKey] = append(byEnvKey[envKey], sel.Key)
	}
	byName := map[string][]string{}
	for envKey, keys := range byEnvKey {
		name := childName(set.Name, envKey)
		if len(keys) > 1 {
			slices.Sort(keys)
			p.invalid = append(p.invalid, fmt.Sprintf("keys %s all map to env key %s", quoteAll(keys), envKey))
			p.keep[name] = true
			continue
		}
		byName[name] = append(byName[name], envKey)
		p.children = append(p.children, setChild{name: name, key: keys[0], envKey: envKey})
	}
	// Names are built not to collide; should two still meet, neither gets the child.
	p.children = slices.DeleteFunc(p.children, func(c setChild) bool {
		if envKeys := byName[c.name]; len(envKeys) > 1 {
			p.keep[c.name] = true
			p.invalid = append(p.invalid, fmt.Sprintf("env key %s would share the child name %s with another key", c.envKey, c.name))
			return true
		}
		return false
	})
	slices.SortFunc(p.children, func(a, b setChild) int { return strings.Compare(a.envKey, b.envKey) })
	slices.Sort(p.invalid)
	return p
}

// selectedKeys is spec.keys when given, else every key of the Secret, in order.
func selectedKeys(set *secretsv1alpha1.NairiSecretSet, dataKeys []string) []secretsv1alpha1.SetKey {
	if len(set.Spec.Keys) > 0 {
		return set.Spec.Keys
	}
	keys := slices.Sorted(slices.Values(dataKeys))
	out := make([]secretsv1alpha1.SetKey, len(keys))
	for i, k := range keys {
		out[i] = secretsv1alpha1.SetKey{Key: k}
	}
	return out
}

// invalidEnvKey says why envKey cannot be an env key in Nairi, or "" when it can. The
// rules are those the CRD enforces on a NairiSecret's envKey.
func invalidEnvKey(envKey string) string {
	switch {
	case len(envKey) > 255:
		return "is longer than 255 characters"
	case envKey != "" && envKey[0] >= '0' && envKey[0] <= '9':
		return "starts with a digit (set spec.envKeyPrefix, or keys[].envKey for this key)"
	case !envKeyRE.MatchString(envKey):
		return "is not an environment variable name"
	}
	for _, prefix := range reservedPrefixes {
		if strings.HasPrefix(envKey, prefix) {
			return fmt.Sprintf("starts with %s, a prefix Nairi reserves (give this key another keys[].envKey)", prefix)
		}
	}
	return ""
}

// childName is <set>-<env key lower-cased, '_' made '-'>. It depends on the env key alone,
// so adding or removing a key never renames another key's child. Where that mapping could
// make two env keys one name (lower-case letters: FOO and foo; a trailing '_', which a name
// cannot end with) or the name is too long, it is cut and ends in 8 hex characters of a
// hash of the env key.
func childName(set, envKey string) string {
	name := set + "-" + strings.ReplaceAll(strings.ToLower(envKey), "_", "-")
	if len(name) <= maxObjectName && envKey == strings.ToUpper(envKey) && !strings.HasSuffix(envKey, "_") {
		return name
	}
	sum := sha256.Sum256([]byte(envKey))
	name = strings.TrimRight(name[:min(len(name), maxObjectName-9)], "-")
	return name + "-" + hex.EncodeToString(sum[:4])
}

func quoteAll(keys []string) string {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	if len(quoted) == 2 {
		return quoted[0] + " and " + quoted[1]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}
