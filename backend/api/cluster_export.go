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
	"net/http"
	"net/url"
	"slices"
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
	return &csvFanOut{self: s.d.Cluster.Stats().Node, peers: peers, path: c.Path(), query: peerQuery(c, set),
		desc: q.Desc, missing: missing}
}

// csvStream is one node's CSV in a merge.
type csvStream struct {
	node   string
	r      *csv.Reader
	close  func()
	header []string
	at     []int    // position in the merged header of each column
	row    []string // the next row; nil once done
	ti, di int      // time and date columns, -1 when absent
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
func (s *Server) mergeCSV(ctx context.Context, w io.Writer, fo *csvFanOut, local func(context.Context, io.Writer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make([]*csvStream, 1+len(fo.peers))
	// This node's export, through a pipe.
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(local(ctx, pw)) }()
	streams[0] = &csvStream{node: fo.self, r: csv.NewReader(pr), close: func() { pr.Close() }}
	failed := s.fanOut(fo.peers, func(i int, p peerTarget) error {
		st, err := s.openPeerCSV(ctx, p, fo.path, fo.query)
		streams[1+i] = st
		return err
	})
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
		st.header = h
		for _, col := range h {
			if !slices.Contains(header, col) {
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
		clear(row)
		for j, v := range best.row {
			if j < len(best.at) {
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
