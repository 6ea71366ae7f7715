package api

import (
	"errors"
	"net/http"

	"github.com/fasthttp/websocket"

	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/meta"
)

// wsCheck checks a websocket client's credential as it is now: the token still
// authenticates (not logged out, not expired, user present, no password or role change
// since it was issued) and its user may use the websocket (a viewer or an admin without
// a pending password change). It returns the close code and reason when not.
func (s *Server) wsCheck(token string) (code int, reason string) {
	p, err := s.d.Auth.Authenticate(token)
	var ae *auth.Error
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusUnauthorized:
		return wsCloseUnauthorized, ae.Msg
	case err != nil:
		s.d.Log.Warn("cannot check a websocket client's session; closing it", "err", err)
		return websocket.CloseInternalServerErr, "cannot check the session"
	case p.MustChangePassword:
		return websocket.ClosePolicyViolation, "the password must be changed first"
	case p.Role != meta.RoleAdmin && p.Role != meta.RoleViewer:
		return websocket.ClosePolicyViolation, "this needs the viewer role"
	}
	return 0, ""
}

// allow checks cl's credential now and drops cl when it no longer holds.
func (h *hub) allow(cl *wsClient) bool {
	code, reason := h.s.wsCheck(cl.token)
	if code != 0 {
		cl.drop(code, reason)
		return false
	}
	return true
}

// recheck checks the credential of every client that match selects, dropping those whose
// credential no longer holds. It runs before each stats push (so expiry, and any change
// that no OnRevoke told of, ends a socket within one push interval) and on each
// revocation.
func (h *hub) recheck(match func(*wsClient) bool) {
	h.mu.Lock()
	var cls []*wsClient
	for cl := range h.clients {
		if match(cl) {
			cls = append(cls, cl)
		}
	}
	h.mu.Unlock()
	for _, cl := range cls {
		h.allow(cl)
	}
}

// revoke is the auth.Service.OnRevoke listener: the user's clients are checked at once,
// before the request that ended their sessions is answered.
func (h *hub) revoke(ev auth.Revocation) {
	h.recheck(func(cl *wsClient) bool { return cl.user == ev.Username })
}
