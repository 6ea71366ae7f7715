package auth

import "sync"

// Revocation says that sessions ended: the one token TokenID of Username (logout) or,
// when TokenID is empty, every token of Username issued so far (password change, role
// change, deletion). Tokens issued after the event are not affected.
type Revocation struct {
	Username string
	TokenID  string
}

// revokers are the functions OnRevoke registered.
type revokers struct {
	mu   sync.Mutex
	next int
	fs   map[int]func(Revocation)
}

// OnRevoke registers f to be called after each change that ends sessions, once the change
// is stored and before the call that made it returns (so a request that logs out has
// reached every listener when its answer is sent). f runs on the caller's goroutine and
// must not block. The returned function unregisters f.
func (s *Service) OnRevoke(f func(Revocation)) (cancel func()) {
	r := &s.revokers
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fs == nil {
		r.fs = map[int]func(Revocation){}
	}
	id := r.next
	r.next++
	r.fs[id] = f
	return func() {
		r.mu.Lock()
		delete(r.fs, id)
		r.mu.Unlock()
	}
}

// revoked tells every OnRevoke listener about ev.
func (s *Service) revoked(ev Revocation) {
	r := &s.revokers
	r.mu.Lock()
	fs := make([]func(Revocation), 0, len(r.fs))
	for _, f := range r.fs {
		fs = append(fs, f)
	}
	r.mu.Unlock()
	for _, f := range fs {
		f(ev)
	}
}
