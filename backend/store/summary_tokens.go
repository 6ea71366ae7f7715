package store

import (
	"math/bits"
	"unsafe"
)

// Tokens of the block summaries: the maximal runs of word characters
// (wordByte) of a text, ASCII-lowercased, each hashed to 64 bits. A whole
// word q and an exact value hold only whole tokens of the row's cells, so a
// block whose summary lacks one of their tokens holds no match.

// minTokenLen is the shortest token the summaries hold. One- and two-byte
// tokens (IP octets, clock fields, small numbers) are a quarter of a typical
// line's tokens but found in nearly every block, so they narrow no search:
// the writer skips them (smaller blooms) and a query looks up only its
// longer tokens (a query with none scans).
const minTokenLen = 3

// foldCase lowers ASCII letters of 8 bytes by setting bit 0x20 of every
// byte: the token bytes are word characters, so this maps each letter to its
// lowercase, keeps digits, and merges `_` with DEL and some bytes >= 0x80
// with others (only more hash collisions: never a missed token).
const foldCase = 0x2020202020202020

// hashToken returns the 64-bit hash of the token s[i:j] (all word
// characters). Bytes of s past j may be read (and masked off) to load the
// token's last chunk in one go.
func hashToken(s string, i, j int) uint64 {
	h := uint64(j - i)
	for ; j-i >= 8; i += 8 {
		h = bits.RotateLeft64((h^(load64(s, i)|foldCase))*0x87c37b91114253d5, 31)
	}
	if n := j - i; n > 0 {
		var x uint64
		if i+8 <= len(s) {
			x = load64(s, i) & (1<<(8*n) - 1)
		} else {
			for k := 0; k < n; k++ {
				x |= uint64(s[i+k]) << (8 * k)
			}
		}
		h ^= (x | foldCase&(1<<(8*n)-1)) * 0x9e3779b97f4a7c15
	}
	return fmix64(h)
}

// fmix64 is murmur3's finalizer: every input bit reaches every output bit, so
// the bloom can take its part and positions from any bits.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashShort is hashToken of a token of n bytes, 0 < n < 8, that are the low
// n bytes of x (the bytes above are ignored): the common case, small enough
// to be inlined where hashToken is a call.
func hashShort(x uint64, n int) uint64 {
	m := uint64(1)<<(8*n) - 1
	return fmix64(uint64(n) ^ (x&m|foldCase&m)*0x9e3779b97f4a7c15)
}

// load64 reads the 8 bytes of s at i, little-endian.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// isWordByte marks the word characters: ASCII letters, digits, `_` and every
// byte >= 0x80.
var isWordByte = func() (t [256]bool) {
	for c := range t {
		t[c] = wordByte[c] != 0
	}
	return t
}()

// wordBit is 1 for a word character, 0 for any other byte.
var wordBit = func() (t [256]uint8) {
	for c := range t {
		if wordByte[c] != 0 {
			t[c] = 1
		}
	}
	return t
}()

// wordMask8 returns bit k set for each word character among the 8 bytes of
// x (byte k = bits 8k..8k+7), testing the 8 bytes at once.
func wordMask8(x uint64) uint8 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	l := x &^ high // the low 7 bits of each byte: no carry between bytes below
	f := l | 0x20*ones
	letter := (f + (0x80-'a')*ones) &^ (f + (0x7f-'z')*ones)
	digit := (l + (0x80-'0')*ones) &^ (l + (0x7f-'9')*ones)
	z := l ^ '_'*ones
	under := ^(z + 0x7f*ones | z)
	m := (x | letter | digit | under) & high
	// Gather the 8 flags (bit 7 of each byte) into one byte, byte k to bit k.
	return uint8((m >> 7) * 0x0102040810204080 >> 56)
}

// eachToken calls add with the hash of every token of s of at least
// minTokenLen bytes, in order, duplicates included.
func eachToken(s string, add func(h uint64)) {
	eachTokenSpan(s, func(i, j int) { add(hashToken(s, i, j)) })
}

// eachTokenSpan calls f with the bounds s[i:j] of every token of s of at
// least minTokenLen bytes, in order.
func eachTokenSpan(s string, f func(i, j int)) {
	for i := 0; i < len(s); {
		if !isWordByte[s[i]] {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isWordByte[s[j]] {
			j++
		}
		if j-i >= minTokenLen {
			f(i, j)
		}
		i = j
	}
}

// tokenSet is a set of token hashes (open addressing, linear probing; 0
// stands for the hash 0, which is stored as 1: a rare extra false positive).
// It grows when three quarters of its slots are taken: a block's ~16,400
// distinct tokens fit 32,768 slots (256 KiB, within the core's L2), where a
// half-full bound took 65,536 and a rehash of 16,384 per block.
type tokenSet struct {
	slots   []uint64
	n       int
	recent  [recentSlots]uint64 // hashes added lately, by their low bits
	scratch []uint64            // addText's hashes
}

// recentSlots is the size of tokenSet.recent (8 KiB: it stays in L1).
const recentSlots = 1024

// minTokenSlots is the initial size of a tokenSet (a block of 4096 rows of
// the five-key class holds about 20,000 distinct tokens).
const minTokenSlots = 1 << 12

// add puts h in the set.
func (t *tokenSet) add(h uint64) {
	if h == 0 {
		h = 1
	}
	if len(t.slots) == 0 {
		t.slots = make([]uint64, minTokenSlots)
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case h:
			return
		case 0:
			t.slots[i] = h
			if t.n++; 4*t.n > 3*len(t.slots) {
				t.grow()
			}
			return
		}
	}
}

// appendTokenHashes appends the hash of every token of s of at least
// minTokenLen bytes, in order, duplicates included. It marks the word bytes
// of s in a bit mask (8 bytes at a time), derives from it where tokens of
// at least 3 bytes start and end, and pairs the i-th start with the i-th
// end: no branch per byte, and none for the short tokens.
func appendTokenHashes(dst []uint64, s string) []uint64 {
	var before, w uint64 // mask words k-1 and k
	var starts [17]int32 // starts whose end is not seen yet: <= 16 per word, 1 carried
	ns := 0
	for k := 0; k*64 <= len(s); k++ {
		if k == 0 {
			w = wordMask(s, 0)
		}
		var after uint64
		if (k+1)*64 < len(s) {
			after = wordMask(s, (k+1)*64)
		}
		// Bit i of prevN: byte i-N is a word byte; of nextN: byte i+N is.
		prev1, prev2, prev3 := w<<1|before>>63, w<<2|before>>62, w<<3|before>>61
		next1, next2 := w>>1|after<<63, w>>2|after<<62
		st := w &^ prev1 & next1 & next2 // a word byte, none before, two after
		en := ^w & prev1 & prev2 & prev3 // no word byte, three before
		base := int32(k * 64)
		for ; st != 0; st &= st - 1 {
			starts[ns] = base + int32(bits.TrailingZeros64(st))
			ns++
		}
		ne := 0
		for ; en != 0; en &= en - 1 {
			i, j := int(starts[ne]), int(base)+bits.TrailingZeros64(en)
			if j-i < 8 && i+8 <= len(s) {
				dst = append(dst, hashShort(load64(s, i), j-i))
			} else {
				dst = append(dst, hashToken(s, i, j))
			}
			ne++
		}
		if ns > ne {
			starts[0] = starts[ne]
		}
		ns -= ne
		before, w = w, after
	}
	return dst
}

// wordMask returns bit i set for each word byte s[base+i], i < 64.
func wordMask(s string, base int) uint64 {
	chunk := s[base:min(base+64, len(s))]
	var word uint64
	i := 0
	for ; i+8 <= len(chunk); i += 8 {
		word |= uint64(wordMask8(load64(chunk, i))) << i
	}
	for ; i < len(chunk); i++ {
		word |= uint64(wordBit[chunk[i]]) << i
	}
	return word
}

// AppendRowTokens appends the token hashes the block summaries take from the
// values of r and, when keepOriginal, from its original log, for the writer
// (Row.Tokens): an engine's parse workers compute them in parallel, off the
// writer's path. A value whose text lies inside r.Original (a substring of
// it, as the class extractor returns) with both edges on token boundaries
// there is skipped: its tokens are tokens of the original log. A value cut
// out of the middle of a word (its edge token is only part of one of the
// original's) keeps its own tokens.
func AppendRowTokens(dst []uint64, r *Row, keepOriginal bool) []uint64 {
	for _, v := range r.Values {
		if v.Valid && !(keepOriginal && tokensWithin(v.String, r.Original)) {
			dst = appendTokenHashes(dst, v.String)
		}
	}
	if keepOriginal {
		dst = appendTokenHashes(dst, r.Original)
	}
	return dst
}

// RowTokenizer computes Row.Tokens for runs of consecutive rows: a hash that
// a row shares with an earlier row of its run is left out (most of a line's
// tokens repeat from line to line), so the rows carry a fraction of their
// hashes to the writer. The zero value is ready; one per goroutine.
type RowTokenizer struct {
	seen  [1 << 10]uint64   // hashes of the run, by their low bits (some repeats get through)
	short [1 << 10]uint64   // case-folded tokens of 3-7 bytes whose hash the run has (appendNew), by a hash of them
	long  [1 << 8][2]uint64 // the same for tokens of 8-15 bytes
	n     int               // rows in the run so far
}

// tokenRunRows is the longest run of a RowTokenizer: a block boundary inside
// a run makes the writer compute the hashes of the run's rows after it.
const tokenRunRows = 64

// NewRun starts a new run: the next row shares no hash with earlier ones.
// Call it where the rows stop being consecutive in the rows given to Write
// (a new chunk of rows, a row left out).
func (t *RowTokenizer) NewRun() {
	if t.n > 0 {
		clear(t.seen[:])
		clear(t.short[:])
		clear(t.long[:])
		t.n = 0
	}
}

// Tokens sets r.Tokens (appended to dst, returned grown) and r.SharedTokens
// for r, the next row of the run.
func (t *RowTokenizer) Tokens(dst []uint64, r *Row, keepOriginal bool) []uint64 {
	if t.n == tokenRunRows {
		t.NewRun()
	}
	from := len(dst)
	for _, v := range r.Values {
		if v.Valid && !(keepOriginal && tokensWithin(v.String, r.Original)) {
			dst = t.appendNew(dst, v.String)
		}
	}
	if keepOriginal {
		dst = t.appendNew(dst, r.Original)
	}
	r.Tokens, r.SharedTokens = dst[from:len(dst):len(dst)], t.n
	t.n++
	return dst
}

// appendNew appends the hashes of the tokens of s (appendTokenHashes) that
// the run does not have yet. Most tokens of a line repeat from earlier lines
// and most are shorter than 16 bytes: such a token is looked up by its
// case-folded bytes first (the key of its bytes and length), and a repeat
// costs no hash. A key is only stored once its hash is in dst or seen.
func (t *RowTokenizer) appendNew(dst []uint64, s string) []uint64 {
	var before, w uint64 // mask words k-1 and k (as in appendTokenHashes)
	var starts [17]int32
	ns := 0
	for k := 0; k*64 <= len(s); k++ {
		if k == 0 {
			w = wordMask(s, 0)
		}
		var after uint64
		if (k+1)*64 < len(s) {
			after = wordMask(s, (k+1)*64)
		}
		prev1, prev2, prev3 := w<<1|before>>63, w<<2|before>>62, w<<3|before>>61
		next1, next2 := w>>1|after<<63, w>>2|after<<62
		st := w &^ prev1 & next1 & next2
		en := ^w & prev1 & prev2 & prev3
		base := int32(k * 64)
		for ; st != 0; st &= st - 1 {
			starts[ns] = base + int32(bits.TrailingZeros64(st))
			ns++
		}
		ne := 0
		for ; en != 0; en &= en - 1 {
			i, j := int(starts[ne]), int(base)+bits.TrailingZeros64(en)
			ne++
			var h uint64
			if n := j - i; n < 8 && i+8 <= len(s) {
				m := uint64(1)<<(8*n) - 1
				key := load64(s, i)&m | foldCase&m | uint64(n)<<56 // never 0: n >= 3
				sk := &t.short[key*0x9e3779b97f4a7c15>>54]
				if *sk == key {
					continue // hashed earlier in the run
				}
				*sk = key
				h = hashShort(key, n)
			} else if n < 16 && i+16 <= len(s) {
				m := uint64(1)<<(8*(n-8)) - 1
				a := load64(s, i) | foldCase
				b := load64(s, i+8)&m | foldCase&m | uint64(n)<<56 // never 0: n >= 8
				lk := &t.long[(a^b*0xc2b2ae3d27d4eb4f)*0x9e3779b97f4a7c15>>56]
				if lk[0] == a && lk[1] == b {
					continue
				}
				*lk = [2]uint64{a, b}
				h = hashToken(s, i, j)
			} else {
				h = hashToken(s, i, j)
			}
			if e := &t.seen[h&(uint64(len(t.seen))-1)]; *e != h || h == 0 {
				*e = h
				dst = append(dst, h)
			}
		}
		if ns > ne {
			starts[0] = starts[ne]
		}
		ns -= ne
		before, w = w, after
	}
	return dst
}

// tokensWithin reports whether every token of v is a token of orig because
// v's bytes are a part of orig's (same memory) that neither starts nor ends
// inside a word of orig.
func tokensWithin(v, orig string) bool {
	if len(v) == 0 {
		return true
	}
	if len(orig) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(v)))
	o := uintptr(unsafe.Pointer(unsafe.StringData(orig)))
	if len(v) > len(orig) || p < o || p-o > uintptr(len(orig)-len(v)) {
		return false
	}
	i := int(p - o)
	j := i + len(v)
	return (i == 0 || !isWordByte[orig[i-1]] || !isWordByte[v[0]]) &&
		(j == len(orig) || !isWordByte[orig[j]] || !isWordByte[v[len(v)-1]])
}

// addText adds the tokens of s.
func (t *tokenSet) addText(s string) {
	t.scratch = appendTokenHashes(t.scratch[:0], s)
	t.addHashes(t.scratch)
}

// addHashes adds token hashes, each through a small cache of recent ones:
// most tokens of a block repeat, and the cache answers them without
// touching the set's larger table.
func (t *tokenSet) addHashes(hs []uint64) {
	for _, h := range hs {
		t.addHash(h)
	}
}

// addHash adds h unless the recent cache saw it.
func (t *tokenSet) addHash(h uint64) {
	if r := &t.recent[h&(recentSlots-1)]; *r != h {
		*r = h
		t.add(h)
	}
}

func (t *tokenSet) grow() {
	old := t.slots
	t.slots, t.n = make([]uint64, 2*len(old)), 0
	for _, h := range old {
		if h != 0 {
			t.add(h)
		}
	}
}

// reset empties the set, keeping its room.
func (t *tokenSet) reset() {
	clear(t.slots)
	clear(t.recent[:])
	t.n = 0
}
