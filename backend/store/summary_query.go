package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/logsieve/logsieve/backend/class"
)

// maxSummaryTokens bounds the tokens a query looks up in the summaries (the
// longest ones: the rarest, most likely): each costs one part read.
const maxSummaryTokens = 8

// summaryTokens returns the distinct token hashes every row matching q must
// hold: those of each exact filter's text on a column the file has, and of
// q with match=word (id, not a text column, has none); and of a substring
// search (a filter's or q's) the tokens inside its text: a run of word
// characters with a non-word byte of the text right before and after it
// is a whole token of any value that holds the text, while the runs at
// the text's edges may be parts of longer tokens ("needle4" is in
// "zzneedle42"; "user=alice," holds the token "alice" wherever it is
// found). None means the summaries cannot narrow q.
func summaryTokens(q Query, has map[string]bool) []uint64 {
	type tok struct {
		h uint64
		n int
	}
	var toks []tok
	add := func(s string, inside bool) {
		eachTokenSpan(s, func(i, j int) {
			if !inside || i > 0 && j < len(s) {
				toks = append(toks, tok{hashToken(s, i, j), j - i})
			}
		})
	}
	for _, f := range q.Filters {
		// id is no text column: the summaries do not hold it.
		if has[f.Column] && f.Column != class.ColID {
			add(f.Text, !f.Exact)
		}
	}
	if q.Q != "" {
		add(q.Q, q.Match != MatchWord)
	}
	slices.SortFunc(toks, func(a, b tok) int { return b.n - a.n })
	var out []uint64
	for _, t := range toks {
		if len(out) < maxSummaryTokens && !slices.Contains(out, t.h) {
			out = append(out, t.h)
		}
	}
	return out
}

// candidateSpans returns the ascending id spans within lo..hi that may hold
// a row matching q's filters and q (summaryTokens): all of lo..hi when they
// have no tokens, else the blocks whose summary may hold every
// token, and every id no summary covers (the incomplete last block, a file
// or blocks written without summaries).
func (v *Day) candidateSpans(ctx context.Context, q Query, lo, hi int64) ([]span, error) {
	all := []span{{lo, hi}}
	hashes := summaryTokens(q, v.has)
	if len(hashes) == 0 || lo > hi {
		return all, nil
	}
	var blockRows, parts, hashesN, version int64
	err := v.conn.QueryRowContext(ctx, "SELECT block_rows, parts, hashes, version FROM "+bloomFormatTable+" WHERE id = 1").Scan(&blockRows, &parts, &hashesN, &version)
	if errors.Is(err, sql.ErrNoRows) || err != nil && strings.Contains(err.Error(), "no such table") {
		return all, nil
	}
	if err != nil {
		return nil, err
	}
	if parts != bloomParts || hashesN != bloomHashes || version != bloomVersion || blockRows <= 0 {
		return all, nil
	}
	first, last := lo/blockRows, hi/blockRows
	pruned := make([]bool, last-first+1)
	byPart := map[uint64][]uint64{}
	for _, h := range hashes {
		byPart[h>>bloomPartShift] = append(byPart[h>>bloomPartShift], h)
	}
	for part, hs := range byPart {
		rows, err := v.conn.QueryContext(ctx, "SELECT block, bits FROM "+bloomTable+" WHERE part = ? AND block BETWEEN ? AND ?", int64(part), first, last)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var block int64
			var bits sql.RawBytes
			if err := rows.Scan(&block, &bits); err != nil {
				rows.Close()
				return nil, err
			}
			for _, h := range hs {
				if !bloomHas(bits, h) {
					pruned[block-first] = true
					break
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []span
	for i, p := range pruned {
		if p {
			continue
		}
		b := first + int64(i)
		s := span{max(lo, b*blockRows), min(hi, (b+1)*blockRows-1)}
		if n := len(out); n > 0 && out[n-1].hi+1 == s.lo {
			out[n-1].hi = s.hi
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// intersectSpans returns the ids in both a and b (each ascending and
// disjoint) as ascending spans.
func intersectSpans(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
		if lo <= hi {
			out = append(out, span{lo, hi})
		}
		if a[i].hi < b[j].hi {
			i++
		} else {
			j++
		}
	}
	return out
}
