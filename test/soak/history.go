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
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// entry is one step of the history: a user action, a remote change, a fault or a manager
// event. Tags name what it touched ("vk:A/SOAK_K03", "obj:soak-a/obj-07",
// "sec:soak-a/src-1"), so a failure can print the steps that explain it.
type entry struct {
	At   time.Duration
	Kind string
	Text string
	Tags []string
}

// history is the ordered record of a run, safe for the concurrent goroutines that act.
type history struct {
	start time.Time
	mu    sync.Mutex
	list  []entry
}

func (h *history) add(kind, text string, tags ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.list = append(h.list, entry{At: time.Since(h.start), Kind: kind, Text: text, Tags: tags})
}

func (h *history) entries() []entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.list)
}

// tail returns the last n entries touching any of tags, plus the last few process-level
// events (manager kills and restarts, the kube-apiserver restart) that happened within
// them, in order: the shortest story that explains a broken key.
func (h *history) tail(tags []string, n int) []entry {
	all := h.entries()
	var out []entry
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		if slices.ContainsFunc(all[i].Tags, func(t string) bool { return slices.Contains(tags, t) }) {
			out = append(out, all[i])
		}
	}
	slices.Reverse(out)
	if len(out) == 0 {
		return nil
	}
	from := out[0].At
	var process []entry
	for _, e := range all {
		if e.At >= from && (e.Kind == kindManager || e.Kind == kindAPIServer) {
			process = append(process, e)
		}
	}
	if len(process) > n/2 {
		process = process[len(process)-n/2:]
	}
	out = append(out, process...)
	slices.SortStableFunc(out, func(a, b entry) int { return int(a.At - b.At) })
	return out
}

func formatEntries(es []entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %8.3fs %-9s %s\n", e.At.Seconds(), e.Kind, e.Text)
	}
	return b.String()
}

// Kinds of history entries.
const (
	kindUser      = "user"
	kindRemote    = "remote"
	kindFault     = "fault"
	kindManager   = "manager"
	kindAPIServer = "apiserver"
)
