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
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// window is how long a run of a value must be to count as a leak: DESIGN.md §5 replaces
// an error message holding any 8 characters of a value; 12 hex digits of a random
// 24-digit value do not occur by chance in a few megabytes of logs.
const window = 12

// canaries are every value the run wrote, each a leak detector.
type canaries struct {
	mu      sync.Mutex
	windows map[string]bool
	count   int
}

func (c *canaries) add(v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.windows == nil {
		c.windows = map[string]bool{}
	}
	c.count++
	for i := 0; i+window <= len(v); i++ {
		c.windows[v[i:i+window]] = true
	}
}

// find returns the first place in text where a value leaks, or "".
func (c *canaries) find(text string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	isHex := func(b byte) bool { return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' }
	for i := 0; i < len(text); {
		if !isHex(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isHex(text[j]) {
			j++
		}
		for k := i; k+window <= j; k++ {
			if c.windows[text[k:k+window]] {
				from, to := max(i-60, 0), min(j+20, len(text))
				// Show the context, never the value itself.
				return strings.ReplaceAll(text[from:to], text[i:j], "<value>")
			}
		}
		i = j
	}
	return ""
}

// leaks looks for every value and the API key in the managers' logs, the Events, the
// NairiSecrets' status and annotations, and the metrics.
func (s *soak) leaks(ctx context.Context) ([]problem, error) {
	var problems []problem
	look := func(where, text string) {
		if strings.Contains(text, s.apiKey) {
			problems = append(problems, problem{Msg: "the API key appears in " + where})
		}
		if ctxText := s.canaries.find(text); ctxText != "" {
			problems = append(problems, problem{Msg: fmt.Sprintf("a value appears in %s: …%s…", where, ctxText)})
		}
	}
	for _, path := range s.mgrs.allLogs() {
		look("the manager log "+path, readFile(path))
	}
	var core corev1.EventList
	if err := s.c.List(ctx, &core); err != nil {
		return nil, fmt.Errorf("list core Events: %w", err)
	}
	data, _ := json.Marshal(core.Items)
	look("core/v1 Events", string(data))
	var events eventsv1.EventList
	if err := s.c.List(ctx, &events); err != nil {
		return nil, fmt.Errorf("list events.k8s.io Events: %w", err)
	}
	data, _ = json.Marshal(events.Items)
	look("events.k8s.io Events", string(data))
	s.eventCount = len(core.Items) + len(events.Items)
	var list secretsv1alpha1.NairiSecretList
	if err := s.c.List(ctx, &list); err != nil {
		return nil, err
	}
	for _, o := range list.Items {
		data, _ := json.Marshal(struct {
			Annotations map[string]string
			Status      secretsv1alpha1.NairiSecretStatus
		}{o.Annotations, o.Status})
		look("the status of "+objKey(&o), string(data))
	}
	metrics, err := s.mgrs.scrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	look("the metrics", metrics)
	return problems, nil
}
