package engine

import (
	"fmt"
	"sync"
	"testing"
)

// TestIdleEnginesHoldNoReceiveBuffers: many UDP engines share the recvmmsg
// buffer sets (4 MiB each): once they are idle none holds one, and the
// process made about one per P, not one per engine.
func TestIdleEnginesHoldNoReceiveBuffers(t *testing.T) {
	const engines = 30
	cls := mikrotik(t)
	es := make([]*Engine, engines)
	addrs := make([]string, engines)
	for i := range es {
		es[i], addrs[i] = startEngine(t, Config{}, cls)
	}
	var wg sync.WaitGroup
	for i := range es {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				send(t, addrs[i], fmt.Sprintf("%s #%d", mikrotikLog, j))
			}
		}(i)
	}
	wg.Wait()
	for _, e := range es {
		waitStored(t, e, 20)
	}
	// Every chunk is stored, so every receiver has handed its set back.
	live, free := recvSets.counts()
	if held := live - free; held != 0 {
		t.Fatalf("idle receivers hold %d receive sets; want 0", held)
	}
	if live > engines/3 {
		t.Fatalf("%d receive sets of %d MiB made for %d engines; want at most %d (about one per P)",
			live, readBatch*maxDatagram>>20, engines, engines/3)
	}
}
