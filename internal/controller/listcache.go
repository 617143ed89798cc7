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
	"context"
	"sync"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// ListCache shares one List of a vault among the drift checks of every NairiSecret of
// that vault and API key for a short time, so a refresh costs one call per vault, not
// one per object. Concurrent callers wait for the List already in flight.
type ListCache struct {
	// TTL is how long a List is reused.
	TTL time.Duration
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	mu      sync.Mutex
	entries map[listKey]*listEntry
}

type listKey struct{ keyID, vaultID string }

type listEntry struct {
	done    chan struct{} // closed when the List returned
	secrets []nairi.Secret
	err     error
	at      time.Time
}

// List returns the vault's secrets, from a List made less than TTL ago when there is one.
func (c *ListCache) List(ctx context.Context, api vaultAPI, vaultID string) ([]nairi.Secret, error) {
	secrets, _, err := c.ListAt(ctx, api, vaultID)
	return secrets, err
}

// ListAt is List that also says when the List was made, so the drift checks it served
// can be scheduled from one time and keep sharing a List.
func (c *ListCache) ListAt(ctx context.Context, api vaultAPI, vaultID string) ([]nairi.Secret, time.Time, error) {
	key := listKey{api.keyID, vaultID}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[listKey]*listEntry{}
	}
	if e, ok := c.entries[key]; ok && (!isDone(e) || c.now().Sub(e.at) < c.TTL) {
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.secrets, e.at, e.err
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		}
	}
	c.sweepLocked()
	e := &listEntry{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	e.secrets, e.err = api.ListSecrets(ctx, vaultID)
	c.mu.Lock()
	e.at = c.now()
	if e.err != nil && c.entries[key] == e {
		delete(c.entries, key) // errors are not shared beyond the callers already waiting
	}
	c.mu.Unlock()
	close(e.done)
	return e.secrets, e.at, e.err
}

// Invalidate drops the cached List of a vault after this process wrote to it, so no
// drift check judges the vault by a List older than the write.
func (c *ListCache) Invalidate(api vaultAPI, vaultID string) {
	c.mu.Lock()
	delete(c.entries, listKey{api.keyID, vaultID})
	c.mu.Unlock()
}

// sweepLocked drops Lists past their TTL, so the cache holds only recent Lists however
// many vaults and keys come and go.
func (c *ListCache) sweepLocked() {
	now := c.now()
	for k, e := range c.entries {
		if isDone(e) && now.Sub(e.at) >= c.TTL {
			delete(c.entries, k)
		}
	}
}

func (c *ListCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func isDone(e *listEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
