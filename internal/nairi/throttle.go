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

// The pause after a 429 (DESIGN.md §6). The API documents no rate limit (nairi-api.md
// §1.9), so these are defensive choices: a 429 without Retry-After backs off for a pause
// that doubles from firstPause to maxGrownPause while 429s continue, and a huge
// Retry-After cannot stall the operator for long.
const (
	firstPause    = time.Second
	maxGrownPause = 5 * time.Minute
	maxPause      = 10 * time.Minute
)

// pausedFor returns how long requests must still be held back after a 429,
// or 0 when they may go.
func (c *Client) pausedFor() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.pausedUntil.Sub(c.now()), 0)
}

// pause holds back every request of this client — the limit belongs to the key, so
// sending more would only earn more 429s — after a 429 to a request sent at sent. It
// waits retryAfter when the API gave one; else the grown pause, which doubles when a
// request sent after the previous pause began is refused again (requests already in
// flight then belong to the same overload). It never shortens a longer pause already in
// force, and returns how much it added to the time paused.
func (c *Client) pause(sent time.Time, retryAfter time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	d := min(retryAfter, maxPause)
	if retryAfter <= 0 {
		switch {
		case c.nextPause == 0:
			c.nextPause = firstPause
		case !sent.Before(c.pauseStarted):
			c.nextPause = min(2*c.nextPause, maxGrownPause)
		}
		d = c.nextPause
	}
	until := now.Add(d)
	if !until.After(c.pausedUntil) {
		return 0
	}
	from := c.pausedUntil
	if from.Before(now) {
		from = now
		c.pauseStarted = now
	}
	added := until.Sub(from)
	c.pausedUntil = until
	return added
}

// resetPause is called on every success: the grown pause starts again from firstPause.
func (c *Client) resetPause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextPause = 0
}
