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

package nairi

import "time"

// The pause after a 429. The API documents no rate limit (nairi-api.md §1.9),
// so these are defensive choices: a 429 without Retry-After still backs off
// briefly, and a huge Retry-After cannot stall the operator for long.
const (
	defaultPause = time.Second
	maxPause     = 10 * time.Minute
)

// pausedFor returns how long requests must still be held back after a 429,
// or 0 when they may go.
func (c *Client) pausedFor() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.pausedUntil.Sub(c.now()), 0)
}

// pause holds back every request of this client — the limit belongs to the
// key, so sending more would only earn more 429s — for d (defaultPause when
// the API gave no Retry-After). It never shortens a longer pause already in
// force.
func (c *Client) pause(d time.Duration) {
	if d <= 0 {
		d = defaultPause
	}
	d = min(d, maxPause)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.now().Add(d); until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
}
