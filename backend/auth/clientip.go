package auth

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ClientIP returns the address of the client: the TCP peer, or, when the peer is a trusted
// proxy, the rightmost X-Forwarded-For entry that is not itself a trusted proxy.
func (s *Service) ClientIP(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	xff := c.Get(fiber.HeaderXForwardedFor)
	if xff == "" {
		return peer.String()
	}
	parts := strings.Split(xff, ",")
	ip := peer
	for i := len(parts) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(parts[i]))
		if err != nil {
			break
		}
		ip = a.Unmap()
		if !s.trusted(ip) {
			break
		}
	}
	return ip.String()
}

// Secure reports whether the client reached us over HTTPS (directly or, from a trusted
// proxy, as told by X-Forwarded-Proto).
func (s *Service) Secure(c *fiber.Ctx) bool {
	if c.Context().IsTLS() {
		return true
	}
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	return s.trusted(peer.Unmap()) && strings.EqualFold(c.Get(fiber.HeaderXForwardedProto), "https")
}

func (s *Service) trusted(a netip.Addr) bool {
	for _, p := range *s.proxies.Load() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
