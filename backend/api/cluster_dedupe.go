package api

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/logsieve/logsieve/backend/store"
)

// A batch is stored by one store node (claims, batch tables); a day file
// copied by hand between store nodes would still show its rows twice. So
// each node's page of /logs names the batch of each row (row_batches, asked
// by the merging node), and the merge drops a row whose batch it already
// took from another node at the same time: a row and its copy have the same
// date and time, so the copy comes right after it in the merged order (the
// node sorting first keeps the rows). The batches taken at the page's last
// time travel in the cursor (seenKey), so a copy on the next page is dropped
// too.

// seenKey is the cluster cursor's entry holding the batches taken at the
// last time of the page (never a node name: those have no "~").
const seenKey = "~seen"

// maxSeen bounds the batches carried in the cursor.
const maxSeen = 256

// seenBatches are the batches taken at one time (date and time) of the
// merged listing, with the node each was taken from.
type seenBatches struct {
	When    string            `json:"w"`
	Batches map[string]string `json:"b"`
}

// take records that a row of batch from node at when was taken; false when
// another node's row of that batch at that time was taken already (the row
// is a copy: drop it).
func (s *seenBatches) take(when, batch, node string) bool {
	if batch == "" {
		return true
	}
	if s.When != when {
		s.When, s.Batches = when, map[string]string{}
	}
	if n, ok := s.Batches[batch]; ok {
		return n == node
	}
	if len(s.Batches) < maxSeen {
		s.Batches[batch] = node
	}
	return true
}

func (s *seenBatches) encode() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func decodeSeen(v string) *seenBatches {
	s := &seenBatches{Batches: map[string]string{}}
	if v != "" && json.Unmarshal([]byte(v), s) != nil || s.Batches == nil {
		s = &seenBatches{Batches: map[string]string{}}
	}
	return s
}

// pageBatches returns the batch of each row of page (its id, and its date
// from the date column of a range or date).
func pageBatches(ctx context.Context, ds *store.Days, page *store.Page, date string, isRange bool) ([]string, error) {
	out := make([]string, len(page.Rows))
	di := slices.Index(page.Columns, store.ColDate)
	byDate := map[string][]int{}
	for i, row := range page.Rows {
		d := date
		if isRange && di >= 0 && row[di] != nil {
			d = *row[di]
		}
		byDate[d] = append(byDate[d], i)
	}
	for d, rows := range byDate {
		ids := make([]int64, len(rows))
		for k, i := range rows {
			if r := page.Rows[i]; len(r) > 0 && r[0] != nil {
				ids[k], _ = strconv.ParseInt(*r[0], 10, 64)
			}
		}
		got, err := ds.RowBatches(ctx, d, ids)
		if err != nil {
			return nil, err
		}
		for k, i := range rows {
			out[i] = got[k]
		}
	}
	return out, nil
}
