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

package nairisim

import (
	"strings"
	"testing"
	"time"
)

func TestULIDsAreValidMonotonicAndCarryTheTime(t *testing.T) {
	var g ulidSource
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	prev := ""
	for i := range 1000 {
		at := now
		if i%100 == 99 {
			now = now.Add(time.Millisecond)
		}
		id := g.next(at)
		if !validID("", id) || id <= prev {
			t.Fatalf("id %d = %q after %q: want a valid, strictly increasing ULID", i, id, prev)
		}
		prev = id
	}
	if got := decodeTime(g.next(now)); !got.Equal(now) {
		t.Errorf("time in ULID = %v, want %v", got, now)
	}
	// Overflow of the random part carries into the time, keeping order.
	g.randHi, g.randLo = 0xFFFF, ^uint64(0)
	before := encodeULID(g.ms<<16|uint64(g.randHi), g.randLo)
	if after := g.next(now); after <= before {
		t.Errorf("after overflow %q <= %q", after, before)
	}
}

// decodeTime reads the 48-bit millisecond time of a ULID.
func decodeTime(id string) time.Time {
	var ms int64
	for _, c := range id[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	return time.UnixMilli(ms).UTC()
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"vlt_01KQ27AQH800XQTQPJZ0DH14SJ":  true,
		"vlt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ":  true,
		"vlt_8ZZZZZZZZZZZZZZZZZZZZZZZZZ":  false, // beyond 128 bits
		"vlt_01kq27aqh800xqtqpjz0dh14sj":  false, // lower case
		"vlt_01KQ27AQH800XQTQPJZ0DH14S":   false, // 25 characters
		"vlt_01KQ27AQH800XQTQPJZ0DH14SJX": false,
		"vlt_01KQ27AQH800XQTQPJZ0DH14SU":  false, // U is not Crockford
		"sec_01KQ27AQH800XQTQPJZ0DH14SJ":  false,
		"":                                false,
	} {
		if got := ValidVaultID(id); got != want {
			t.Errorf("ValidVaultID(%q) = %v, want %v", id, got, want)
		}
	}
}

// Timestamps keep millisecond precision yet move on every change, even when
// the clock does not.
func TestStampsStrictlyIncreaseWithinOneMillisecond(t *testing.T) {
	s := New()
	frozen := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	s.clock = func() time.Time { return frozen }
	a, b := s.stampLocked(), s.stampLocked()
	if a.Location() != time.UTC || a.Nanosecond() != 123000000 || b.Sub(a) != time.Millisecond {
		t.Errorf("stamps %v, %v: want UTC, whole milliseconds, 1ms apart", a, b)
	}
	vault := s.NewVault()
	sec := s.Seed(vault, "K", "v", nil)
	s.ChangeOutOfBand(vault, sec.ID, nil, nil)
	if got := s.Secrets(vault)[0]; !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("updated_at %v not after created_at %v", got.UpdatedAt, got.CreatedAt)
	}
}
