package api

import (
	"errors"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// Error is an API failure with its status and the field at fault.
type Error struct {
	Status int
	Field  string
	Msg    string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

func badRequest(field, msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Field: field, Msg: msg}
}

// classify maps a typed error to its status and body.
func classify(err error) (int, ErrorBody) {
	var (
		ae *Error
		au *auth.Error
		fe *factory.Error
		le *alert.Error
		ke *class.KeyError
		ne *class.NameError
		se *store.FieldError
		me *meta.FieldError
		mu *meta.UnavailableError
		mc *meta.ConflictError
		fb *fiber.Error
	)
	switch {
	case errors.As(err, &ae):
		return ae.Status, ErrorBody{ae.Msg, ae.Field}
	case errors.As(err, &au):
		return au.Status, ErrorBody{au.Msg, au.Field}
	case errors.As(err, &fe):
		st := http.StatusBadRequest
		switch fe.Kind {
		case factory.NotFound:
			st = http.StatusNotFound
		case factory.Conflict:
			st = http.StatusConflict
		}
		return st, ErrorBody{fe.Msg, fe.Field}
	case errors.As(err, &le):
		st := http.StatusBadRequest
		switch le.Kind {
		case alert.NotFound:
			st = http.StatusNotFound
		case alert.Conflict:
			st = http.StatusConflict
		}
		return st, ErrorBody{le.Msg, le.Field}
	case errors.As(err, &ke):
		return http.StatusBadRequest, ErrorBody{ke.Error(), "patterns." + ke.Key}
	case errors.As(err, &ne):
		return http.StatusBadRequest, ErrorBody{ne.Error(), "name"}
	case errors.As(err, &se):
		return http.StatusBadRequest, ErrorBody{se.Error(), se.Field}
	case errors.As(err, &me):
		return http.StatusBadRequest, ErrorBody{me.Error(), me.Field}
	case errors.As(err, &mu):
		return http.StatusServiceUnavailable, ErrorBody{mu.Error(), ""}
	case errors.As(err, &mc):
		return http.StatusConflict, ErrorBody{mc.Error(), ""}
	case errors.Is(err, meta.ErrLastAdmin):
		return http.StatusConflict, ErrorBody{"the last admin cannot be removed or demoted", "role"}
	case errors.Is(err, meta.ErrExists):
		return http.StatusConflict, ErrorBody{"a user with this name already exists", "username"}
	case meta.IsNotFound(err):
		return http.StatusNotFound, ErrorBody{"not found: " + err.Error(), ""}
	case errors.Is(err, fs.ErrNotExist):
		// The text of a file-system error holds the path under the data dir: never shown.
		return http.StatusNotFound, ErrorBody{"not found", ""}
	case errors.As(err, &fb):
		msg := fb.Message
		switch fb.Code {
		case http.StatusNotFound:
			msg = "not found"
		case http.StatusRequestEntityTooLarge:
			msg = "the request body is too large"
		case http.StatusMethodNotAllowed:
			msg = "method not allowed"
		}
		return fb.Code, ErrorBody{msg, ""}
	}
	return http.StatusInternalServerError, ErrorBody{"internal error; see the server log", ""}
}

// handleError is the one error handler of the app: typed errors to {error, field}.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, body := classify(err)
	if status >= 500 {
		s.d.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if strings.HasPrefix(c.Path(), "/api") {
		c.Set(fiber.HeaderCacheControl, noStore) // errors raised before the /api middleware ran
	}
	var au *auth.Error
	if errors.As(err, &au) && au.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(au.RetryAfter.Seconds()))))
	}
	return c.Status(status).JSON(body)
}
