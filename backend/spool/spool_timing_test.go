package spool

import "testing"

// BenchmarkAppendThenRead appends 4 KiB records (a recvmmsg batch of ~20
// syslog lines) and reads them back, committing as the writer would.
func BenchmarkAppendThenRead(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rec := make([]byte, 4096)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(rec); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			var last uint64
			for {
				r, ok := s.Next()
				if !ok {
					break
				}
				last = r.Pos
			}
			s.Commit(last)
		}
	}
}
