package cluster

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/logsieve/logsieve/backend/store"
)

// A batch message is the schema followed by rows, all lengths as uvarints:
//
//	version(1) flags(1: keep original) ncols {len col}... row...
//	row: receivedAt(varint) len senderIP client values... [original]
//
// (rows up to the end of the message)
//
// where client and each value are 0 (NULL) or 1+len followed by the text.
const codecVersion = 1

// encodeHeader appends a message's schema part for s.
func encodeHeader(b []byte, s *store.Schema) []byte {
	var flags byte
	if s.KeepOriginal {
		flags = 1
	}
	b = append(b, codecVersion, flags)
	b = binary.AppendUvarint(b, uint64(len(s.Columns)))
	for _, c := range s.Columns {
		b = appendString(b, c)
	}
	return b
}

// encodeRow appends one row (its Values aligned with the schema's columns).
func encodeRow(b []byte, r *store.Row, keepOriginal bool) []byte {
	b = binary.AppendVarint(b, r.ReceivedAt)
	b = appendString(b, r.SenderIP)
	b = appendNull(b, r.Client)
	for _, v := range r.Values {
		b = appendNull(b, v)
	}
	if keepOriginal {
		b = appendString(b, r.Original)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendNull(b []byte, v sql.NullString) []byte {
	if !v.Valid {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(v.String))+1)
	return append(b, v.String...)
}

var errShort = errors.New("message cut short")

// decoder reads a batch message.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) string {
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) str() string { return d.bytes(d.uvarint()) }

func (d *decoder) null() sql.NullString {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return sql.NullString{}
	}
	return sql.NullString{String: d.bytes(n - 1), Valid: true}
}

// decodeBatch returns the schema and rows of a batch message.
func decodeBatch(msg []byte) (*store.Schema, []store.Row, error) {
	if len(msg) < 2 {
		return nil, nil, fmt.Errorf("cannot decode batch: %w", errShort)
	}
	if msg[0] != codecVersion {
		return nil, nil, fmt.Errorf("cannot decode batch: version %d, want %d", msg[0], codecVersion)
	}
	s := &store.Schema{KeepOriginal: msg[1]&1 != 0}
	d := &decoder{b: msg[2:]}
	ncols := d.uvarint()
	if ncols > uint64(len(d.b)) {
		return nil, nil, fmt.Errorf("cannot decode batch: %d columns in %d bytes", ncols, len(d.b))
	}
	s.Columns = make([]string, ncols)
	for i := range s.Columns {
		s.Columns[i] = d.str()
	}
	var rows []store.Row
	for d.err == nil && len(d.b) > 0 {
		r := store.Row{ReceivedAt: d.varint(), SenderIP: d.str(), Client: d.null()}
		r.Values = make([]sql.NullString, ncols)
		for j := range r.Values {
			r.Values[j] = d.null()
		}
		if s.KeepOriginal {
			r.Original = d.str()
		}
		rows = append(rows, r)
	}
	if d.err != nil {
		return nil, nil, fmt.Errorf("cannot decode batch: %w", d.err)
	}
	return s, rows, nil
}
