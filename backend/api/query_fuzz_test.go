package api_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/logsieve/logsieve/backend/api"
	"github.com/logsieve/logsieve/backend/auth"
	"github.com/logsieve/logsieve/backend/factory"
	"github.com/logsieve/logsieve/backend/meta"
	"github.com/logsieve/logsieve/backend/store"
)

// fuzzDate is the day of the rows FuzzQueryParams queries.
const fuzzDate = "2024-03-01"

// fuzzServer builds an API (no listener: requests go through App().Test) with an
// engine "edge" of class t1 whose day fuzzDate holds varied rows.
func fuzzServer(f *testing.F) (*api.Server, string) {
	f.Helper()
	dir := f.TempDir()
	log := slog.New(slog.DiscardHandler)
	db, err := meta.Open(filepath.Join(dir, "logsieve.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if _, err := auth.EnsureAdmin(db, dir, adminPassword, log); err != nil {
		f.Fatal(err)
	}
	as, err := auth.New(auth.Config{Meta: db, DataDir: dir, BcryptCost: bcrypt.MinCost, Log: log})
	if err != nil {
		f.Fatal(err)
	}
	fac, err := factory.New(factory.Config{DataDir: dir, Meta: db, Log: log, HostTZ: "UTC"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fac.Close() })
	if err := fac.CreateClass("t1", map[string]string{"msg": `msg=(\S+)`, "dst_ip": `->(\S+)`}, []string{"msg", "dst_ip"}); err != nil {
		f.Fatal(err)
	}
	spec := fac.DefaultSpec()
	spec.Name, spec.Class, spec.Bind, spec.Port, spec.Enabled, spec.Timezone = "edge", "t1", "127.0.0.1", 1, false, "UTC"
	if err := fac.CreateEngine(spec); err != nil {
		f.Fatal(err)
	}
	edir, err := fac.Dir("edge")
	if err != nil {
		f.Fatal(err)
	}
	w, err := store.OpenWriter(edir, store.Options{Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	v := func(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
	var rows []store.Row
	msgs := []string{"alice", "Bob", "bob'--", "50%_off", "", "x\"y", "=1+2", "ümlaut", "a\\b", "alice"}
	dsts := []string{"10.0.0.1:53", "[2001:db8::1]:443", "", "host:1", "10.0.0.2:80"}
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 60; i++ {
		m, d := msgs[i%len(msgs)], dsts[i%len(dsts)]
		dip, dport := v(d), v("")
		if host, port, ok := strings.Cut(d, ":"); ok && !strings.HasPrefix(d, "[") {
			dip, dport = v(host), v(port)
		}
		rows = append(rows, store.Row{ReceivedAt: base.Add(time.Duration(i) * 23 * time.Minute).UnixNano(), SenderIP: "192.0.2.7",
			Values: []sql.NullString{v(m), dip, dport}, Original: "x msg=" + m + " ->" + d})
	}
	if _, err := w.Write(&store.Schema{Columns: []string{"msg", "dst_ip", "dst_port"}, KeepOriginal: true}, rows); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	srv, err := api.New(api.Deps{Meta: db, Factory: fac, Auth: as, DataDir: dir, Version: "test", Log: log})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close(f.Context()) })
	req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"username":"admin","password":"`+adminPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		f.Fatal(err)
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.Token == "" {
		f.Fatalf("login: %v", err)
	}
	return srv, login.Token
}

// asciiLower lowers ASCII letters only, as SQLite's lower() does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// FuzzQueryParams drives GET /engines/:name/logs with arbitrary filter, q, from, to,
// limit, cursor, date and order values, plus arbitrary extra raw query text. The
// answer must be 200 or a 400 naming a parameter (never 500), and every row of a
// 200 must satisfy every filter it was asked for.
func FuzzQueryParams(f *testing.F) {
	srv, token := fuzzServer(f)
	f.Add("msg:alice", "", "", "", "", "", "", fuzzDate, "", "")
	f.Add("msg=bob'--", "dst_port:5", "", "00:00:00", "12:00:00", "5", "", fuzzDate, "asc", "")
	f.Add("msg:' OR 1=1 --", "", "%", "", "", "1000", "", fuzzDate, "desc", "")
	f.Add("nope:x", "", "", "", "", "", "", fuzzDate, "", "filter=msg%00:x")
	f.Add("id=3", "msg:", "ALICE", "", "", "2", "30", fuzzDate, "", "")
	f.Add(":x", "=y", "", "24:00:00", "1:2:3", "0", "-1", "2024-02-30", "up", "limit=1&limit=2")
	f.Add("dst_ip:2001:db8", "", "_", "", "", "", "99999999999999999999", fuzzDate, "", "cursor=1&date=../x")
	f.Fuzz(func(t *testing.T, f1, f2, q, from, to, limit, cursor, date, order, raw string) {
		vals := url.Values{}
		for _, fl := range []string{f1, f2} {
			if fl != "" {
				vals.Add("filter", fl)
			}
		}
		for k, v := range map[string]string{"q": q, "from": from, "to": to, "limit": limit, "cursor": cursor, "date": date, "order": order} {
			if v != "" {
				vals.Set(k, v)
			}
		}
		rq := vals.Encode()
		if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '#' }) {
			raw = url.QueryEscape(raw)
		}
		if raw != "" {
			rq += "&" + raw
		}
		req := httptest.NewRequest("GET", "/api/v1/engines/edge/logs", nil)
		req.URL.RawQuery = rq
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatalf("?%s: %v", rq, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusBadRequest:
			var e struct{ Error, Field string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" ||
				!strings.Contains(" filter q from to limit cursor date order ", " "+e.Field+" ") {
				t.Fatalf("?%s: 400 without an error naming a parameter: %s", rq, body)
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("?%s: got %d %s; want 200 or 400", rq, resp.StatusCode, body)
		}
		var p struct {
			Columns    []string    `json:"columns"`
			Rows       [][]*string `json:"rows"`
			NextCursor *string     `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("?%s: %v in %s", rq, err, body)
		}
		// What the server was asked, read back the way the server reads it.
		parsed, _ := url.ParseQuery(rq)
		lim := 100
		if l := parsed.Get("limit"); l != "" {
			lim, _ = strconv.Atoi(l)
		}
		if len(p.Rows) > lim || (p.NextCursor != nil && len(p.Rows) != lim) {
			t.Fatalf("?%s: %d rows with next_cursor %v for limit %d", rq, len(p.Rows), p.NextCursor, lim)
		}
		col := map[string]int{}
		for i, c := range p.Columns {
			col[c] = i
		}
		cell := func(r []*string, c string) (string, bool) {
			i, ok := col[c]
			if !ok || r[i] == nil {
				return "", false
			}
			return *r[i], true
		}
		for _, r := range p.Rows {
			for _, fl := range parsed["filter"] {
				i := strings.IndexAny(fl, ":=")
				c, text := fl[:i], fl[i+1:]
				got, ok := cell(r, c)
				switch {
				case fl[i] == '=' && (!ok || got != text):
					t.Fatalf("?%s: row %q fails exact filter %q", rq, got, fl)
				case fl[i] == ':' && text != "" && (!ok || !strings.Contains(asciiLower(got), asciiLower(text))):
					t.Fatalf("?%s: row %q fails filter %q", rq, got, fl)
				}
			}
			if qq := parsed.Get("q"); qq != "" {
				found := false
				for _, c := range p.Columns[1:] {
					if got, ok := cell(r, c); ok && strings.Contains(asciiLower(got), asciiLower(qq)) {
						found = true
					}
				}
				if !found {
					t.Fatalf("?%s: row %v lacks q %q", rq, r, qq)
				}
			}
			tm, _ := cell(r, "time")
			if fr := parsed.Get("from"); fr != "" && tm < fr {
				t.Fatalf("?%s: row at %s before from %s", rq, tm, fr)
			}
			if to := parsed.Get("to"); to != "" && tm > to {
				t.Fatalf("?%s: row at %s after to %s", rq, tm, to)
			}
		}
	})
}
