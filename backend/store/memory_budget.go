package store

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
)

// sqliteSoftHeapLimit bounds the memory SQLite takes in the whole process
// (PRAGMA soft_heap_limit): past it, a connection's page cache recycles its
// least recently used pages instead of growing. One busy engine stays far
// below it (its writer's 4 MiB cache, its statements); 50 busy engines
// share it instead of taking 50 x 4 MiB of page cache plus statements.
const sqliteSoftHeapLimit = 96 << 20

var softHeapLimitOnce sync.Once

// setSoftHeapLimit sets sqliteSoftHeapLimit on the first day file the
// process opens (the limit is SQLite's, not the connection's).
func setSoftHeapLimit(ctx context.Context, conn *sql.Conn) {
	softHeapLimitOnce.Do(func() {
		_, _ = conn.ExecContext(ctx, "PRAGMA soft_heap_limit="+strconv.Itoa(sqliteSoftHeapLimit))
	})
}
