package class

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/logsieve/logsieve/backend/syslog"
)

// mikrotik is the seeded example class (README).
var mikrotik = map[string]string{
	"pppoe":           `in:<pppoe-([A-Za-z\d]+)>`,
	"router_identity": `\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`,
	"destination_ip":  `->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`,
}

var mikrotikKeys = []string{"pppoe", "router_identity", "destination_ip"}

const mikrotikLine = `<869> 01:02:05 T8Y45jGZY prerouting: in:<pppoe-RRWLkNYEZ> out:(unknown 0), connection-state:established,snat proto TCP (ACK,FIN,PSH), 73.181.232.17:34921->176.13.130.56:13878, NAT (73.181.232.17:34921->95.110.59.28:11384)->176.13.130.56:13878, len 946`

// values renders dst as column=value pairs, NULL for invalid values.
func values(cols []string, dst []sql.NullString) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c + "=")
		if dst[i].Valid {
			b.WriteString(dst[i].String)
		} else {
			b.WriteString("NULL")
		}
	}
	return b.String()
}

func mustCompile(t *testing.T, name string, patterns map[string]string, keys []string) *Class {
	t.Helper()
	c, err := Compile(name, patterns, keys)
	if err != nil {
		t.Fatalf("cannot compile class %q: %v", name, err)
	}
	return c
}

func TestExtractMikrotikExampleOfSpec(t *testing.T) {
	c := mustCompile(t, "mikrotik", mikrotik, mikrotikKeys)
	if got, want := c.Columns(), []string{"pppoe", "router_identity", "destination_ip", "destination_port"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected columns; got %q; want %q", got, want)
	}
	dst := make([]sql.NullString, len(c.Columns()))
	if !c.NewExtractor().Extract(mikrotikLine, dst) {
		t.Fatalf("Extract reported no match")
	}
	want := "pppoe=RRWLkNYEZ router_identity=T8Y45jGZY destination_ip=176.13.130.56 destination_port=13878"
	if got := values(c.Columns(), dst); got != want {
		t.Fatalf("unexpected values; got %q; want %q", got, want)
	}
}

func TestExtractValues(t *testing.T) {
	f := func(pattern, line, want string, wantMatched bool) {
		t.Helper()
		c := mustCompile(t, "t", map[string]string{"v": pattern}, []string{"v"})
		dst := []sql.NullString{{String: "stale", Valid: true}}
		matched := c.NewExtractor().Extract(line, dst)
		got := values(c.Columns(), dst)
		if got != want || matched != wantMatched {
			t.Fatalf("pattern %q on %q: got %q matched=%v; want %q matched=%v", pattern, line, got, matched, want, wantMatched)
		}
	}
	// No group: the whole match.
	f(`len \d+`, "proto TCP, len 946", "v=len 946", true)
	f(`[a-z]+@[a-z]+\.com`, "from bob@example.com to x", "v=bob@example.com", true)
	// First group.
	f(`len (\d+)`, "proto TCP, len 946", "v=946", true)
	f(`(\w+)=(\w+)`, "a b=c", "v=b", true)
	// Optional group that does not take part: the next one.
	f(`(?:user=(\w+)|uid=(\d+))`, "uid=42", "v=42", true)
	f(`(x)?y(\d)`, "y7", "v=7", true)
	// A group that takes part with empty text is a value.
	f(`a(\d*)b`, "ab", "v=", true)
	// No group took part: NULL.
	f(`a(b)?`, "ac", "v=NULL", false)
	// No match: NULL, stale value cleared.
	f(`len (\d+)`, "proto TCP", "v=NULL", false)
	f(`len (\d+)`, "", "v=NULL", false)
	// Leftmost match wins.
	f(`proto (\w+)`, "proto  proto UDP proto TCP", "v=UDP", true)
	f(`\d{1,2}:(\d+)`, "123:45", "v=45", true)
	f(`x[a-z]+!`, "xab xcd!", "v=xcd!", true)
	// Regexp semantics the fast path must not take over.
	f(`(?i)LEN (\d+)`, "len 7", "v=7", true)
	f(`\bid=(\d+)`, "pid=1 id=2", "v=2", true)
	f(`a\d+1`, "a221", "v=a221", true)
	f(`(\d+?)`, "123", "v=1", true)
	f(`é(\w+)`, "café au lait, école élan", "v=cole", true)
}

func TestExtractIPKeySplitsIPAndPort(t *testing.T) {
	c := mustCompile(t, "t", map[string]string{"dst_ip": `to (\S+)`, "n": `n=(\d+)`}, []string{"dst_ip", "n"})
	if got, want := c.Columns(), []string{"dst_ip", "dst_port", "n"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected columns; got %q; want %q", got, want)
	}
	x := c.NewExtractor()
	f := func(line, want string) {
		t.Helper()
		dst := make([]sql.NullString, 3)
		x.Extract(line, dst)
		if got := values(c.Columns(), dst); got != want {
			t.Fatalf("line %q: got %q; want %q", line, got, want)
		}
	}
	f("to 10.1.2.3:443", "dst_ip=10.1.2.3 dst_port=443 n=NULL")
	f("to 10.1.2.3:0 n=5", "dst_ip=10.1.2.3 dst_port=0 n=5")
	f("to 10.1.2.3:65535", "dst_ip=10.1.2.3 dst_port=65535 n=NULL")
	f("to [2001:db8::1]:8080", "dst_ip=2001:db8::1 dst_port=8080 n=NULL")
	f("to [::ffff:10.0.0.1]:53", "dst_ip=::ffff:10.0.0.1 dst_port=53 n=NULL")
	// Not IP:Port: kept whole, NULL port.
	f("to host.example:80", "dst_ip=host.example:80 dst_port=NULL n=NULL")
	f("to 10.1.2.3", "dst_ip=10.1.2.3 dst_port=NULL n=NULL")
	f("to 2001:db8::1:80", "dst_ip=2001:db8::1:80 dst_port=NULL n=NULL")
	f("to [10.1.2.3]:80", "dst_ip=[10.1.2.3]:80 dst_port=NULL n=NULL")
	f("to 300.1.2.3:80", "dst_ip=300.1.2.3:80 dst_port=NULL n=NULL")
	// Bad port: kept whole, NULL port.
	f("to 10.1.2.3:65536", "dst_ip=10.1.2.3:65536 dst_port=NULL n=NULL")
	f("to 10.1.2.3:123456", "dst_ip=10.1.2.3:123456 dst_port=NULL n=NULL")
	f("to 10.1.2.3:", "dst_ip=10.1.2.3: dst_port=NULL n=NULL")
	f("to 10.1.2.3:8a", "dst_ip=10.1.2.3:8a dst_port=NULL n=NULL")
	f("to [2001:db8::1]:99999", "dst_ip=[2001:db8::1]:99999 dst_port=NULL n=NULL")
	// No match: both NULL.
	f("n=1", "dst_ip=NULL dst_port=NULL n=1")
}

func TestExtractPanicsOnWrongDstLength(t *testing.T) {
	c := mustCompile(t, "mikrotik", mikrotik, mikrotikKeys)
	defer func() {
		if recover() == nil {
			t.Fatalf("Extract with a short dst did not panic")
		}
	}()
	c.NewExtractor().Extract(mikrotikLine, make([]sql.NullString, 3))
}

func TestCompileKeepsKeyOrder(t *testing.T) {
	keys := []string{"router_identity", "destination_ip", "pppoe"}
	c := mustCompile(t, "mikrotik", mikrotik, keys)
	if got := c.KeyNames(); !slices.Equal(got, keys) {
		t.Fatalf("unexpected key names; got %q; want %q", got, keys)
	}
	if got, want := c.Columns(), []string{"router_identity", "destination_ip", "destination_port", "pppoe"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected columns; got %q; want %q", got, want)
	}
	if got := c.Patterns(); len(got) != 3 || got["pppoe"] != mikrotik["pppoe"] {
		t.Fatalf("unexpected patterns; got %q; want %q", got, mikrotik)
	}
	if !c.Keys[1].IP || c.Keys[0].IP || !slices.Equal(c.Keys[1].Columns, []string{"destination_ip", "destination_port"}) {
		t.Fatalf("unexpected keys %+v", c.Keys)
	}
	// Changing what Columns returned does not change the class.
	c.Columns()[0] = "x"
	if c.Columns()[0] != "router_identity" {
		t.Fatalf("Columns shares its slice with the class")
	}
}

func TestCompileWithoutKeysSortsThem(t *testing.T) {
	c := mustCompile(t, "mikrotik", mikrotik, nil)
	if got, want := c.KeyNames(), []string{"destination_ip", "pppoe", "router_identity"}; !slices.Equal(got, want) {
		t.Fatalf("unexpected key names; got %q; want %q", got, want)
	}
}

func TestCompileAcceptsEmptyClass(t *testing.T) {
	c := mustCompile(t, "raw", map[string]string{}, []string{})
	if len(c.Columns()) != 0 || c.NewExtractor().Extract("x", nil) {
		t.Fatalf("empty class has columns %q or matched", c.Columns())
	}
}

func TestValidateName(t *testing.T) {
	f := func(name string, ok bool) {
		t.Helper()
		err := ValidateName(name)
		if (err == nil) != ok {
			t.Fatalf("ValidateName(%q) = %v; want ok=%v", name, err, ok)
		}
		var ne *NameError
		if err != nil && (!errors.As(err, &ne) || ne.Name != name) {
			t.Fatalf("ValidateName(%q) = %#v; want *NameError naming it", name, err)
		}
	}
	f("mikrotik", true)
	f("fw_2", true)
	f("9", true)
	f("_", true)
	f("", false)
	f("Mikrotik", false)
	f("fw-2", false)
	f("fw 2", false)
	f("fw.2", false)
	f("é", false)
	if got, want := ValidateName("A").Error(), `invalid class name "A": only lowercase letters, digits and _ are allowed`; got != want {
		t.Fatalf("unexpected error text; got %q; want %q", got, want)
	}
}

func TestCompileRejectsInvalidClasses(t *testing.T) {
	f := func(name string, patterns map[string]string, keys []string, wantKey string, wantPos int, wantText string) {
		t.Helper()
		_, err := Compile(name, patterns, keys)
		if err == nil {
			t.Fatalf("Compile(%q, %q, %q) succeeded; want error %q", name, patterns, keys, wantText)
		}
		if err.Error() != wantText {
			t.Fatalf("unexpected error; got %q; want %q", err, wantText)
		}
		if wantKey == "(name)" {
			var ne *NameError
			if !errors.As(err, &ne) {
				t.Fatalf("error %#v is not a *NameError", err)
			}
			return
		}
		var ke *KeyError
		if !errors.As(err, &ke) {
			t.Fatalf("error %#v is not a *KeyError", err)
		}
		if ke.Key != wantKey || ke.Pos != wantPos {
			t.Fatalf("unexpected key error; got key %q pos %d; want key %q pos %d", ke.Key, ke.Pos, wantKey, wantPos)
		}
	}
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	f("Bad", p("a", "x"), []string{"a"}, "(name)", 0, `invalid class name "Bad": only lowercase letters, digits and _ are allowed`)
	f("", p("a", "x"), []string{"a"}, "(name)", 0, `invalid class name "": name is empty`)
	// Key names.
	f("c", p("Bad", "x"), []string{"Bad"}, "Bad", -1, `key "Bad": key name must start with a lowercase letter`)
	f("c", p("1a", "x"), []string{"1a"}, "1a", -1, `key "1a": key name must start with a lowercase letter`)
	f("c", p("a-b", "x"), []string{"a-b"}, "a-b", -1, `key "a-b": key name may only hold lowercase letters, digits and _`)
	f("c", p("", "x"), []string{""}, "", -1, `key "": key name is empty`)
	long := strings.Repeat("k", 64)
	f("c", p(long, "x"), []string{long}, long, -1, `key "`+long+`": key name is longer than 63 characters`)
	for _, r := range Reserved {
		f("c", p(r, "x"), []string{r}, r, -1, `key "`+r+`": key name is a reserved column`)
	}
	for _, h := range syslog.Columns() {
		f("c", p("a", "x", h, "x"), []string{"a", h}, h, -1, `key "`+h+`": key name is a syslog header column`)
	}
	// Key order must match the patterns exactly.
	f("c", p("a", "x"), []string{"a", "a"}, "a", -1, `key "a": duplicate key`)
	f("c", p("a", "x"), []string{"a", "b"}, "b", -1, `key "b": key has no pattern`)
	f("c", p("a", "x", "b", "y"), []string{"a"}, "b", -1, `key "b": key is missing from the key order`)
	// Patterns: key, position and reason.
	f("c", p("a", "x", "b", "abc(def"), []string{"a", "b"}, "b", 3, `key "b": pattern error at position 3: missing closing )`)
	f("c", p("a", "ab)c"), []string{"a"}, "a", 2, `key "a": pattern error at position 2: unexpected )`)
	f("c", p("a", `x[a-z`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: missing closing ]: `[a-z`")
	f("c", p("a", `[\q]\q`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: invalid escape sequence: `\\q`")
	f("c", p("a", `ab\`), []string{"a"}, "a", 2, `key "a": pattern error at position 2: trailing backslash at end of expression`)
	f("c", p("a", `x**`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: invalid nested repetition operator: `**`")
	f("c", p("a", `x(?<=a)b`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: invalid named capture: `(?<=a)b`")
	f("c", p("a", `x(?!a)`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: invalid or unsupported Perl syntax: `(?!`")
	f("c", p("a", `ok (x{2,1})`), []string{"a"}, "a", 5, "key \"a\": pattern error at position 5: invalid repeat count: `{2,1}`")
	f("c", p("a", `[z-a]`), []string{"a"}, "a", 1, "key \"a\": pattern error at position 1: invalid character class range: `z-a`")
	f("c", p("a", `\(x(`), []string{"a"}, "a", 3, `key "a": pattern error at position 3: missing closing )`)
	f("c", p("a", ""), []string{"a"}, "a", -1, `key "a": pattern is empty`)
	// _ip port column collisions.
	f("c", p("dst_ip", "x", "dst_port", "y"), []string{"dst_ip", "dst_port"}, "dst_ip", -1, `key "dst_ip": its port column "dst_port" collides with key "dst_port"`)
	f("c", p("dst_port", "y", "dst_ip", "x"), []string{"dst_port", "dst_ip"}, "dst_ip", -1, `key "dst_ip": its port column "dst_port" collides with key "dst_port"`)
}

// A class stored before the header columns were reserved keeps loading;
// HeaderKeys names its keys that an engine parsing headers cannot take.
func TestLoadAcceptsStoredHeaderKeys(t *testing.T) {
	pats := map[string]string{"host": `from (\S+)`, "user": `user (\w+)`, "app_ip": `->(\S+)`}
	keys := []string{"user", "host", "app_ip"}
	if _, err := Compile("legacy", pats, keys); err == nil {
		t.Fatal("Compile accepted key host")
	}
	c, err := Load("legacy", pats, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.HeaderKeys(), ","); got != "host" {
		t.Fatalf("unexpected header keys %q; want host", got)
	}
	if got := strings.Join(c.Columns(), ","); got != "user,host,app_ip,app_port" {
		t.Fatalf("unexpected columns %q", got)
	}
	if _, err := Load("legacy", map[string]string{"id": "x"}, nil); err == nil {
		t.Fatal("Load accepted the reserved key id")
	}
	ok, err := Compile("fresh", map[string]string{"user": "x"}, nil)
	if err != nil || ok.HeaderKeys() != nil {
		t.Fatalf("HeaderKeys of a class without them: %v %v", ok.HeaderKeys(), err)
	}
}
