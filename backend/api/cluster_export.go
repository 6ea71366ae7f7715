package api

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/cluster"
	"github.com/logsieve/logsieve/backend/store"
)

// csvFanOut is what a cluster's export.csv needs from the request, read
// before the export runs (the merge runs after the handler returned).
type csvFanOut struct {
	self    string
	peers   []peerTarget
	path    string
	query   url.Values
	desc    bool
	missing []string // no address or past maxPeers; then also those that failed (set by mergeCSV before it writes)
	// The days exported, for the batch copies (cluster_copies.go): dates,
	// or the range start..end (YYYY-MM-DD, "" open) when dates is empty;
	// this node's day files.
	dates      []string
	start, end string
	days       *store.Days
}

// inScope reports whether date is among the days exported.
func (fo *csvFanOut) inScope(date string) bool {
	if len(fo.dates) > 0 {
		return slices.Contains(fo.dates, date)
	}
	return (fo.start == "" || date >= fo.start) && (fo.end == "" || date <= fo.end)
}

// prepareCSVFanOut reads the peers and the query a cluster's export sends
// them: the request's, with a default date or a resolved last made explicit.
func (s *Server) prepareCSVFanOut(c *fiber.Ctx, q store.Query, tr timeRange, dates []string) *csvFanOut {
	set := map[string]string{}
	if tr.set {
		set = map[string]string{"last": "", "start": tr.start, "end": tr.end}
	} else if c.Query("from_date") == "" && len(dates) == 1 {
		set["date"] = dates[0]
	}
	peers, missing := s.storePeers(c.UserContext())
	fo := &csvFanOut{self: s.d.Cluster.Stats().Node, peers: peers, path: c.Path(), query: peerQuery(c, set),
		desc: q.Desc, missing: missing, dates: dates}
	if tr.set {
		fo.start, fo.end = datePart(tr.start), datePart(tr.end)
	}
	return fo
}

func datePart(dt string) string {
	if len(dt) >= 10 {
		return dt[:10]
	}
	return dt
}

// copySpans returns, by node, the id spans (first..last, by first) of the
// batch copies each node's stream must leave out, by date.
func (s *Server) copySpans(ctx context.Context, fo *csvFanOut) map[string]map[string][]store.BatchCopy {
	daysPath := strings.TrimSuffix(fo.path, "export.csv") + "days"
	byNode := map[string]map[copyKey]store.BatchCopy{}
	copies := map[string][]copyRef{}
	add := func(node string, ds []dayInfo) {
		for _, d := range ds {
			if !fo.inScope(d.Date) {
				continue
			}
			for _, cp := range d.Copies {
				if byNode[node] == nil {
					byNode[node] = map[copyKey]store.BatchCopy{}
				}
				byNode[node][copyKey{d.Date, cp.ID}] = cp
				copies[node] = append(copies[node], copyRef{d.Date, cp.ID, cp.Node})
			}
		}
	}
	own, err := fo.days.List(ctx)
	if err != nil {
		s.d.Log.Warn("csv fan-out: cannot list this node's days; its batch copies not left out", "err", err)
	}
	var mine []dayInfo
	for _, d := range own {
		if fo.inScope(d.Date) {
			cps, err := fo.days.Copies(ctx, d.Date, fo.self)
			if err != nil {
				s.d.Log.Warn("csv fan-out: cannot read this node's batch copies; not left out", "date", d.Date, "err", err)
			}
			mine = append(mine, dayInfo{Date: d.Date, Copies: cps})
		}
	}
	add(fo.self, mine)
	answered := []string{fo.self}
	got := make([][]dayInfo, len(fo.peers))
	failed := s.fanOut(fo.peers, func(i int, p peerTarget) error {
		return s.askPeer(ctx, p, daysPath, url.Values{"copies": {"1"}}, &got[i])
	})
	var live []peerTarget
	for i, p := range fo.peers {
		if failed[p.node] == nil {
			add(p.node, got[i])
			answered = append(answered, p.node)
			live = append(live, p)
		}
	}
	drop := s.dropCopies(ctx, answered, copies, s.holderOf(fo.days, daysPath, live))
	out := map[string]map[string][]store.BatchCopy{}
	for node, ks := range drop {
		out[node] = map[string][]store.BatchCopy{}
		for k := range ks {
			out[node][k.date] = append(out[node][k.date], byNode[node][k])
		}
		for _, cs := range out[node] {
			slices.SortFunc(cs, func(a, b store.BatchCopy) int { return cmp.Compare(a.First, b.First) })
		}
	}
	return out
}

// dropped reports whether row id of date is in one of spans (by First).
func dropped(spans []store.BatchCopy, id int64) bool {
	i, _ := slices.BinarySearchFunc(spans, id, func(c store.BatchCopy, id int64) int { return cmp.Compare(c.First, id) })
	// spans[i-1] is the last span starting at or before id (or spans[i] starts at id).
	if i < len(spans) && spans[i].First == id {
		return true
	}
	return i > 0 && spans[i-1].Last >= id
}

// csvStream is one node's CSV in a merge.
type csvStream struct {
	node   string
	r      *csv.Reader
	close  func()
	header []string
	at     []int    // position in the merged header of each column; -1 for the id column
	row    []string // the next row; nil once done
	ti, di int      // time and date columns, -1 when absent
	// drop holds, by date, the batch copies whose rows this stream leaves
	// out (nil: none); the stream then has a last column id (row_ids=1).
	drop map[string][]store.BatchCopy
	idi  int
}

// skip reports whether the stream's row is a batch copy to leave out.
func (st *csvStream) skip(single string) bool {
	if st.drop == nil || st.idi < 0 || st.idi >= len(st.row) {
		return false
	}
	date := single
	if st.di >= 0 && st.di < len(st.row) {
		date = st.row[st.di]
	}
	id, err := strconv.ParseInt(st.row[st.idi], 10, 64)
	return err == nil && dropped(st.drop[date], id)
}

func (st *csvStream) next() error {
	row, err := st.r.Read()
	if err == io.EOF {
		st.row = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("the CSV of node %q: %w", st.node, err)
	}
	st.row = row
	return nil
}

func (st *csvStream) key() string {
	k := ""
	if st.di >= 0 && st.di < len(st.row) {
		k = st.row[st.di]
	}
	if st.ti >= 0 && st.ti < len(st.row) {
		k += " " + st.row[st.ti]
	}
	return k
}

// mergeCSV writes the rows of this node's export (local) and of every peer's
// to w, merged newest first (oldest first without desc) by (date, time,
// node). A peer that does not answer within the per-node wait, or answers an
// error, is left out and added to fo.missing before anything is written; a
// peer whose stream breaks later ends the export there (an error).
//
// The rows of batch copies (copySpans) are left out: the streams of the
// nodes holding such copies carry each row's id (localIDs for this node).
func (s *Server) mergeCSV(ctx context.Context, w io.Writer, fo *csvFanOut, local, localIDs func(context.Context, io.Writer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	drop := s.copySpans(ctx, fo)
	streams := make([]*csvStream, 1+len(fo.peers))
	// This node's export, through a pipe.
	pr, pw := io.Pipe()
	if drop[fo.self] != nil {
		local = localIDs
	}
	go func() { pw.CloseWithError(local(ctx, pw)) }()
	streams[0] = &csvStream{node: fo.self, r: csv.NewReader(pr), close: func() { pr.Close() }, drop: drop[fo.self]}
	failed := s.fanOut(fo.peers, func(i int, p peerTarget) error {
		query := fo.query
		if drop[p.node] != nil {
			query = maps.Clone(query)
			query.Set("row_ids", "1")
		}
		st, err := s.openPeerCSV(ctx, p, fo.path, query)
		if st != nil {
			st.drop = drop[p.node]
		}
		streams[1+i] = st
		return err
	})
	single := ""
	if len(fo.dates) == 1 {
		single = fo.dates[0]
	}
	defer func() {
		for _, st := range streams {
			if st != nil {
				st.close()
			}
		}
	}()
	for n := range failed {
		fo.missing = append(fo.missing, n)
	}
	slices.Sort(fo.missing)
	var header []string
	var live []*csvStream
	for _, st := range streams {
		if st == nil {
			continue
		}
		h, err := st.r.Read()
		if err == io.EOF {
			continue // no rows on that node (a day it has no file of)
		}
		if err != nil && st.node == fo.self {
			if errors.Is(err, fs.ErrNotExist) {
				continue // this node has no file of the day
			}
			return err // invalid input, or the engine is gone: answered as on a single box
		}
		if err != nil {
			s.d.Log.Warn("csv fan-out: a node's export failed; left out", "node", st.node, "err", err)
			fo.missing = append(fo.missing, st.node)
			continue
		}
		st.header, st.idi = h, -1
		if st.drop != nil && len(h) > 0 && h[len(h)-1] == class.ColID {
			st.idi = len(h) - 1
		}
		for j, col := range h {
			if j != st.idi && !slices.Contains(header, col) {
				header = append(header, col)
			}
		}
		live = append(live, st)
	}
	if header == nil {
		return fmt.Errorf("no node has this day: %w", fs.ErrNotExist)
	}
	for _, st := range live {
		st.at = make([]int, len(st.header))
		for j, col := range st.header {
			st.at[j] = slices.Index(header, col)
			if j == st.idi {
				st.at[j] = -1
			}
		}
		st.ti, st.di = slices.Index(st.header, class.ColTime), slices.Index(st.header, store.ColDate)
		if err := st.next(); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(header))
	for {
		var best *csvStream
		var bk string
		for _, st := range live {
			if st.row == nil {
				continue
			}
			k := st.key()
			if best == nil {
				best, bk = st, k
				continue
			}
			if c := cmp.Compare(k, bk); c != 0 && (c > 0) == fo.desc || c == 0 && st.node < best.node {
				best, bk = st, k
			}
		}
		if best == nil {
			cw.Flush()
			return cw.Error()
		}
		if best.skip(single) {
			if err := best.next(); err != nil {
				cw.Flush()
				return err
			}
			continue
		}
		clear(row)
		for j, v := range best.row {
			if j < len(best.at) && best.at[j] >= 0 {
				row[best.at[j]] = v
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
		if err := best.next(); err != nil {
			cw.Flush()
			return err
		}
	}
}

// openPeerCSV starts p's export and returns its stream once the answer's
// headers came (within the per-node wait); a 404 naming the date is a node
// without that day: an empty stream.
func (s *Server) openPeerCSV(ctx context.Context, p peerTarget, path string, query url.Values) (*csvStream, error) {
	uri := path + "?" + query.Encode()
	rctx, cancel := context.WithCancel(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, strings.TrimSuffix(p.addr, "/")+uri, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	req.Header.Set(cluster.PeerHeader, s.d.Cluster.SignPeer(http.MethodGet, uri))
	t := time.AfterFunc(s.peerWait(), cancel)
	resp, err := s.peerClient.Do(req)
	if !t.Stop() || err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		cancel()
		if err == nil {
			err = errors.New("no answer within the wait")
		}
		return nil, err
	}
	done := func() { resp.Body.Close(); cancel() }
	if resp.StatusCode != http.StatusOK {
		defer done()
		var eb ErrorBody
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&eb)
		if resp.StatusCode == http.StatusNotFound && eb.Field == "date" {
			return &csvStream{node: p.node, r: csv.NewReader(strings.NewReader("")), close: func() {}}, nil
		}
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, eb.Error)
	}
	return &csvStream{node: p.node, r: csv.NewReader(resp.Body), close: done}, nil
}
