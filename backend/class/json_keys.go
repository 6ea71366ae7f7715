package class

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// OrderedKeys returns the keys of the JSON object rawObject in text order. It
// fails when rawObject is not one JSON object or repeats a key.
func OrderedKeys(rawObject []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(rawObject))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("cannot read JSON object: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("cannot read JSON object: not an object")
	}
	var keys []string
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("cannot read JSON object: %w", err)
		}
		k, ok := tok.(string)
		if !ok {
			return nil, errors.New("cannot read JSON object: key is not a string")
		}
		if seen[k] {
			return nil, fmt.Errorf("cannot read JSON object: duplicate key %q", k)
		}
		seen[k] = true
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("cannot read JSON object: value of key %q: %w", k, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("cannot read JSON object: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("cannot read JSON object: data after the object")
	}
	if keys == nil {
		keys = []string{}
	}
	return keys, nil
}
