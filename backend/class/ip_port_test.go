package class

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestValidIPv4AgreesWithNetip checks the _ip keys' IPv4 rule against
// netip.ParseAddr (which it replaces, so that the IP and port columns stay
// what they were) on chosen edge cases and on random strings of digits,
// dots and other bytes.
func TestValidIPv4AgreesWithNetip(t *testing.T) {
	f := func(s string) {
		t.Helper()
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is4()
		if got := validIPv4(s); got != want {
			t.Fatalf("unexpected validIPv4(%q); got %v; want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.04",
		"01.2.3.4", "1.2.3", "1.2.3.4.5", "1..3.4", ".1.2.3", "1.2.3.", "1.2.3.4%eth0", "a.b.c.d",
		"1.2.3.4 ", "::1", "::ffff:1.2.3.4", "1.2.3.1000", "10.0.0.00", "9.9.9.9", "1.2.3.-4", "１.2.3.4"} {
		f(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := "0123456789.........%:a \xff"
	for range 200000 {
		b := make([]byte, rng.IntN(18))
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[i] = "0125.9"[rng.IntN(6)]
			}
		}
		f(string(b))
	}
}
