package alert

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/class"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/loadgen"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// benchColumns is what benchEngines answers: the bench's five-key class.
type benchEngines struct{ cols []string }

func (b benchEngines) EngineColumns(string) ([]string, bool) { return RowColumns(b.cols), true }
func (benchEngines) EngineEvent(string, string, string)      {}
func (benchEngines) EngineHealth() []EngineHealth            { return nil }
func (benchEngines) DiskFreePercent() (float64, error)       { return 100, nil }

// BenchmarkEvaluate measures the evaluator on a write batch of 8,000
// loadgen rows with 0, 1, 5 and 20 of the bench's log rules (ns/op is per
// row).
func BenchmarkEvaluate(b *testing.B) {
	pats := map[string]string{
		"pppoe": `in:<pppoe-([A-Za-z\d]+)>`, "router_identity": `\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`,
		"destination_ip": `->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`, "proto": `proto (\w+)`, "length": `len (\d+)`,
	}
	keys := []string{"pppoe", "router_identity", "destination_ip", "proto", "length"}
	cls, err := class.Compile("bench5", pats, keys)
	if err != nil {
		b.Fatal(err)
	}
	schema := &store.Schema{Columns: cls.Columns(), KeepOriginal: true}
	msgs := loadgen.Messages(8000, 0, 1)
	// As an engine lays them out: one text, one backing array of values.
	rows := make([]store.Row, len(msgs))
	ncol := len(schema.Columns)
	values := make([]sql.NullString, len(msgs)*ncol)
	var text []byte
	ends := make([]int, len(msgs))
	for i, m := range msgs {
		text = append(text, m...)
		ends[i] = len(text)
	}
	all, start := string(text), 0
	ex := cls.NewExtractor()
	for i, end := range ends {
		line := all[start:end]
		start = end
		vals := values[i*ncol : (i+1)*ncol : (i+1)*ncol]
		ex.Extract(line, vals)
		rows[i] = store.Row{ReceivedAt: int64(i), SenderIP: "10.0.0.1", Values: vals, Original: line}
	}
	for _, n := range []int{0, 1, 5, 20} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			db, err := meta.Open(filepath.Join(b.TempDir(), "m.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			m, err := New(Config{Meta: db, Engines: benchEngines{schema.Columns}, Now: func() time.Time { return now }})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			for i := 0; i < n; i++ {
				if _, err := m.CreateRule(BenchRule("bench1", i)); err != nil {
					b.Fatal(err)
				}
			}
			batch := engine.NewRowBatch("bench1", "UTC", schema, rows)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += len(rows) {
				m.evalBatch(batch)
			}
		})
	}
}
