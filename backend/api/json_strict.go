package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxStrictDepth is the deepest nesting checkStrict follows; deeper bodies are left to the
// decoder, which refuses them.
const maxStrictDepth = 10000

// checkStrict refuses, with a 400 naming the key, what encoding/json would otherwise take
// silently: bytes that are not UTF-8 (the decoder replaces them with U+FFFD), \u escapes of
// a lone UTF-16 surrogate (likewise replaced), a key given twice in one object (the last
// one wins) and a key that matches a field of v only case-insensitively (the decoder
// matches keys case-insensitively, so {"role":"viewer","Role":"admin"} would set the role
// to admin). Every object at every nesting level is checked, following v's type where it
// is known (struct fields, map and slice elements); where it is not (json.RawMessage, any)
// only duplicates are looked for. v may be nil. A body that is not valid JSON passes: the
// decoder reports it.
func checkStrict(body []byte, v any) error {
	w := strictWalker{b: body, bad: -1}
	if !utf8.Valid(body) {
		w.bad = invalidUTF8At(body)
		w.badMsg = "is not valid UTF-8"
	} else if i := loneSurrogateAt(body); i >= 0 {
		w.bad = i
		w.badMsg = "holds a \\u escape of a lone UTF-16 surrogate, which is not a character"
	}
	var t reflect.Type
	if v != nil {
		t = reflect.TypeOf(v)
	}
	err := w.walk(t, "", 0)
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if w.bad >= 0 {
		return badRequest("", fmt.Sprintf("the body %s (at byte %d)", w.badMsg, w.bad))
	}
	return nil
}

// errLeave stops the walk where the decoder will refuse the body anyway (malformed JSON, a
// type mismatch, too deep): its message is the one to show.
var errLeave = errors.New("left to the decoder")

// strictWalker scans a body (one pass, no allocation per value). bad is the offset of the
// first byte that is not UTF-8 or of the first lone-surrogate escape (-1: none): the
// string that holds it is refused with its key path.
type strictWalker struct {
	b      []byte
	i      int
	bad    int
	badMsg string
}

func (w *strictWalker) space() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// eat skips white space and consumes c when it comes next.
func (w *strictWalker) eat(c byte) bool {
	w.space()
	if w.i < len(w.b) && w.b[w.i] == c {
		w.i++
		return true
	}
	return false
}

// more consumes what follows a member or element: true after ',' (another
// follows), false after closing (the object or list ended), errLeave otherwise.
func (w *strictWalker) more(closing byte) (bool, error) {
	if w.eat(',') {
		return true, nil
	}
	if w.eat(closing) {
		return false, nil
	}
	return false, errLeave
}

// str reads the string at w.i (a '"'): its raw content, whether it holds escapes, and an
// *Error when it holds the bad byte (what names it in the message, field its key path).
func (w *strictWalker) str(what, field string) (raw []byte, esc bool, err error) {
	from := w.i
	w.i++
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case '"':
			raw = w.b[from+1 : w.i]
			w.i++
			if w.bad >= from && w.bad < w.i {
				return nil, false, badRequest(field, fmt.Sprintf("%s %s (at byte %d)", what, w.badMsg, w.bad))
			}
			return raw, esc, nil
		case '\\':
			esc = true
			w.i += 2
		default:
			w.i++
		}
	}
	return nil, false, errLeave
}

// key decodes a raw object key (escapes only when there are any).
func key(raw []byte, esc bool) (string, error) {
	if !esc {
		return string(raw), nil
	}
	var k string
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if json.Unmarshal(q, &k) != nil {
		return "", errLeave
	}
	return k, nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// loneSurrogateAt returns the offset of the first \uXXXX escape inside a JSON string that
// is a UTF-16 surrogate not paired as high+low, or -1. Malformed escapes are left to the
// decoder.
func loneSurrogateAt(b []byte) int {
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !in {
			in = c == '"'
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			if b[i+1] != 'u' {
				i++
				continue
			}
			r, ok := hex4(b[i+2:])
			if !ok {
				return -1
			}
			switch {
			case r >= 0xD800 && r < 0xDC00:
				if len(b) >= i+12 && b[i+6] == '\\' && b[i+7] == 'u' {
					if r2, ok := hex4(b[i+8:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
						i += 11
						continue
					}
				}
				return i
			case r >= 0xDC00 && r < 0xE000:
				return i
			}
			i += 5
		}
	}
	return -1
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walk reads one value, checking its objects against t (nil: unknown type). It returns an
// *Error for a strictness violation, errLeave when the decoder will refuse the body.
func (w *strictWalker) walk(t reflect.Type, path string, depth int) error {
	if depth > maxStrictDepth {
		return errLeave
	}
	w.space()
	if w.i >= len(w.b) {
		return errLeave
	}
	t = plainType(t)
	switch c := w.b[w.i]; c {
	case '"':
		what := "the value of " + path
		if path == "" {
			what = "the body"
		}
		_, _, err := w.str(what, path)
		return err
	case '{', '[':
		if t != nil && t.Kind() != reflect.Struct && t.Kind() != reflect.Map && t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return errLeave // an object or list for a scalar: a type error
		}
		w.i++
		if c == '{' {
			return w.object(t, path, depth)
		}
		return w.list(t, path, depth)
	}
	for w.i < len(w.b) { // number, true, false, null
		switch w.b[w.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return nil
		}
		w.i++
	}
	return nil
}

// object reads the members of an object whose '{' was read.
func (w *strictWalker) object(t reflect.Type, path string, depth int) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = jsonFields(t)
		case reflect.Map:
			elem = t.Elem()
		default:
			return errLeave
		}
	}
	if w.eat('}') {
		return nil
	}
	var seen keySet
	for {
		w.space()
		if w.i >= len(w.b) || w.b[w.i] != '"' {
			return errLeave
		}
		what := "a key of " + path
		if path == "" {
			what = "a key of the body"
		}
		raw, esc, err := w.str(what, path)
		if err != nil {
			return err
		}
		k, err := key(raw, esc)
		if err != nil {
			return err
		}
		p := k
		if path != "" {
			p = path + "." + k
		}
		if !seen.add(k) {
			return badRequest(p, "duplicate key "+p+": a key may appear only once in an object")
		}
		ft := elem
		if fields != nil {
			f, ok := fields[k]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, k) {
						return badRequest(p, "unknown field "+p+": keys are case-sensitive (the field is "+name+")")
					}
				}
				return badRequest(p, "unknown field "+p)
			}
			ft = f
		}
		if !w.eat(':') {
			return errLeave
		}
		if err := w.walk(ft, p, depth+1); err != nil {
			return err
		}
		if more, err := w.more('}'); !more {
			return err
		}
	}
}

// keySet holds the keys of one object: a list while small (no allocation for the usual
// few keys), a map beyond.
type keySet struct {
	few  [8]string
	n    int
	many map[string]bool
}

// add records k and reports whether it was new.
func (s *keySet) add(k string) bool {
	if s.many != nil {
		if s.many[k] {
			return false
		}
		s.many[k] = true
		return true
	}
	for _, x := range s.few[:s.n] {
		if x == k {
			return false
		}
	}
	if s.n < len(s.few) {
		s.few[s.n] = k
		s.n++
		return true
	}
	s.many = make(map[string]bool, 2*len(s.few))
	for _, x := range s.few {
		s.many[x] = true
	}
	s.many[k] = true
	return true
}

// list reads the elements of a list whose '[' was read.
func (w *strictWalker) list(t reflect.Type, path string, depth int) error {
	var elem reflect.Type
	if t != nil {
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return errLeave
		}
		elem = t.Elem()
	}
	if w.eat(']') {
		return nil
	}
	for {
		if err := w.walk(elem, path, depth+1); err != nil {
			return err
		}
		if more, err := w.more(']'); !more {
			return err
		}
	}
}

// plainType strips pointers; a type that decodes itself (json.RawMessage, time.Time) or an
// interface gives nil (unknown).
func plainType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON keys of struct t (as encoding/json names them: tag name, else
// field name; fields of untagged embedded structs promoted) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	for _, et := range embedded {
		for name, ft := range jsonFields(et) {
			if _, taken := m[name]; !taken {
				m[name] = ft
			}
		}
	}
	fieldCache.Store(t, m)
	return m
}
