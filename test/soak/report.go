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
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Result is one run's figures, as kept in test/soak/runs/ and shown in docs/reliability.md.
type Result struct {
	Seed     uint64    `json:"seed"`
	Duration string    `json:"duration"`
	Started  time.Time `json:"started"`
	// Commit is the git commit the manager was built from.
	Commit string `json:"commit"`
	// V2 says whether the model applied DESIGN.md v2's rules (NairiVault present).
	V2 bool `json:"v2"`

	Actions        map[string]int `json:"actions"`
	ActionsTotal   int            `json:"actionsTotal"`
	ActionFailures int            `json:"actionFailures"`
	// Faults counts the faults really served, by kind.
	Faults            map[string]int `json:"faults"`
	FaultsTotal       int            `json:"faultsTotal"`
	ManagerKills      int            `json:"managerKills"`
	ManagerRestarts   int            `json:"managerRestarts"`
	ManagerCrashes    int            `json:"managerCrashes"`
	APIServerRestarts int            `json:"apiServerRestarts"`
	APICalls          map[string]int `json:"apiCalls"`
	APICallsTotal     int            `json:"apiCallsTotal"`
	Events            int            `json:"events"`
	Canaries          int            `json:"canaries"`

	Check       checkCounts `json:"check"`
	Converged   string      `json:"converged"`
	Passed      bool        `json:"passed"`
	Problems    []string    `json:"problems,omitempty"`
	Explanation string      `json:"-"`
	// History is the whole history, one step a line, written next to the logs.
	History    string   `json:"-"`
	Invariants []string `json:"invariants"`
}

// invariants are what the check at the end asserts.
var invariants = []string{
	"every live object that owns its vault+env key, may use the vault, is not suspended and has a non-empty value " +
		"is Ready=True Synced for its current generation, and the vault holds exactly one secret under the key: " +
		"the id in its status, the current value of its Secret key, its allowedDomains (as a set)",
	"every other live object is Ready=False with the reason the model predicts (Suspended, VaultNotAllowed, " +
		"Conflict, SecretNotFound, SecretKeyNotFound, EmptyValue; AlreadyExists only where a secret it may not " +
		"have created can be there)",
	"a key whose every claimant was deleted with deletionPolicy Delete, one at a time, holds nothing in the vault " +
		"(no orphan, also after lost answers and kills)",
	"a key kept by a Retain deletion, or left by a Conflict loser, holds at most one secret whose value was once " +
		"written for that key",
	"the human-made secrets (created 10 minutes before the run) are untouched (id, value, updated_at) unless " +
		"adoption was allowed",
	"no vault secret exists under a key no object ever claimed",
	"no deleted object is left behind (no finalizer hangs)",
	"no value and no API key in any manager log (debug level), Event, status, annotation or metric",
}

// WriteJSON stores the result as dir/seed-<seed>.json.
func (r *Result) WriteJSON(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d.json", r.Seed)), append(data, '\n'), 0o644)
}

// WriteReport renders every result stored in runsDir into the Markdown file at path.
func WriteReport(runsDir, path string) error {
	files, err := filepath.Glob(filepath.Join(runsDir, "*.json"))
	if err != nil {
		return err
	}
	var results []Result
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var r Result
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b Result) int { return a.Started.Compare(b.Started) })
	return os.WriteFile(path, []byte(render(results)), 0o644)
}

func render(results []Result) string {
	var b strings.Builder
	b.WriteString(`# Reliability: the randomized fault soak

This file is written by ` + "`make soak`" + ` (the driver in ` + "`test/soak/`" + `); do not edit it by hand.

Each run starts a real kube-apiserver and etcd, the Nairi simulator and **two replicas of the
manager binary with leader election**, then plays a random history seeded by ` + "`SOAK_SEED`" + ` for
` + "`SOAK_DURATION`" + `: user actions (NairiSecrets created and deleted with both deletion policies
over three vaults, duplicate claims of one env key from two namespaces, values rotated to new
or empty values, keys added and removed, Secrets deleted and recreated, suspend and resume,
domain and deletion-policy changes), remote changes behind the operator's back (vault secrets
deleted or changed), and faults (5xx, timeouts, 429 with and without Retry-After, writes that
commit but lose their answer, dropped connections, latency spikes, a replica or the leader
SIGKILLed and restarted, the leader killed at the instant one of its writes commits, and
kube-apiserver restarted once with etcd kept). Then the faults stop, and after a quiet period
the end state must equal the model exactly.

Reproduce a run with ` + "`make soak SOAK_SEED=<seed> SOAK_DURATION=<duration>`" + `: the same seed
plays the same sequence of actions and faults; the interleaving with the manager's own timing
differs from run to run, which is the point of running many seeds.

The *model* column says which rules the check applied: **v2** once the tree has NairiVault
(DESIGN.md v2: grants, create-intent mark, adoption only of what an object created or a
NairiVault allows), **v1** before (any existing env key is adopted). *Exits* are replicas
that stopped by themselves, mostly on losing the lease while kube-apiserver was down, and
were restarted like a Deployment would. *Loose* keys are the ones DESIGN.md lets keep a
secret no live object owns, checked for at most one secret holding a value once written for
the key.

## Runs

`)
	b.WriteString("| seed | duration | started (UTC) | model | actions | faults served | " +
		"manager kills / restarts / exits | kube-apiserver restarts | Nairi API calls | " +
		"keys checked (exact / empty / seed / loose) | end state | result |\n" +
		"|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		model := "v1"
		if r.V2 {
			model = "v2"
		}
		result := "**pass**"
		if !r.Passed {
			result = fmt.Sprintf("**FAIL** (%d problems)", len(r.Problems))
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d | %d | %d / %d / %d | %d | %d | %d (%d / %d / %d / %d) "+
			"| matched after %s | %s |\n",
			r.Seed, r.Duration, r.Started.Format("2006-01-02 15:04"), model, r.ActionsTotal, r.FaultsTotal,
			r.ManagerKills, r.ManagerRestarts, r.ManagerCrashes, r.APIServerRestarts, r.APICallsTotal,
			r.Check.Keys, r.Check.ExactKeys, r.Check.EmptyKeys, r.Check.SeedKeys, r.Check.LooseKeys, r.Converged, result)
	}
	b.WriteString("\n## Detail per run\n")
	for _, r := range results {
		fmt.Fprintf(&b, "\n### seed %d, %s (commit %s)\n\n", r.Seed, r.Duration, r.Commit)
		fmt.Fprintf(&b, "- Actions: %s (%d failed, e.g. while kube-apiserver was down).\n", counts(r.Actions),
			r.ActionFailures)
		fmt.Fprintf(&b, "- Faults served: %s.\n", counts(r.Faults))
		fmt.Fprintf(&b, "- Nairi API calls: %s.\n", counts(r.APICalls))
		fmt.Fprintf(&b, "- Objects live at the end: %d", r.Check.Objects)
		if len(r.Check.Reasons) > 0 {
			fmt.Fprintf(&b, " (Ready reasons: %s)", counts(r.Check.Reasons))
		}
		fmt.Fprintf(&b, "; Events scanned: %d; canary values: %d.\n", r.Events, r.Canaries)
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- Problem: %s\n", p)
		}
	}
	b.WriteString("\n## Invariants checked at the end of every run\n\n")
	inv := invariants
	if len(results) > 0 && len(results[len(results)-1].Invariants) > 0 {
		inv = results[len(results)-1].Invariants
	}
	for _, i := range inv {
		fmt.Fprintf(&b, "- %s\n", i)
	}
	b.WriteString(`
Keys are checked *exact* (a live owner: one secret, its id, value and domains), *empty* (every
claimant deleted with deletionPolicy Delete: nothing may be left), *seed* (a human-made secret
that must be untouched) or *loose* (DESIGN.md allows a kept secret: after a Retain deletion, a
Conflict loser's deletion, or while the owner is suspended or has no value; at most one secret
whose value was once written for the key).
`)
	return b.String()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
