package auth

import (
	"net/http"
	"sync"
	"time"
)

// Login throttling (docs/api.md "Login throttling").
const (
	// FailLimit failures within FailWindow for one (user, address) pair, for one address,
	// or for one user's current password on POST /auth/password block further attempts.
	FailLimit  = 5
	FailWindow = time.Minute
	// UserFailLimit failures within UserFailWindow for one user, from any addresses, block
	// that user's logins from every address that has not logged in as that user before.
	UserFailLimit  = 20
	UserFailWindow = 15 * time.Minute
	// knownAddressTTL is how long a successful login keeps its address exempt from the
	// per-user block.
	knownAddressTTL = 30 * 24 * time.Hour
	maxKnownAddress = 10000
)

func errThrottled(d time.Duration) *Error {
	return &Error{Status: http.StatusTooManyRequests, Msg: "too many failed logins; try again later", RetryAfter: d}
}

// knownAddresses remembers the (user, address) pairs that logged in successfully, so a
// distributed guessing attack on one account (the per-user block) does not lock its owner
// out of the addresses the owner uses. In memory: a restart forgets it, like the counters.
type knownAddresses struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string]time.Time // user\x00ip -> last successful login
}

func newKnownAddresses(now func() time.Time) *knownAddresses {
	return &knownAddresses{now: now, seen: map[string]time.Time{}}
}

func (k *knownAddresses) remember(user, ip string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if len(k.seen) >= maxKnownAddress {
		for key, t := range k.seen {
			if now.Sub(t) >= knownAddressTTL {
				delete(k.seen, key)
			}
		}
		for key := range k.seen { // still full: forget an arbitrary one
			if len(k.seen) < maxKnownAddress {
				break
			}
			delete(k.seen, key)
		}
	}
	k.seen[user+"\x00"+ip] = now
}

func (k *knownAddresses) has(user, ip string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.seen[user+"\x00"+ip]
	return ok && k.now().Sub(t) < knownAddressTTL
}
