package engine

import (
	"net"
	"os"
	"testing"
	"time"
)

// TestHistoryKeepsKernelDropsApartFromQueueDrops overflows a real socket (a tiny
// receive buffer) while the writer is blocked (the queue fills): both loss kinds
// happen. The history must carry each kind in its own field with the meaning it
// has in Stats, so that the points add up to the live counters: dropped is the
// queue-full loss only, kernel_drops the socket overflow.
func TestHistoryKeepsKernelDropsApartFromQueueDrops(t *testing.T) {
	if _, err := os.Stat("/proc/net/udp"); err != nil {
		t.Skip("no /proc/net/udp: kernel drops cannot be counted here")
	}
	dir := t.TempDir()
	e, addr := startEngine(t, Config{Dir: dir, KeepOriginal: true, QueueLogs: 64, Workers: 1, BatchRows: 64, RcvBuf: 4096}, seqClass(t))
	if _, ok := newKernelDrops(e.conn).read(); !ok {
		t.Skip("own socket not in /proc/net/udp: kernel drops cannot be counted here")
	}
	waitFor(t, 10*time.Second, "a first row to be stored", func() bool {
		send(t, addr, numbered(0, 1, 100)...)
		return e.Stats().Stored > 0
	})

	// Hold the day file's write lock: the writer blocks and the queue fills
	// (queue drops); the sender outruns the 4 KiB socket buffer (kernel drops).
	unlock := holdWriteLock(t, dayFiles(t, dir)[0])
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(numbered(1, 2, 200)[0])
	waitFor(t, 30*time.Second, "both queue drops and kernel drops", func() bool {
		for i := 0; i < 20000; i++ {
			_, _ = conn.Write(line) // the kernel may refuse some: that is the point
		}
		st := e.Stats()
		return st.Dropped > 0 && st.KernelDrops > 0
	})
	conn.Close()
	unlock()
	waitQuiet(t, e)
	// The next second's point reads the socket's drop counter after the last
	// datagram: from then on the history holds every loss of the test.
	quietAt := time.Now().UnixMilli()
	waitFor(t, 10*time.Second, "a history point after the engine went quiet", func() bool {
		h := e.History(1)
		return len(h) == 1 && h[0].T > quietAt
	})

	st := e.Stats()
	var sum Point
	kernelSeconds := 0
	for _, p := range e.History(3600) {
		sum.In += p.In
		sum.Stored += p.Stored
		sum.Dropped += p.Dropped
		sum.KernelDrops += p.KernelDrops
		sum.Rejected += p.Rejected
		sum.Refused += p.Refused
		sum.WriteErrors += p.WriteErrors
		if p.KernelDrops > 0 {
			kernelSeconds++
		}
	}
	if kernelSeconds == 0 {
		t.Fatalf("no history point has kernel_drops > 0; stats %+v", st)
	}
	want := Point{In: st.Received, Stored: st.Stored, Dropped: st.Dropped, KernelDrops: st.KernelDrops,
		Rejected: st.Rejected, Refused: st.Refused, WriteErrors: st.WriteErrors}
	if sum != want {
		t.Fatalf("history summed over the engine's life; got %+v; want the live counters %+v", sum, want)
	}
}
