package engine

import (
	"errors"
	"strings"
	"testing"
)

// frameAll feeds in to a framer step bytes at a time, the way reads of a
// stream arrive, and returns the framed messages, what is left unframed, the
// truncation count and the framing error.
func frameAll(in string, max, step int) (msgs []string, rest string, truncated uint64, err error) {
	f := framer{max: max}
	var pend []byte
	for i := 0; i < len(in); i += step {
		pend = append(pend, in[i:min(i+step, len(in))]...)
		c := &chunk{}
		used, ferr := f.feed(pend, c)
		start := 0
		for _, end := range c.ends {
			msgs = append(msgs, string(c.buf[start:end]))
			start = end
		}
		pend = append(pend[:0], pend[used:]...)
		if ferr != nil {
			return msgs, string(pend), f.truncated, ferr
		}
	}
	if !f.pending(pend) {
		pend = nil
	}
	return msgs, string(pend), f.truncated, nil
}

func TestFramerSplitsOctetCountedAndLFFramesAlike(t *testing.T) {
	f := func(in string, want []string, wantRest string) {
		t.Helper()
		for _, step := range []int{1, 3, 7, len(in) + 1} {
			got, rest, tr, err := frameAll(in, 64, step)
			if err != nil || tr != 0 {
				t.Fatalf("frame %q (step %d): err %v truncated %d", in, step, err, tr)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") || rest != wantRest {
				t.Fatalf("unexpected frames of %q (step %d); got %q rest %q; want %q rest %q", in, step, got, rest, want, wantRest)
			}
		}
	}
	f("a\nb\n", []string{"a", "b"}, "")
	f("a\r\nb\r\n", []string{"a", "b"}, "")
	f("\n\na\n\n", []string{"a"}, "")
	f("5 hello3 abc", []string{"hello", "abc"}, "")
	f("5 hello\n3 abc\n", []string{"hello", "abc"}, "")                         // LF after a frame: an empty line
	f("6 hello\n<13>lf line\n2 ok", []string{"hello", "<13>lf line", "ok"}, "") // LF inside the count is dropped
	f("11 has\nnewline<1> x\n", []string{"has\nnewline", "<1> x"}, "")
	f("0 zero starts an LF message\n", []string{"0 zero starts an LF message"}, "")
	f("a\nunterminated", []string{"a"}, "unterminated")
	f("3 ab", nil, "3 ab")
	f("12", nil, "12")
	f("\xff\x00garbage\x01\n", []string{"\xff\x00garbage\x01"}, "")
	// Digits not followed by a space are no octet count: an LF message (a
	// device that starts its lines with a date or a sequence number).
	f("2026-12-02T10:00:00 host app: hi\n", []string{"2026-12-02T10:00:00 host app: hi"}, "")
	f("12x4 abcd\na\n1\n", []string{"12x4 abcd", "a", "1"}, "")
	f("000123: %SYS-5-CONFIG_I: x\n", []string{"000123: %SYS-5-CONFIG_I: x"}, "")
	f("123456789012345678901234 digits\n", []string{"123456789012345678901234 digits"}, "")
	f("12", nil, "12")
}

func TestFramerCutsLongLFMessagesAtMax(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, step := range []int{1, 10, 1000} {
		got, rest, tr, err := frameAll(long+"\nnext\n"+long+"\r\n", 64, step)
		if err != nil || rest != "" {
			t.Fatalf("step %d: err %v rest %q", step, err, rest)
		}
		want := []string{long[:64], "next", long[:64]}
		if strings.Join(got, "|") != strings.Join(want, "|") || tr != 2 {
			t.Fatalf("step %d: unexpected frames; got %q truncated %d; want %q truncated 2", step, got, tr, want)
		}
	}
	// Exactly max bytes, with or without CR: not cut.
	got, _, tr, _ := frameAll(long[:64]+"\r\n"+long[:64]+"\n", 64, 1)
	if len(got) != 2 || len(got[0]) != 64 || len(got[1]) != 64 || tr != 0 {
		t.Fatalf("max-long lines; got %q truncated %d; want two of 64 bytes, none cut", got, tr)
	}
}

func TestFramerRejectsOversizeOctetCounts(t *testing.T) {
	f := func(in string, wantMsgs int, wantErr string) {
		t.Helper()
		got, _, _, err := frameAll(in, 64, 1)
		var fe *frameError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("frame %q; got err %v; want a frame error with %q", in, err, wantErr)
		}
		if len(got) != wantMsgs {
			t.Fatalf("frame %q; got %q; want the %d frames before the error", in, got, wantMsgs)
		}
	}
	f("65 "+strings.Repeat("x", 65), 0, "octet count 65 above max_message_bytes 64")
	f("2 ok99999999999 x", 1, "above max_message_bytes")
	f("1234567890 x", 0, "octet count 1234567890 above max_message_bytes 64")
	f("a\n99999 x", 1, "octet count 99999 above")
}
