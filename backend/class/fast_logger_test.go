package class

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
)

const fastLoggerConfig = `{
  "LISTEN_PORT": 514,
  "ENGINE_CLASSES": {
    "zyxel": {"user": "user=(\\w+)", "src_ip": "src=(\\S+)", "action": "action:(\\w+)"},
    "mikrotik": {
      "pppoe": "in:<pppoe-(?P<name>[A-Za-z\\d]+)>",
      "router_identity": "\\d{1,2}:\\d{1,2}:\\d{1,2}\\s+(\\w+)",
      "destination_ip": "->(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}:\\d+)"
    },
    "lookbehind": {"ok": "a", "user": "(?<=user=)\\w+"},
    "Upper": {"a": "x"},
    "backref": {"word": "(\\w+) \\1"},
    "badkey": {"Src": "x"},
    "notstring": {"a": 5},
    "brokenre": {"a": "x(y"}
  },
  "OTHER": {"x": [1, 2]}
}`

func TestParseFastLoggerImportsInTextOrderAndSkipsPythonOnly(t *testing.T) {
	classes, skipped, err := ParseFastLogger([]byte(fastLoggerConfig))
	if err != nil {
		t.Fatalf("ParseFastLogger: %v", err)
	}
	var names []string
	for _, c := range classes {
		names = append(names, c.Name)
	}
	if want := []string{"zyxel", "mikrotik"}; !slices.Equal(names, want) {
		t.Fatalf("unexpected classes; got %q; want %q", names, want)
	}
	if got, want := classes[0].KeyNames(), []string{"user", "src_ip", "action"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected key order; got %q; want %q", got, want)
	}
	if got, want := classes[1].KeyNames(), []string{"pppoe", "router_identity", "destination_ip"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected key order; got %q; want %q", got, want)
	}
	dst := make([]sql.NullString, len(classes[1].Columns()))
	classes[1].NewExtractor().Extract(mikrotikLine, dst)
	if got, want := values(classes[1].Columns(), dst), "pppoe=RRWLkNYEZ router_identity=T8Y45jGZY destination_ip=176.13.130.56 destination_port=13878"; got != want {
		t.Fatalf("unexpected values; got %q; want %q", got, want)
	}

	want := []Skipped{
		{"lookbehind", `key "user": Python-only syntax at position 0: lookbehind (?<=...) is not supported by RE2`},
		{"Upper", `invalid class name "Upper": only lowercase letters, digits and _ are allowed`},
		{"backref", `key "word": Python-only syntax at position 6: backreference \1 is not supported by RE2`},
		{"badkey", `key "Src": key name must start with a lowercase letter`},
		{"notstring", `key "a": pattern is not a string`},
		{"brokenre", `key "a": pattern error at position 1: missing closing )`},
	}
	if !slices.Equal(skipped, want) {
		t.Fatalf("unexpected skipped;\ngot  %q\nwant %q", skipped, want)
	}
}

func TestParseFastLoggerRejectsBadDocuments(t *testing.T) {
	f := func(doc, wantErr string) {
		t.Helper()
		_, _, err := ParseFastLogger([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("ParseFastLogger(%q) = %v; want error containing %q", doc, err, wantErr)
		}
	}
	f(`not json`, "cannot read fast logger config")
	f(`{"X": {}}`, `no "ENGINE_CLASSES"`)
	f(`{"ENGINE_CLASSES": [1]}`, "not an object")
	f(`{"ENGINE_CLASSES": {"a": {"k": "x"}, "a": {"k": "y"}}}`, `duplicate key "a"`)
}

func TestPythonOnlySyntax(t *testing.T) {
	f := func(pattern, want string) {
		t.Helper()
		got := pythonOnly(pattern)
		if want == "" && got != "" || !strings.Contains(got, want) {
			t.Fatalf("pythonOnly(%q) = %q; want %q", pattern, got, want)
		}
	}
	f(`user=(\w+)`, "")
	f(`(?P<user>\w+)`, "")
	f(`\(?=`, "")
	f(`[(?=]`, "")
	f(`\\1`, "")
	f(`\101`, "")
	f(`[\d{,3}]`, "")
	f(`a{2,3}`, "")
	f(`a(?=b)`, "position 1: lookahead (?=...)")
	f(`a(?!b)`, "negative lookahead (?!...)")
	f(`(?<=a)b`, "lookbehind (?<=...)")
	f(`(?<!a)b`, "negative lookbehind (?<!...)")
	f(`(?P<x>a)(?P=x)`, "named backreference (?P=name)")
	f(`(a)\1`, `backreference \1`)
	f(`(a)\12`, `backreference \12`)
	f(`a++`, "possessive quantifier ++")
	f(`a{2}+`, "possessive quantifier }+")
	f(`(?>ab)`, "atomic group")
	f(`(a)?(?(1)b|c)`, "conditional group")
	f(`a(?#note)`, "comment group")
	f(`a{,3}`, "repetition {,3} (RE2 reads it as literal text)")
}

func TestOrderedKeys(t *testing.T) {
	f := func(doc string, want []string, wantErr string) {
		t.Helper()
		got, err := OrderedKeys([]byte(doc))
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("OrderedKeys(%q) = %q, %v; want error containing %q", doc, got, err, wantErr)
			}
			return
		}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("OrderedKeys(%q) = %q, %v; want %q", doc, got, err, want)
		}
	}
	f(`{"z": "1", "a": {"q": [1, {"x": 2}]}, "m": null}`, []string{"z", "a", "m"}, "")
	f(` {} `, []string{}, "")
	f(`{"a": 1, "a": 2}`, nil, `duplicate key "a"`)
	f(`[1]`, nil, "not an object")
	f(`{"a": 1} {}`, nil, "data after the object")
	f(`{"a": }`, nil, "cannot read JSON object")
	f(``, nil, "cannot read JSON object")
}
