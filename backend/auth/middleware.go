package auth

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/meta"
)

const localsKey = "logsieve.principal"

// TokenFrom returns the token of a request: the Authorization Bearer header (the scheme
// name is case-insensitive), else the logsieve_token cookie.
func TokenFrom(c *fiber.Ctx) string {
	t, _ := tokenOf(c)
	return t
}

// tokenOf returns the token of a request and whether it came from the cookie. An
// Authorization header of another scheme yields no token (the cookie is not used then).
func tokenOf(c *fiber.Ctx) (token string, cookie bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, t, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(t), false
		}
		return "", false
	}
	return c.Cookies(CookieName), true
}

// Access is what a route requires of its caller.
type Access int

// Access levels, from none to admin.
const (
	Public  Access = iota // no token
	AnyUser               // a valid token, even while must_change_password (the /auth routes)
	Viewer                // a valid token of a user without a pending password change
	Admin                 // the same, and role admin
)

// Require returns a middleware that authenticates the caller (401 on failure) and enforces
// access (403 for a pending password change or a missing role). The caller is stored for
// Caller. A state-changing request that is public (the login, which sets the cookie) or
// authenticated by the cookie must also pass CheckBrowserRequest; a Bearer token is never
// sent by a browser on its own, so those requests are not checked.
func (s *Service) Require(access Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if access == Public {
			if StateChanging(c.Method()) {
				if err := CheckBrowserRequest(c); err != nil {
					return err
				}
			}
			return c.Next()
		}
		tok, cookie := tokenOf(c)
		p, err := s.Authenticate(tok)
		if err != nil {
			return err
		}
		if cookie && StateChanging(c.Method()) {
			if err := CheckBrowserRequest(c); err != nil {
				return err
			}
		}
		c.Locals(localsKey, p)
		if access >= Viewer && p.MustChangePassword {
			return errForbidden("the password must be changed first")
		}
		if access == Admin && p.Role != meta.RoleAdmin {
			return errForbidden("this needs the admin role")
		}
		return c.Next()
	}
}

// Caller returns the principal stored by Require, or nil.
func Caller(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(localsKey).(*Principal)
	return p
}
