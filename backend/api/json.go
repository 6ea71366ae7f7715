package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// decode reads the JSON body into v, refusing unknown fields, trailing data and wrong
// types with a 400 that names the field. The body must also pass checkStrict.
func decode(c *fiber.Ctx, v any) error {
	return decodeBytes(c.Body(), v)
}

func decodeBytes(body []byte, v any) error {
	if err := checkStrict(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "the body must hold one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return badRequest(te.Field, "the field "+te.Field+" must be a "+jsonType(te.Type.Kind().String()))
	case errors.As(err, &se):
		return badRequest("", "the body is not valid JSON: "+se.Error())
	case errors.Is(err, io.EOF):
		return badRequest("", "the body is empty; a JSON object is expected")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return badRequest(f, "unknown field "+f)
	}
	return badRequest("", "the body is not valid JSON: "+err.Error())
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "number"
	case "map", "struct":
		return "object"
	case "slice":
		return "list"
	case "bool":
		return "boolean"
	}
	return kind
}
