package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/store"
)

// engineParam returns the :name of an engine route after checking it against the engine
// name rule (so no path trick reaches the file system).
func engineParam(c *fiber.Ctx) (string, error) {
	n := c.Params("name")
	if !factory.ValidEngineName(n) {
		return "", badRequest("name", "invalid engine name in the path")
	}
	return n, nil
}

func classParam(c *fiber.Ctx) (string, error) {
	n := c.Params("name")
	if err := class.ValidateName(n); err != nil {
		return "", badRequest("name", "invalid class name in the path")
	}
	return n, nil
}

func dateParam(c *fiber.Ctx) (string, error) {
	d := c.Params("date")
	if err := store.ValidDate(d); err != nil {
		return "", badRequest("date", "the date must be YYYY-MM-DD")
	}
	return d, nil
}

// intQuery parses an integer query parameter in [lo, hi], def when absent.
func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest(name, name+" must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// boolQuery parses a boolean query parameter (true/false/1/0), false when absent.
func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	v := c.Query(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest(name, name+" must be true or false")
	}
	return b, nil
}
