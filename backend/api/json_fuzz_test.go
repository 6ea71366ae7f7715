package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/logsieve/logsieve/backend/class"
)

// strictTarget has the shapes the API decodes: scalars, a pointer, a nested struct, a map,
// a list of structs and raw JSON.
type strictTarget struct {
	Role  string            `json:"role"`
	Admin *bool             `json:"must_change_password"`
	Sub   struct{ N int }   `json:"sub"`
	Tags  map[string]string `json:"tags"`
	List  []struct {
		Name string `json:"name"`
	} `json:"list"`
	Raw json.RawMessage `json:"raw"`
}

// FuzzDecodeStrict: decodeBytes never panics and fails only with a 400 *Error; what it
// accepts is valid JSON and UTF-8 without a lone surrogate escape, and its keys (top level
// and in sub) are field names exactly, each given once (checked with class.OrderedKeys, an
// independent reader).
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"role":"viewer"}`,
		`{"role":"viewer","Role":"admin"}`,
		`{"role":"viewer","role":"admin"}`,
		`{"sub":{"N":1,"n":2}}`,
		`{"tags":{"a":"1","a":"2"}}`,
		`{"tags":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","a":""}}`,
		`{"list":[{"name":"a","NAME":"b"}]}`,
		`{"raw":{"x":{"y":1,"y":2}}}`,
		"{\"role\":\"\xff\"}",
		`{"role":"\ud800"}`,
		`{"role":"\ud83d\ude00"}`,
		`{"\u0072ole":"x"}`,
		`{"rol\u212a":"x"}`,
		`[]`, `null`, `{}`, `{"role":1e400}`, `{"role":"a"}{"role":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v strictTarget
		err := decodeBytes(body, &v)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("unexpected error for %q; got %T %v; want a 400 *Error", body, err, err)
			}
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) || loneSurrogateAt(body) >= 0 {
			t.Fatalf("accepted a body that is not strict JSON: %q", body)
		}
		fields := map[string]bool{"role": true, "must_change_password": true, "sub": true, "tags": true, "list": true, "raw": true}
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil || top == nil {
			return // null
		}
		keys, err := class.OrderedKeys(body)
		if err != nil {
			t.Fatalf("accepted %q, whose keys class.OrderedKeys refuses: %v", body, err)
		}
		for _, k := range keys {
			if !fields[k] {
				t.Fatalf("accepted %q with key %q, which is no field name", body, k)
			}
		}
		if sub, ok := top["sub"]; ok && string(sub) != "null" {
			ks, err := class.OrderedKeys(sub)
			if err != nil {
				t.Fatalf("accepted %q, whose sub keys class.OrderedKeys refuses: %v", body, err)
			}
			for _, k := range ks {
				if k != "N" {
					t.Fatalf("accepted %q with sub key %q; want only N", body, k)
				}
			}
		}
	})
}
