package api

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sort"

	"github.com/logsieve/logsieve/backend/store"
)

// Batch copies across store nodes (store/batch_copies.go): a day file copied
// by hand holds batches another node wrote. /days, /histogram and
// export.csv count each batch once: every node names its copies (batch,
// writer, date), the writer of each copied batch says whether it still holds
// it (its batch ids of that date, asked only for dates with copies), and the
// batch is counted at its writer when it does, else at the first node by
// name holding a copy. The other holders' copies are dropped. /logs drops
// them its own way (cluster_dedupe.go): by page, the node sorting first
// keeps the rows; the counts are the same.

// copyRef is a batch copy a node holds.
type copyRef struct {
	date, id, writer string
}

// copyKey names a batch of a date.
type copyKey struct{ date, id string }

// batchHolder is what dropCopies asks of a node: its batch ids of a date.
type batchHolder func(ctx context.Context, node, date string) (map[string]bool, error)

// dropCopies returns, by node, the copies not to count. copies are the
// copies of every node that answered (answered lists them all, copies or
// not); holds asks a writer that answered for its batches of a date.
func (s *Server) dropCopies(ctx context.Context, answered []string, copies map[string][]copyRef, holds batchHolder) map[string]map[copyKey]bool {
	drop := map[string]map[copyKey]bool{}
	holders := map[copyKey][]string{}
	writers := map[copyKey]string{}
	for node, refs := range copies {
		for _, r := range refs {
			k := copyKey{r.date, r.id}
			holders[k] = append(holders[k], node)
			writers[k] = r.writer
		}
	}
	if len(holders) == 0 {
		return drop
	}
	// The writers' batches, for each date they have copies elsewhere.
	type wd struct{ writer, date string }
	asked := map[wd]map[string]bool{}
	for k, w := range writers {
		if slices.Contains(answered, w) {
			asked[wd{w, k.date}] = nil
		}
	}
	for _, q := range slices.SortedFunc(maps.Keys(asked), func(a, b wd) int {
		if a.writer != b.writer {
			return cmp.Compare(a.writer, b.writer)
		}
		return cmp.Compare(a.date, b.date)
	}) {
		ids, err := holds(ctx, q.writer, q.date)
		if err != nil {
			// Counted at a copy instead: shown twice at worst, never lost.
			s.d.Log.Warn("fan-out: cannot read a store node's batches; its batches copied elsewhere counted there too", "node", q.writer, "date", q.date, "err", err)
		}
		asked[q] = ids
	}
	for k, hs := range holders {
		keep := ""
		if asked[wd{writers[k], k.date}][k.id] {
			keep = writers[k]
		} else {
			sort.Strings(hs)
			keep = hs[0]
		}
		for _, n := range hs {
			if n != keep {
				if drop[n] == nil {
					drop[n] = map[copyKey]bool{}
				}
				drop[n][k] = true
			}
		}
	}
	return drop
}

// localHolds returns this node's batch ids of date.
func localHolds(ctx context.Context, ds *store.Days, date string) (map[string]bool, error) {
	b, err := ds.Batches(ctx, date)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(b))
	for id := range b {
		out[id] = true
	}
	return out, nil
}

// holderOf is the batchHolder of a fan-out: this node's day files, or a
// peer's /days?batches=<date>.
func (s *Server) holderOf(ds *store.Days, path string, peers []peerTarget) batchHolder {
	self := s.d.Cluster.Stats().Node
	return func(ctx context.Context, node, date string) (map[string]bool, error) {
		if node == self {
			return localHolds(ctx, ds, date)
		}
		i := slices.IndexFunc(peers, func(p peerTarget) bool { return p.node == node })
		if i < 0 {
			return nil, nil
		}
		var got []dayInfo
		if err := s.askPeer(ctx, peers[i], path, map[string][]string{"batches": {date}}, &got); err != nil {
			return nil, err
		}
		out := map[string]bool{}
		for _, d := range got {
			for _, id := range d.Batches {
				out[id] = true
			}
		}
		return out, nil
	}
}
