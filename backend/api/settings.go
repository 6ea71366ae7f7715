package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/meta"
)

func (s *Server) getSettings(c *fiber.Ctx) error {
	st, err := s.d.Meta.Settings()
	if err != nil {
		return err
	}
	return c.JSON(st.Public())
}

// putSettings: PUT /settings — the keys given replace the stored ones (others are kept).
func (s *Server) putSettings(c *fiber.Ctx) error {
	if err := checkStrict(c.Body(), &meta.Settings{}); err != nil {
		return err
	}
	st, err := s.d.Meta.PatchSettings(c.Body())
	if err != nil {
		return err
	}
	s.ApplySettings(st)
	s.audit(c, "settings.update", "")
	return c.JSON(st.Public())
}

// ApplySettings puts st into effect as PUT /settings does, without storing it: the API's
// own settings here, the others through Deps.OnSettings. serve calls it on SIGHUP with
// the stored settings.
func (s *Server) ApplySettings(st meta.Settings) {
	s.applySettings(st)
	if s.d.OnSettings != nil {
		s.d.OnSettings(st)
	}
}

// applySettings hands the settings the API owns to the auth service.
func (s *Server) applySettings(st meta.Settings) {
	if ttl, err := st.TTL(); err == nil {
		s.d.Auth.SetTTL(ttl)
	}
	s.d.Auth.SetTrustedProxies(st.Proxies())
}
