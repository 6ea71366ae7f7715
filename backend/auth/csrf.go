package auth

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// StateChanging reports whether method changes state (POST, PUT, PATCH, DELETE); every
// other method is treated as a read.
func StateChanging(method string) bool {
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return false
	}
	return true
}

// CheckBrowserRequest is the cross-site request forgery guard of a state-changing request
// that the browser may have sent on its own (authenticated by the cookie, or the login
// that sets it). It refuses with 403 a request whose Origin is not this server's Host or
// whose Sec-Fetch-Site is "cross-site" or "same-site" (a sibling subdomain is another
// application: SameSite cookies do not stop it), and with 415 a body that is not
// Content-Type application/json (what an HTML form or a "simple" cross-origin fetch
// cannot send without a CORS preflight, which this server never grants).
func CheckBrowserRequest(c *fiber.Ctx) error {
	switch site := strings.ToLower(strings.TrimSpace(c.Get("Sec-Fetch-Site"))); site {
	case "", "same-origin", "none":
	default:
		return errForbidden("cross-site request refused: Sec-Fetch-Site is " + site + "; the API only takes state-changing requests from its own pages")
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !SameHost(origin, string(c.Request().Host())) {
		return errForbidden("cross-origin request refused: the Origin " + origin + " is not this server")
	}
	hasBody := len(c.Body()) > 0 || c.Request().Header.ContentLength() != 0 // -1 chunked, -2 until close
	if hasBody && !IsJSON(c.Get(fiber.HeaderContentType)) {
		return &Error{Status: http.StatusUnsupportedMediaType,
			Msg: "the request body must be JSON sent with Content-Type: application/json"}
	}
	return nil
}

// SameHost reports whether the browser Origin origin names host (host[:port] as in the
// Host header, compared case-insensitively). "null" and unparsable origins are not.
func SameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && host != "" && strings.EqualFold(u.Host, host)
}

// IsJSON reports whether the Content-Type value ct is application/json (parameters such
// as charset allowed).
func IsJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == fiber.MIMEApplicationJSON
}
