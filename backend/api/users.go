package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/auth"
)

func userParam(c *fiber.Ctx) (string, error) {
	u := c.Params("u")
	if !auth.ValidUsername(u) {
		return "", badRequest("username", "invalid username in the path")
	}
	return u, nil
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := s.d.Auth.Users()
	if err != nil {
		return err
	}
	return c.JSON(us)
}

type createUserRequest struct {
	Username           string `json:"username"`
	Password           string `json:"password"`
	Role               string `json:"role"`
	MustChangePassword *bool  `json:"must_change_password"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.d.Auth.CreateUser(req.Username, req.Password, req.Role, req.MustChangePassword)
	if err != nil {
		return err
	}
	s.audit(c, "user.create", u.Username)
	return c.Status(http.StatusCreated).JSON(u)
}

type updateUserRequest struct {
	Role     *string `json:"role"`
	Password *string `json:"password"`
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	var req updateUserRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	u, err := s.d.Auth.UpdateUser(auth.Caller(c).Username, name, req.Role, req.Password)
	if err != nil {
		return err
	}
	s.audit(c, "user.update", name)
	return c.JSON(u)
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	name, err := userParam(c)
	if err != nil {
		return err
	}
	if err := s.d.Auth.DeleteUser(name); err != nil {
		return err
	}
	s.audit(c, "user.delete", name)
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	es, err := s.d.Meta.AuditEntries(limit)
	if err != nil {
		return err
	}
	type entry struct {
		T        int64  `json:"t"`
		Username string `json:"username"`
		Action   string `json:"action"`
		Target   string `json:"target"`
	}
	out := make([]entry, 0, len(es))
	for _, e := range es {
		out = append(out, entry{e.At.UnixMilli(), e.Username, e.Action, e.Target})
	}
	return c.JSON(out)
}

// audit records a change made by the caller; a failure to record is logged, not returned.
func (s *Server) audit(c *fiber.Ctx, action, target string) {
	who := ""
	if p := auth.Caller(c); p != nil {
		who = p.Username
	}
	if err := s.d.Meta.Audit(s.d.Now(), who, action, target, ""); err != nil {
		s.d.Log.Warn("cannot record audit entry", "action", action, "err", err)
	}
}
