package auth

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/meta"
)

const localsKey = "logsieve.principal"

// TokenFrom returns the token of a request: the Authorization Bearer header, else the
// logsieve_token cookie.
func TokenFrom(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return c.Cookies(CookieName)
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
// Caller.
func (s *Service) Require(access Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if access == Public {
			return c.Next()
		}
		p, err := s.Authenticate(TokenFrom(c))
		if err != nil {
			return err
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
