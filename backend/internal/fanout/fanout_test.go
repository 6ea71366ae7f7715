package fanout

import (
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
)

// drain returns what ch holds now, and whether ch is closed.
func drain[T any](ch <-chan T) (got []T, closed bool) {
	for {
		select {
		case v, ok := <-ch:
			if !ok {
				return got, true
			}
			got = append(got, v)
		default:
			return got, false
		}
	}
}

func TestPublishReachesEverySubscriberInOrder(t *testing.T) {
	for _, full := range []Full{Skip, Drop} {
		h := New[int](full)
		a, cancelA := h.Subscribe(4)
		b, cancelB := h.Subscribe(4)
		for i := 1; i <= 3; i++ {
			h.Publish(i)
		}
		for _, ch := range []<-chan int{a, b} {
			if got, closed := drain(ch); !reflect.DeepEqual(got, []int{1, 2, 3}) || closed {
				t.Errorf("full=%d: unexpected values; got %v closed=%v; want [1 2 3] open", full, got, closed)
			}
		}
		cancelA()
		cancelB()
		if c := h.Counts(); c != (Counts{Published: 3, Delivered: 6}) {
			t.Errorf("full=%d: unexpected counts; got %+v", full, c)
		}
	}
}

func TestFullSubscriber(t *testing.T) {
	// f publishes n values to a hub with one subscriber of buffer 2 that never reads and
	// one that reads everything, then checks what the slow one got.
	f := func(full Full, n int, wantSlow []int, wantClosed bool, want Counts) {
		t.Helper()
		h := New[int](full)
		drops := 0
		slow, cancelSlow := h.SubscribeFunc(2, func() { drops++ })
		defer cancelSlow()
		fast, cancelFast := h.Subscribe(n)
		defer cancelFast()
		done := make(chan struct{})
		go func() { // Publish returns although nobody reads slow
			for i := 1; i <= n; i++ {
				h.Publish(i)
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("full=%d: Publish blocked on a full subscriber", full)
		}
		got, closed := drain(slow)
		if !reflect.DeepEqual(got, wantSlow) || closed != wantClosed {
			t.Errorf("full=%d n=%d: unexpected slow subscriber; got %v closed=%v; want %v closed=%v", full, n, got, closed, wantSlow, wantClosed)
		}
		if got, _ := drain(fast); len(got) != n {
			t.Errorf("full=%d n=%d: the reading subscriber got %d values; want %d", full, n, len(got), n)
		}
		if wantDrops := int(want.Dropped); drops != wantDrops {
			t.Errorf("full=%d n=%d: onDrop ran %d times; want %d", full, n, drops, wantDrops)
		}
		if c := h.Counts(); c != want {
			t.Errorf("full=%d n=%d: unexpected counts; got %+v; want %+v", full, n, c, want)
		}
	}
	f(Skip, 2, []int{1, 2}, false, Counts{Published: 2, Delivered: 4})
	f(Skip, 5, []int{1, 2}, false, Counts{Published: 5, Delivered: 7, Skipped: 3})
	f(Drop, 2, []int{1, 2}, false, Counts{Published: 2, Delivered: 4})
	f(Drop, 5, []int{1, 2}, true, Counts{Published: 5, Delivered: 7, Dropped: 1})
}

func TestSkippedSubscriberGetsLaterValuesOnceItReads(t *testing.T) {
	h := New[int](Skip)
	ch, cancel := h.Subscribe(1)
	defer cancel()
	h.Publish(1)
	h.Publish(2) // skipped
	<-ch
	h.Publish(3)
	if got, closed := drain(ch); !reflect.DeepEqual(got, []int{3}) || closed {
		t.Errorf("unexpected values; got %v closed=%v; want [3] open", got, closed)
	}
	if h.Len() != 1 {
		t.Errorf("a skipping hub let its subscriber go; Len %d, want 1", h.Len())
	}
}

func TestZeroHubSkips(t *testing.T) {
	var h Hub[string]
	ch, cancel := h.Subscribe(0)
	defer cancel()
	h.Publish("x")
	if got, closed := drain(ch); len(got) != 0 || closed {
		t.Errorf("unexpected values; got %v closed=%v; want none, open", got, closed)
	}
	if c := h.Counts(); c.Skipped != 1 {
		t.Errorf("unexpected counts; got %+v; want 1 skipped", c)
	}
}

func TestSendToReachesOneSubscriber(t *testing.T) {
	h := New[int](Drop)
	dropped := 0
	a, cancelA := h.SubscribeFunc(1, func() { dropped++ })
	b, cancelB := h.Subscribe(1)
	defer cancelB()
	if !h.SendTo(a, 7) {
		t.Fatal("SendTo to a subscriber with room reported false")
	}
	if got, _ := drain(b); len(got) != 0 {
		t.Errorf("SendTo reached another subscriber; got %v", got)
	}
	h.Publish(8) // a is full: dropped
	if got, closed := drain(a); !reflect.DeepEqual(got, []int{7}) || !closed || dropped != 1 {
		t.Errorf("unexpected dropped subscriber; got %v closed=%v onDrop=%d; want [7] closed, onDrop once", got, closed, dropped)
	}
	if h.SendTo(a, 9) {
		t.Error("SendTo to a dropped subscriber reported true")
	}
	cancelA() // after the drop: nothing happens
	if _, closed := drain(b); closed {
		t.Error("cancel of a dropped subscriber closed another one")
	}

	c, cancelC := h.SubscribeFunc(1, func() { dropped++ })
	defer cancelC()
	h.SendTo(c, 1)
	if h.SendTo(c, 2) || dropped != 2 {
		t.Errorf("SendTo to a full subscriber of a Drop hub: onDrop ran %d times in all; want 2", dropped)
	}
	if _, closed := drain(c); !closed {
		t.Error("SendTo to a full subscriber of a Drop hub left it open")
	}
}

func TestCancelClosesOnceAndCloseAllKeepsTheHubUsable(t *testing.T) {
	h := New[int](Skip)
	a, cancelA := h.Subscribe(1)
	cancelA()
	cancelA()
	if _, closed := drain(a); !closed {
		t.Error("cancel did not close the channel")
	}
	b, cancelB := h.Subscribe(1)
	c, cancelC := h.Subscribe(1)
	h.CloseAll()
	cancelB() // after CloseAll: nothing happens
	for _, ch := range []<-chan int{b, c} {
		if _, closed := drain(ch); !closed {
			t.Error("CloseAll left a channel open")
		}
	}
	cancelC()
	if h.Len() != 0 {
		t.Errorf("subscribers left after CloseAll; Len %d", h.Len())
	}
	d, cancelD := h.Subscribe(1)
	defer cancelD()
	h.Publish(5)
	if got, _ := drain(d); !reflect.DeepEqual(got, []int{5}) {
		t.Errorf("a subscriber after CloseAll got %v; want [5]", got)
	}
}

// TestConcurrentSubscribersLeaveNoGoroutine: publishers, readers and cancels race
// (run with -race); once every subscription is cancelled every reader has returned
// and the goroutine count is back to where it was.
func TestConcurrentSubscribersLeaveNoGoroutine(t *testing.T) {
	for _, full := range []Full{Skip, Drop} {
		base := runtime.NumGoroutine()
		h := New[int](full)
		var readers, publishers sync.WaitGroup
		cancels := make(chan func(), 64)
		for range 32 {
			ch, cancel := h.Subscribe(4)
			cancels <- cancel
			readers.Add(1)
			go func() {
				defer readers.Done()
				for range ch {
				}
			}()
		}
		for p := range 4 {
			publishers.Add(1)
			go func() {
				defer publishers.Done()
				for i := range 2000 {
					h.Publish(p*10000 + i)
					if i%500 == 0 {
						ch, cancel := h.Subscribe(1)
						h.SendTo(ch, i)
						cancel()
					}
				}
			}()
		}
		close(cancels)
		for cancel := range cancels {
			cancel()
		}
		publishers.Wait()
		readers.Wait()
		if h.Len() != 0 {
			t.Errorf("full=%d: subscribers left after every cancel; Len %d", full, h.Len())
		}
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		if n := runtime.NumGoroutine(); n > base {
			t.Errorf("full=%d: goroutines leaked; got %d; want <= %d", full, n, base)
		}
	}
}
