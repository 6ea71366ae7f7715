package class

import (
	"database/sql"
	"fmt"
	"sync"
	"testing"
)

// One Extractor shared by many goroutines gives each the same values as a
// lone caller; run with -race, this also fails if Extract ever gains shared
// scratch state.
func TestOneExtractorIsSafeForConcurrentUse(t *testing.T) {
	patterns := map[string]string{"proto": `proto (\w+)`, "length": `len (\d+)`, "src_ip": `, (\S+)->`}
	for k, v := range mikrotik {
		patterns[k] = v
	}
	c := mustCompile(t, "c", patterns, append(append([]string{}, mikrotikKeys...), "proto", "length", "src_ip"))
	x := c.NewExtractor()
	lines := make([]string, 64)
	want := make([]string, len(lines))
	for i := range lines {
		lines[i] = fmt.Sprintf("<869> 01:02:%02d R%d prerouting: in:<pppoe-U%d> proto UDP, 10.0.0.%d:%d->192.0.2.%d:%d, len %d",
			i%60, i, i, i, 1000+i, i, 2000+i, 100+i)
		if i%5 == 0 {
			lines[i] = "no key matches this line"
		}
		dst := make([]sql.NullString, len(c.Columns()))
		x.Extract(lines[i], dst)
		want[i] = values(c.Columns(), dst)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]sql.NullString, len(c.Columns()))
			for n := 0; n < 200; n++ {
				i := (n*7 + g) % len(lines)
				x.Extract(lines[i], dst)
				if got := values(c.Columns(), dst); got != want[i] {
					errs <- fmt.Sprintf("goroutine %d, line %d: got %s; want %s", g, i, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
