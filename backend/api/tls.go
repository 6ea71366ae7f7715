package api

import "github.com/gofiber/fiber/v2"

// getTLS: GET /tls — the server certificate of tls engines (source, subject,
// SHA-256 fingerprint, validity), never its key.
func (s *Server) getTLS(c *fiber.Ctx) error {
	info, err := s.d.Factory.TLSInfo()
	if err != nil {
		return err
	}
	return c.JSON(info)
}
