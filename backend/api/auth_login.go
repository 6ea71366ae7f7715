package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/auth"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type sessionResponse struct {
	Token string         `json:"token"`
	User  auth.Principal `json:"user"`
}

func (s *Server) setSessionCookie(c *fiber.Ctx, sess *auth.Session) {
	c.Cookie(&fiber.Cookie{
		Name: auth.CookieName, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.d.Auth.Secure(c),
	})
}

// login: POST /auth/login {username, password} -> {token, user} and the cookie.
func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Username == "" {
		return badRequest("username", "the username is required")
	}
	if req.Password == "" {
		return badRequest("password", "the password is required")
	}
	sess, err := s.d.Auth.Login(req.Username, req.Password, s.d.Auth.ClientIP(c))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, sess)
	return c.JSON(sessionResponse{Token: sess.Token, User: sess.User})
}

// logout: POST /auth/logout revokes the token and clears the cookie.
func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.d.Auth.Logout(auth.Caller(c)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: auth.CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: s.d.Auth.Secure(c)})
	return c.SendStatus(http.StatusNoContent)
}

// me: GET /auth/me -> {username, role, must_change_password}.
func (s *Server) me(c *fiber.Ctx) error { return c.JSON(auth.Caller(c)) }

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword: POST /auth/password {current, new} -> a fresh {token, user}.
func (s *Server) changePassword(c *fiber.Ctx) error {
	var req passwordRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Current == "" {
		return badRequest("current", "the current password is required")
	}
	p := auth.Caller(c)
	sess, err := s.d.Auth.ChangePassword(p.Username, req.Current, req.New)
	if err != nil {
		return err
	}
	s.audit(c, "password.change", p.Username)
	s.setSessionCookie(c, sess)
	return c.JSON(sessionResponse{Token: sess.Token, User: sess.User})
}
