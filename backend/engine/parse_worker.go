package engine

import (
	"database/sql"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/store"
	"github.com/logsieve/logsieve/backend/syslog"
)

// parsedChunk is one chunk turned into rows of one schema.
type parsedChunk struct {
	seq    uint64
	schema *store.Schema
	rows   []store.Row
	values []sql.NullString // backing array of every row's Values
	tokens []uint64         // backing array of the rows' Tokens
	bytes  int64            // datagram bytes of the chunk, for the queue bound
	spool  uint64           // the chunk's spool position (0: not spooled)
	refs   atomic.Int32     // holders besides the batcher (a RowSink); see unref
}

// parsedPools keep parsed chunks by the rows they have room for: class k
// holds chunks with room for parsedClassRows<<k rows, the last class the
// bigger ones (stream reads). With one pool, every chunk in flight had room
// for the most rows any chunk had (64 rows: 16 KiB of rows and values with
// five columns) however few it carried, and 50 batchers hold a quarter
// second of chunks each: chunks now have about the room of what they carry.
var parsedPools [parsedClasses]sync.Pool

const (
	parsedClassRows = 8
	parsedClasses   = 5 // 8, 16, 32, 64 rows, more
)

// parsedClass returns the class of a chunk of n rows.
func parsedClass(n int) int {
	k := 0
	for k < parsedClasses-1 && parsedClassRows<<k < n {
		k++
	}
	return k
}

// getParsed returns a parsed chunk with room for n rows of ncol values.
func getParsed(n, ncol int) *parsedChunk {
	k := parsedClass(n)
	pc, _ := parsedPools[k].Get().(*parsedChunk)
	if pc == nil {
		pc = &parsedChunk{}
	}
	room := n
	if k < parsedClasses-1 {
		room = parsedClassRows << k
	}
	if cap(pc.rows) < n {
		pc.rows = make([]store.Row, room)
	}
	if cap(pc.values) < n*ncol {
		pc.values = make([]sql.NullString, room*ncol)
	}
	pc.rows, pc.values = pc.rows[:n], pc.values[:n*ncol]
	return pc
}

// unref lets go of one holder of p; the last one returns p to its pool.
func (p *parsedChunk) unref() {
	if p.refs.Add(-1) < 0 {
		p.refs.Store(0)
		putParsed(p)
	}
}

func putParsed(p *parsedChunk) {
	clear(p.rows) // drop references to the chunk's text
	clear(p.values)
	p.rows, p.values, p.schema = p.rows[:0], p.values[:0], nil
	p.tokens = p.tokens[:0]
	parsedPools[parsedClass(cap(p.rows))].Put(p)
}

// parser is one parse worker's reusable state.
type parser struct {
	cls     *class.Class
	ex      *class.Extractor
	header  *syslog.Parser // nil when the engine parses no header
	addrs   map[netip.Addr]string
	last    netip.Addr // the sender of the previous row and its text:
	lastIP  string     // datagrams come in runs from one sender
	senders senderCache
	tok     store.RowTokenizer
}

// senderIP returns the text form of a, cached: an engine has few senders.
func (p *parser) senderIP(a netip.Addr) string {
	if a == p.last && p.lastIP != "" {
		return p.lastIP
	}
	if s, ok := p.addrs[a]; ok {
		p.last, p.lastIP = a, s
		return s
	}
	if len(p.addrs) > 4096 {
		clear(p.addrs)
	}
	s := a.String()
	p.addrs[a] = s
	p.last, p.lastIP = a, s
	return s
}

// newParser returns a parse worker's state for e.
func (e *Engine) newParser() *parser {
	p := &parser{addrs: make(map[netip.Addr]string)}
	if e.header != syslog.ModeNone {
		p.header = syslog.NewParser(e.header, e.cfg.Location)
	}
	return p
}

// spoolYield is how long a parse worker pauses after a chunk while the
// receiver is behind the socket and the spool takes the overflow.
const spoolYield = time.Millisecond

// parse turns chunks into rows until in is closed.
func (e *Engine) parse(in *chunkQueue, out chan<- *parsedChunk, wst *workerStat) {
	p := e.newParser()
	for {
		c, ok := in.pop()
		if !ok {
			return
		}
		t0 := time.Now()
		out <- e.parseChunk(p, c)
		wst.addBusy(time.Since(t0))
		if e.backlog.Load() && e.spc.logs.Load() > 0 {
			// Spooling with a backlog in the socket: the spool holds what
			// the queue cannot, so parsing and writing it now only takes
			// CPU from the receiver, and on a busy box the kernel buffer
			// (~0.2 s at 280k/s) overflows. Pause after each chunk (~0.1 ms
			// of work) until the receiver catches up; the spool drains
			// once it has (docs/reliability.md, "The receiver first").
			time.Sleep(spoolYield)
		}
	}
}

// parseChunk extracts every datagram of c with the class in force. The text is
// copied once for the whole chunk; every row's fields are substrings of it.
// A trailing LF or CR LF (syslog-ng's UDP output adds one) is not part of the
// message. When the engine parses headers, a row's first values are the
// header columns, then the class's. Datagrams of senders the client list
// rejects are counted and left out.
func (e *Engine) parseChunk(p *parser, c *chunk) *parsedChunk {
	cs := e.cur.Load()
	cl := e.clients.Load()
	checkSenders := cl != nil && len(cl.matchers) > 0
	if p.cls != cs.cls {
		p.cls, p.ex = cs.cls, cs.cls.NewExtractor()
	}
	ncol := len(cs.schema.Columns)
	n := len(c.ends)
	pc := getParsed(n, ncol)
	pc.seq, pc.schema, pc.bytes, pc.spool = c.seq, cs.schema, int64(len(c.buf)), c.spoolPos
	text := string(c.buf)
	p.tok.NewRun()
	start := 0
	var unmatched uint64
	k := 0 // rows kept
	at := time.Unix(0, c.at)
	for i, end := range c.ends {
		line := trimLF(text[start:end])
		start = end
		var client sql.NullString
		if checkSenders {
			r := p.senders.lookup(cl, c.addrs[i])
			if r == senderRejected {
				continue
			}
			if r >= 0 {
				client = cl.names[r]
			}
		}
		row := pc.values[k*ncol : (k+1)*ncol : (k+1)*ncol]
		vals := row // the class's values
		if p.header != nil {
			h := p.header.Parse(line, at)
			for j, v := range h.Values() {
				vals[j] = sql.NullString{String: v, Valid: v != ""}
			}
			vals = vals[syslog.NumColumns:]
		}
		if !p.ex.Extract(line, vals) {
			unmatched++
		}
		pc.rows[k] = store.Row{
			ReceivedAt: c.at,
			SenderIP:   p.senderIP(c.addrs[i]),
			Client:     client,
			Values:     row,
			Original:   line,
			SpoolPos:   c.spoolPos,
		}
		// The block summaries' token hashes, here in parallel rather than
		// on the writer's path; last, once every cell of the row is set.
		pc.tokens = p.tok.Tokens(pc.tokens, &pc.rows[k], cs.schema.KeepOriginal)
		k++
	}
	if rejected := n - k; rejected > 0 {
		pc.rows = pc.rows[:k]
		e.ctr.rejected.Add(uint64(rejected))
		e.ctr.queued.Add(-int64(rejected))
		e.room.signal()
	}
	if unmatched > 0 {
		e.ctr.unmatched.Add(unmatched)
	}
	putChunk(c)
	return pc
}

// trimLF returns line without one trailing LF or CR LF.
func trimLF(line string) string {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n > 1 && line[n-2] == '\r' {
			line = line[:n-2]
		}
	}
	return line
}
