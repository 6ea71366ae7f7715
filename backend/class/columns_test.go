package class

import (
	"slices"
	"testing"
)

// The fixed column names are the day files' and the API's contract: spelled out
// here once more on purpose, so renaming a constant fails a test.
func TestFixedColumnsKeepTheirStoredNames(t *testing.T) {
	want := []string{"id", "log_sender_ip", "client", "time", "time_zone", "original_log", "received_at"}
	if !slices.Equal(Reserved, want) {
		t.Fatalf("Reserved = %q; want %q", Reserved, want)
	}
}

func TestShownColumnsPutHeadThenValuesThenOriginal(t *testing.T) {
	values := []string{"pppoe", "destination_ip", "destination_port"}
	got := ShownColumns(values, true)
	want := []string{"log_sender_ip", "client", "time", "time_zone", "pppoe", "destination_ip", "destination_port", "original_log"}
	if !slices.Equal(got, want) {
		t.Fatalf("ShownColumns(keepOriginal) = %q; want %q", got, want)
	}
	got = ShownColumns(values, false)
	if !slices.Equal(got, want[:len(want)-1]) {
		t.Fatalf("ShownColumns(!keepOriginal) = %q; want %q", got, want[:len(want)-1])
	}
	if !slices.Equal(values, []string{"pppoe", "destination_ip", "destination_port"}) {
		t.Fatalf("ShownColumns changed its argument: %q", values)
	}
}

func TestHeadColumnsIsANewSliceEachCall(t *testing.T) {
	a := HeadColumns()
	a[0] = "changed"
	_ = append(a[:1], "x", "y")
	if b := HeadColumns(); !slices.Equal(b, []string{"log_sender_ip", "client", "time", "time_zone"}) {
		t.Fatalf("HeadColumns after a caller changed its slice = %q", b)
	}
}
