package ring

import (
	"reflect"
	"sync"
	"testing"
)

func TestLastReturnsTheNewestOldestFirst(t *testing.T) {
	f := func(capacity, pushed, n int, want []int) {
		t.Helper()
		r := New[int](capacity)
		for i := 1; i <= pushed; i++ {
			r.Push(i)
		}
		if got := r.Last(n); !reflect.DeepEqual(got, want) {
			t.Errorf("cap %d, %d pushed, Last(%d): unexpected values; got %v; want %v", capacity, pushed, n, got, want)
		}
		if wantLen := min(pushed, max(capacity, 1)); r.Len() != wantLen {
			t.Errorf("cap %d, %d pushed: Len %d; want %d", capacity, pushed, r.Len(), wantLen)
		}
	}
	f(3, 0, 0, []int{})
	f(3, 0, 2, []int{})
	f(3, 2, 0, []int{1, 2})
	f(3, 2, 5, []int{1, 2})
	f(3, 2, 1, []int{2})
	f(3, 3, 3, []int{1, 2, 3})
	f(3, 4, 0, []int{2, 3, 4}) // the oldest is overwritten
	f(3, 7, 2, []int{6, 7})
	f(3, 9, -1, []int{7, 8, 9})
	f(1, 5, 0, []int{5})
	f(0, 2, 0, []int{2}) // capacity below 1 holds one
}

func TestRingIsSafeForConcurrentUse(t *testing.T) {
	r := New[int](100)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				r.Push(w*1000 + i)
				if got := r.Last(10); len(got) == 0 || len(got) > 10 {
					t.Errorf("Last(10) returned %d values", len(got))
					return
				}
			}
		}()
	}
	wg.Wait()
	if r.Len() != 100 || r.Cap() != 100 {
		t.Errorf("unexpected size; Len %d Cap %d; want 100 100", r.Len(), r.Cap())
	}
}
