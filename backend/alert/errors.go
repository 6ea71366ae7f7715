// Package alert evaluates alert rules on the engines' parsed rows and on their
// health, and delivers the alerts they fire by webhook, Telegram and email. It
// never slows ingest: rows reach it through a bounded queue that skips batches
// when full, and deliveries retry in their own goroutines.
package alert

import "fmt"

// Kind classifies an Error for the API (400, 404, 409).
type Kind int

// Kinds of Error.
const (
	Invalid Kind = iota + 1
	NotFound
	Conflict
)

// Error is a typed failure naming the field at fault, when there is one.
type Error struct {
	Kind  Kind
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func invalid(field, format string, a ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) *Error {
	return &Error{Kind: NotFound, Field: "name", Msg: fmt.Sprintf(format, a...)}
}

func conflict(field, format string, a ...any) *Error {
	return &Error{Kind: Conflict, Field: field, Msg: fmt.Sprintf(format, a...)}
}
