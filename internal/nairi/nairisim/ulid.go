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
	"math/rand/v2"
	"strings"
	"time"
)

// crockford is the ULID alphabet: Crockford's base32, without I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulidLen is the length of a ULID in its canonical text form.
const ulidLen = 26

// ulidSource makes monotonic ULIDs (https://github.com/ulid/spec): 48 bits of
// milliseconds then 80 random bits, which are incremented instead of redrawn
// within one millisecond, so ids sort in creation order like the API's. It is
// not safe for concurrent use; the Server calls it under its lock.
type ulidSource struct {
	ms     uint64
	randHi uint16 // top 16 of the 80 random bits
	randLo uint64 // low 64 of the 80 random bits
}

// next returns the next ULID for the time now.
func (g *ulidSource) next(now time.Time) string {
	ms := uint64(now.UnixMilli())
	if ms > g.ms {
		g.ms, g.randHi, g.randLo = ms, uint16(rand.Uint32()), rand.Uint64()
	} else {
		// Same millisecond (or the clock stepped back): stay monotonic by
		// incrementing the random part, carrying into the time on overflow.
		g.randLo++
		if g.randLo == 0 {
			g.randHi++
			if g.randHi == 0 {
				g.ms++
			}
		}
	}
	return encodeULID(g.ms<<16|uint64(g.randHi), g.randLo)
}

// encodeULID writes the 128-bit value hi:lo as 26 base32 characters, the last
// character holding the lowest 5 bits (the first one holds only 3 bits).
func encodeULID(hi, lo uint64) string {
	var out [ulidLen]byte
	for i := ulidLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// validID reports whether id is prefix followed by a canonical (upper-case)
// ULID. The first ULID character carries 3 bits, so it is at most '7'.
func validID(prefix, id string) bool {
	u, ok := strings.CutPrefix(id, prefix)
	if !ok || len(u) != ulidLen || u[0] > '7' {
		return false
	}
	for i := 0; i < len(u); i++ {
		if strings.IndexByte(crockford, u[i]) < 0 {
			return false
		}
	}
	return true
}

// ValidVaultID reports whether id is a well-formed vault id ("vlt_" + ULID),
// i.e. one the simulator would not refuse with 400 "invalid vault id".
func ValidVaultID(id string) bool { return validID(vaultPrefix, id) }
