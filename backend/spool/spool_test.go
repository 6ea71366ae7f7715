package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func open(t *testing.T, dir string, opt Options) *Spool {
	t.Helper()
	s, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, from, to int) []uint64 {
	t.Helper()
	var pos []uint64
	for i := from; i < to; i++ {
		p, err := s.Append([]byte(fmt.Sprintf("record %d %s", i, strings.Repeat("x", i%50))))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		pos = append(pos, p)
	}
	return pos
}

// drain reads every record now in s and returns their texts' numbers and positions.
func drain(t *testing.T, s *Spool) (nums []int, pos []uint64) {
	t.Helper()
	for {
		r, ok := s.Next()
		if !ok {
			return nums, pos
		}
		var n int
		if _, err := fmt.Sscanf(string(r.Data), "record %d", &n); err != nil {
			t.Fatalf("record %q: %v", r.Data, err)
		}
		nums = append(nums, n)
		pos = append(pos, r.Pos)
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRecordsComeBackOldestFirstAcrossSegmentsWithGrowingPositions(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentBytes: 1000})
	apos := appendN(t, s, 0, 100)
	if n := len(segFiles(t, dir)); n < 3 {
		t.Fatalf("segments; got %d; want several of 1000 bytes", n)
	}
	nums, pos := drain(t, s)
	if !slices.Equal(nums, seq(0, 100)) {
		t.Fatalf("unexpected records; got %v; want 0..99", nums)
	}
	if !slices.Equal(pos, apos) || !slices.IsSorted(pos) || len(slices.Compact(slices.Clone(pos))) != 100 {
		t.Fatalf("positions; got %v; want the appended ones %v, strictly growing", pos, apos)
	}
	if !s.Empty() || s.Unread() != 0 {
		t.Fatalf("after draining; got empty=%v unread=%d; want empty", s.Empty(), s.Unread())
	}
	// Interleaved appends and reads keep the order.
	appendN(t, s, 100, 110)
	nums, _ = drain(t, s)
	appendN(t, s, 110, 120)
	more, _ := drain(t, s)
	if got := append(nums, more...); !slices.Equal(got, seq(100, 120)) {
		t.Fatalf("interleaved; got %v; want 100..119", got)
	}
}

func TestCommitDeletesSegmentsAndAnEmptySpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentBytes: 1000})
	appendN(t, s, 0, 100)
	nums, pos := drain(t, s)
	if len(nums) != 100 {
		t.Fatalf("read %d records; want 100", len(nums))
	}
	before := len(segFiles(t, dir))
	s.Commit(pos[49])
	mid := len(segFiles(t, dir))
	if mid >= before || mid == 0 {
		t.Fatalf("segments after committing half; got %d of %d; want fewer, not none", mid, before)
	}
	s.Commit(pos[99])
	if f := segFiles(t, dir); len(f) != 1 {
		t.Fatalf("after committing everything; got files %v; want the write segment kept", f)
	}
	s.Tidy()
	if f := segFiles(t, dir); len(f) != 0 || s.Bytes() != 0 {
		t.Fatalf("after committing everything; got files %v, %d bytes; want none", f, s.Bytes())
	}
	// Positions keep growing after the reset.
	p := appendN(t, s, 100, 101)
	if p[0] <= pos[99] {
		t.Fatalf("position after reset; got %x; want > %x", p[0], pos[99])
	}
}

func TestReopenReplaysUncommittedRecordsAndAfterKeepsPositionsGrowing(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentBytes: 1000})
	appendN(t, s, 0, 60)
	_, pos := drain(t, s)
	s.Commit(pos[29])
	s.Close()

	s2 := open(t, dir, Options{SegmentBytes: 1000})
	nums, pos2 := drain(t, s2)
	// Whole segments are kept until all their records are committed: the
	// reopened spool returns the uncommitted records, maybe some committed
	// ones before them, at the positions they had.
	if len(nums) == 0 || nums[len(nums)-1] != 59 || nums[0] > 30 || !slices.Equal(nums, seq(nums[0], 60)) {
		t.Fatalf("after reopen; got %v; want a tail of 0..59 holding 30..59", nums)
	}
	if !slices.Equal(pos2, pos[nums[0]:]) {
		t.Fatalf("positions after reopen; got %v; want %v", pos2, pos[nums[0]:])
	}
	s2.Commit(pos2[len(pos2)-1])
	s2.Close()

	// The segments are gone, the directory stays: it keeps the next segment number.
	s4 := open(t, dir, Options{})
	if p := appendN(t, s4, 0, 1); p[0] <= pos[59] {
		t.Fatalf("position after the segments were deleted; got %x; want > %x", p[0], pos[59])
	}
	s4.Close()
	// The directory is gone: After keeps new positions above the committed ones.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	s3 := open(t, dir, Options{After: func() (uint64, error) { return pos[59], nil }})
	if p := appendN(t, s3, 0, 1); p[0] <= pos[59] {
		t.Fatalf("position after the directory was lost; got %x; want > %x", p[0], pos[59])
	}
}

func TestTornLastRecordIsSkippedAndCounted(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	appendN(t, s, 0, 10)
	s.Close()
	f := segFiles(t, dir)[0]
	fi, _ := os.Stat(f)
	if err := os.Truncate(f, fi.Size()-3); err != nil { // the kill came mid-write
		t.Fatal(err)
	}
	var reasons []string
	s2 := open(t, dir, Options{OnCorrupt: func(file string, off int64, reason string) { reasons = append(reasons, reason) }})
	nums, _ := drain(t, s2)
	if !slices.Equal(nums, seq(0, 9)) || s2.Corrupt() != 1 || len(reasons) != 1 {
		t.Fatalf("torn tail; got %v, corrupt %d, reports %q; want 0..8 and one torn record", nums, s2.Corrupt(), reasons)
	}
	// New records still go in and come out.
	appendN(t, s2, 10, 12)
	if nums, _ := drain(t, s2); !slices.Equal(nums, seq(10, 12)) {
		t.Fatalf("after the torn tail; got %v; want 10 11", nums)
	}
}

func TestCorruptRecordSkipsTheRestOfItsSegmentOnly(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{SegmentBytes: 1000})
	appendN(t, s, 0, 100)
	s.Close()
	files := segFiles(t, dir)
	slices.Sort(files)
	// Garble a byte in the middle of the first segment, and the header of the
	// second's first record.
	garble := func(f string, off int64) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b[off] ^= 0xff
		if err := os.WriteFile(f, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	fi, _ := os.Stat(files[0])
	garble(files[0], fi.Size()/2)
	garble(files[1], 2)
	s2 := open(t, dir, Options{SegmentBytes: 1000})
	nums, _ := drain(t, s2)
	if s2.Corrupt() != 2 {
		t.Fatalf("corrupt records; got %d; want 2", s2.Corrupt())
	}
	if len(nums) == 0 || nums[0] != 0 || nums[len(nums)-1] != 99 || len(nums) >= 90 || !slices.IsSorted(nums) {
		t.Fatalf("records around corruption; got %v; want the start of segment 1, then from segment 3 on to 99", nums)
	}
	if !s2.Empty() {
		t.Fatalf("unread after skipping; got %d bytes; want 0", s2.Unread())
	}
}

func TestMaxBytesRefusesAndWriteFaultLeavesTheSpoolReadable(t *testing.T) {
	dir := t.TempDir()
	var fail bool
	s := open(t, dir, Options{MaxBytes: 2000, WriteFault: func() error {
		if fail {
			return syscall.ENOSPC
		}
		return nil
	}})
	var n int
	for ; ; n++ {
		_, err := s.Append([]byte(fmt.Sprintf("record %d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", n)))
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.Bytes() > 2000 || n < 10 {
		t.Fatalf("bound; got %d bytes in %d records; want <= 2000", s.Bytes(), n)
	}
	nums, pos := drain(t, s)
	s.Commit(pos[len(pos)-1])
	s.Tidy()
	fail = true
	if _, err := s.Append([]byte("record 1000")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk; got %v; want ENOSPC", err)
	}
	fail = false
	appendN(t, s, 1001, 1003)
	more, _ := drain(t, s)
	if len(nums) != n || !slices.Equal(more, []int{1001, 1002}) {
		t.Fatalf("after the full disk; got %d then %v; want %d then 1001 1002", len(nums), more, n)
	}
}

func TestPartialWriteIsCutBack(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	appendN(t, s, 0, 3)
	// A write that stopped half way (as on ENOSPC) is cut back by Append:
	// simulate by appending garbage to the file and checking reads stop cleanly.
	f := segFiles(t, dir)[0]
	h, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Write([]byte{1, 2, 3})
	h.Close()
	s.Close()
	s2 := open(t, dir, Options{})
	if nums, _ := drain(t, s2); !slices.Equal(nums, seq(0, 3)) || s2.Corrupt() != 1 {
		t.Fatalf("got %v, corrupt %d; want 0 1 2 and one torn record", nums, s2.Corrupt())
	}
}

func TestDirectoryRemovedWhileRunningLosesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s := open(t, dir, Options{SegmentBytes: 1000})
	appendN(t, s, 0, 50)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 50, 100) // the open segment, then new ones in a recreated directory
	nums, pos := drain(t, s)
	if !slices.Equal(nums, seq(0, 100)) {
		t.Fatalf("after the directory was removed; got %v; want 0..99", nums)
	}
	s.Commit(pos[99])
	s.Tidy()
	if s.Bytes() != 0 {
		t.Fatalf("bytes after committing all; got %d; want 0", s.Bytes())
	}
}

// An operator's rm -r may remove the directory again between the spool
// creating it and creating a segment in it: the spool creates both again,
// and gives up with an error naming the directory only when that keeps on.
func TestDirectoryRemovedWhileASegmentIsCreatedIsRetried(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s := open(t, dir, Options{SegmentBytes: 1000})
	appendN(t, s, 0, 50)
	removals := 0
	beforeCreate = func() {
		if removals < createTries-1 {
			removals++
			if err := os.RemoveAll(dir); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { beforeCreate = nil })
	appendN(t, s, 50, 100)
	nums, _ := drain(t, s)
	if !slices.Equal(nums, seq(0, 100)) || removals != createTries-1 {
		t.Fatalf("after %d removals while segments were created; got %v; want 0..99", removals, nums)
	}
	beforeCreate = func() { _ = os.RemoveAll(dir) }
	var err error
	for i := 0; err == nil && i < 100; i++ {
		_, err = s.Append([]byte(fmt.Sprintf("record %d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i)))
	}
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("append while the directory is removed every time; got %v; want ENOENT naming %s", err, dir)
	}
}
