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
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// checkSchedule keeps, in the process, when each object's next drift check is due
// (DESIGN.md §4 steps 8-9). Nothing of it is written to the API server: a drift check
// that finds nothing writes nothing.
//
// After a write or a check the next one is due refreshInterval later, counted from the
// vault List that served it, so the objects one List served stay together and keep
// sharing one List per period. Objects this process has not checked yet (all of them
// after a restart) are first checked at a point of their first period chosen at random
// per vault: the restart does not make every check due at once, and the objects of one
// vault still share their List.
type checkSchedule struct {
	// started is when the process began; first checks fall within a period after it.
	started time.Time

	mu      sync.Mutex
	next    map[types.NamespacedName]time.Time
	offsets map[string]float64 // vaultID → fraction of the period of its first check
}

func newCheckSchedule(now time.Time) *checkSchedule {
	return &checkSchedule{started: now, next: map[types.NamespacedName]time.Time{}, offsets: map[string]float64{}}
}

// due returns when the object's next drift check is due.
func (s *checkSchedule) due(obj *secretsv1alpha1.NairiSecret, interval time.Duration) time.Time {
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at, ok := s.next[key]; ok {
		return at
	}
	offset, ok := s.offsets[obj.Spec.VaultID]
	if !ok {
		offset = rand.Float64() //nolint:gosec // spreading load, not security relevant
		s.offsets[obj.Spec.VaultID] = offset
	}
	return s.started.Add(time.Duration(offset * float64(interval)))
}

// checked notes that the object's vault secret was written or found current at at.
func (s *checkSchedule) checked(obj *secretsv1alpha1.NairiSecret, at time.Time, interval time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next[types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}] = at.Add(interval)
}

// forget drops a deleted object.
func (s *checkSchedule) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.next, key)
}
