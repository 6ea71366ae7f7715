package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/engine"
	"github.com/logsieve/logsieve/backend/meta"
)

func metaFilter(rule string) meta.AlertFilter { return meta.AlertFilter{Rule: rule, Limit: 100} }

func mustChannel(t *testing.T, m *alert.Manager, s alert.ChannelSpec) {
	t.Helper()
	s.Enabled = true
	if _, err := m.CreateChannel(s); err != nil {
		t.Fatal(err)
	}
}

func mustRule(t *testing.T, m *alert.Manager, edit func(*alert.RuleSpec)) {
	t.Helper()
	s := alert.DefaultRule()
	s.Name, s.Engine = "deny", "fw"
	s.When = []alert.Cond{{Column: "msg", Op: alert.OpEquals, Value: alert.Value{List: []string{"deny"}}}}
	edit(&s)
	if _, err := m.CreateRule(s); err != nil {
		t.Fatal(err)
	}
}

func rule(t *testing.T, m *alert.Manager, name string) alert.Rule {
	t.Helper()
	r, err := m.Rule(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStormSendsOneNotificationPerCooldownPerGroupAndCountsTheRest(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c)
	hook := newReceiver(t)
	mustChannel(t, m, alert.ChannelSpec{Name: "hook", Type: alert.TypeWebhook, URL: hook.URL})
	mustRule(t, m, func(s *alert.RuleSpec) { s.GroupBy, s.CooldownS, s.Channels = "user", 300, []string{"hook"} })
	e, addr := startEngine(t, m)
	const n = 3000
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("msg=deny user=u%d seq=%d", i%2, i)
	}
	sendUDP(t, addr, lines...)
	waitFor(t, "evaluation of every row", func() bool {
		r := rule(t, m, "deny")
		return e.Stats().Stored == n && r.FiredTotal+r.SuppressedTotal == n
	})
	if r := rule(t, m, "deny"); r.FiredTotal != 2 || r.SuppressedTotal != n-2 || !r.Firing {
		t.Fatalf("unexpected rule state; got fired %d suppressed %d firing %t; want 2, %d, true", r.FiredTotal, r.SuppressedTotal, r.Firing, n-2)
	}
	waitFor(t, "two deliveries", func() bool { return joined(statuses(t, m, "hook")) == "sent,sent" })
	if got := len(hook.Bodies()); got != 2 {
		t.Fatalf("unexpected webhook calls; got %d; want one per group", got)
	}
	if f := m.Firing(); len(f) != 2 || f[0].Group != "u0" || f[1].Group != "u1" {
		t.Fatalf("unexpected firing list; got %+v", f)
	}
	// Past the cooldown the next match notifies again.
	c.Add(301 * time.Second)
	sendUDP(t, addr, "msg=deny user=u1")
	waitFor(t, "a third delivery", func() bool { return joined(statuses(t, m, "hook")) == "sent,sent,sent" })
	if r := rule(t, m, "deny"); r.FiredTotal != 3 {
		t.Fatalf("fired after the cooldown; got %d; want 3", r.FiredTotal)
	}
}

func TestFailingChannelIsRetriedWithBackoffRecordedAndAnEngineEvent(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c)
	flaky := newReceiver(t, 503, 502, 500)
	down := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	good := newReceiver(t)
	for name, r := range map[string]*receiver{"flaky": flaky, "down": down, "good": good} {
		mustChannel(t, m, alert.ChannelSpec{Name: name, Type: alert.TypeWebhook, URL: r.URL})
	}
	mustRule(t, m, func(s *alert.RuleSpec) { s.Channels = []string{"flaky", "down", "good"} })
	e, addr := startEngine(t, m)
	start := c.Now()
	sendUDP(t, addr, "msg=deny user=a", "msg=allow user=b")
	waitFor(t, "the flaky channel's success", func() bool {
		return joined(statuses(t, m, "flaky")) == "retrying,retrying,retrying,sent"
	})
	waitFor(t, "the down channel giving up", func() bool {
		s := statuses(t, m, "down")
		return len(s) > 0 && s[len(s)-1] == alert.StatusGaveUp
	})
	if got := joined(statuses(t, m, "good")); got != "sent" {
		t.Fatalf("the good channel; got %q; want one sent attempt", got)
	}
	ds, _ := m.Deliveries("flaky", 10)
	if last := ds[len(ds)-1]; last.Attempt != 1 || last.HTTPStatus != 503 || !strings.Contains(last.Error, "503") {
		t.Fatalf("first attempt record; got %+v", last)
	}
	down5, _ := m.Deliveries("down", 100)
	if len(down5) < 5 || len(down5) > 14 {
		t.Fatalf("attempts of the down channel; got %d", len(down5))
	}
	// The backoff waits of the down channel (the clock moves only by them)
	// stay within the hour.
	if waited := c.Now().Sub(start); waited > time.Hour+time.Minute {
		t.Fatalf("backoff waited %s in all; want at most 1 h", waited)
	}
	// The give-up is recorded before its engine event is sent: wait for it.
	waitFor(t, "the down channel's engine events", func() bool {
		evs := strings.Join(fe.Events(), "\n")
		return strings.Contains(evs, `delivery to channel "down" failed`) && strings.Contains(evs, `delivery to channel "down" gave up`)
	})
	if st := e.Stats(); st.Stored != 2 || st.Dropped != 0 {
		t.Fatalf("ingest; got stored %d dropped %d; want 2, 0", st.Stored, st.Dropped)
	}
	h, err := m.History(metaFilter("deny"))
	if err != nil || len(h) != 1 || len(h[0].Deliveries) != 3 {
		t.Fatalf("history; got %+v %v", h, err)
	}
}

func TestTimeoutIsRecordedAndRetried(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	m := newManager(t, fe, c, func(cfg *alert.Config) {
		cfg.AttemptTimeout, cfg.RetryTotal = 100*time.Millisecond, 15*time.Second
	})
	mustChannel(t, m, alert.ChannelSpec{Name: "slow", Type: alert.TypeWebhook, URL: slow.URL})
	mustRule(t, m, func(s *alert.RuleSpec) { s.Channels = []string{"slow"} })
	_, addr := startEngine(t, m)
	sendUDP(t, addr, "msg=deny")
	waitFor(t, "retry then give up", func() bool { return joined(statuses(t, m, "slow")) == "retrying,gave_up" })
	ds, _ := m.Deliveries("slow", 10)
	if !strings.Contains(ds[0].Error, "deadline exceeded") && !strings.Contains(ds[0].Error, "Timeout") {
		t.Fatalf("timeout error; got %q", ds[0].Error)
	}
}

func TestTelegramChannelCallsSendMessage(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c)
	bot := newReceiver(t)
	mustChannel(t, m, alert.ChannelSpec{Name: "tg", Type: alert.TypeTelegram, Token: "123:ABC", ChatID: "-1001", APIURL: bot.URL})
	mustRule(t, m, func(s *alert.RuleSpec) { s.Channels, s.Word = []string{"tg"}, "DENY" })
	if ch, _ := m.Channel("tg"); ch.TokenSet == nil || !*ch.TokenSet {
		t.Fatalf("token_set; got %+v", ch)
	}
	m.SetPublicURL("https://logs.example.net/") // the setting public_url
	_, addr := startEngine(t, m)
	sendUDP(t, addr, "msg=deny user=alice", "msg=denying user=bob")
	waitFor(t, "a telegram message", func() bool { return len(bot.Bodies()) == 1 })
	var got struct {
		ChatID string `json:"chat_id"`
		Text   string `json:"text"`
	}
	if err := json.Unmarshal([]byte(bot.Bodies()[0]), &got); err != nil {
		t.Fatal(err)
	}
	bot.mu.Lock()
	first := bot.paths[0]
	bot.mu.Unlock()
	if first != "/bot123:ABC/sendMessage" || got.ChatID != "-1001" {
		t.Fatalf("unexpected call; got %s %+v", first, got)
	}
	for _, want := range []string{`"deny"`, `engine "fw"`, "1 matching rows within 60 s", "> msg=deny user=alice", "\nhttps://logs.example.net/engines/fw/logs?", "match=word"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q; got %q", want, got.Text)
		}
	}
	// A PUT without the token keeps it (secrets are write-only).
	if _, err := m.UpdateChannel("tg", alert.ChannelSpec{Name: "tg", ChatID: "@noc_alerts", APIURL: bot.URL, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	res, err := m.TestChannel(context.Background(), "tg")
	if err != nil || !res.OK {
		t.Fatalf("test message; got %+v %v", res, err)
	}
	bot.mu.Lock()
	path, body := bot.paths[1], bot.bodies[1]
	bot.mu.Unlock()
	if path != "/bot123:ABC/sendMessage" || !strings.Contains(body, `"chat_id":"@noc_alerts"`) {
		t.Fatalf("after the update; got %s %s", path, body)
	}
}

func TestFullQueueSkipsBatchesWithoutBlocking(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	m := newStoppedManager(t, fe, c, func(cfg *alert.Config) { cfg.QueueBatches = 1 })
	mustRule(t, m, func(s *alert.RuleSpec) {})
	got := []bool{m.OfferRows(&engine.RowBatch{Engine: "fw"}), m.OfferRows(&engine.RowBatch{Engine: "fw"}), m.OfferRows(&engine.RowBatch{Engine: "fw"})}
	if fmt.Sprint(got) != "[true false false]" || m.Skipped() != 2 {
		t.Fatalf("offers; got %v skipped %d; want [true false false], 2", got, m.Skipped())
	}
	if m.OfferRows(&engine.RowBatch{Engine: "other"}) {
		t.Fatal("a batch of an engine without rules was taken")
	}
}

func TestHealthRulesFireOnStateDropsSilenceAndDisk(t *testing.T) {
	c, fe := newClock(), &fakeEngines{free: 50}
	m := newManager(t, fe, c)
	hook := newReceiver(t)
	mustChannel(t, m, alert.ChannelSpec{Name: "hook", Type: alert.TypeWebhook, URL: hook.URL})
	for _, h := range []struct {
		name, health string
		threshold    float64
	}{{"failed", alert.HealthEngineFailed, 0}, {"kdrops", alert.HealthKernelDrops, 0}, {"quiet", alert.HealthNoLogs, 5}, {"disk", alert.HealthDiskFreeBelow, 10}} {
		s := alert.DefaultRule()
		s.Name, s.Engine, s.Kind, s.Health, s.Threshold, s.Channels = h.name, "fw", alert.KindHealth, h.health, h.threshold, []string{"hook"}
		if h.health == alert.HealthDiskFreeBelow {
			s.Engine = ""
		}
		if _, err := m.CreateRule(s); err != nil {
			t.Fatal(err)
		}
	}
	st := engine.Stats{State: engine.StateRunning, Received: 10}
	check := func(edit func(*engine.Stats), advance time.Duration) {
		edit(&st)
		c.Add(advance)
		fe.setHealth(alert.EngineHealth{Name: "fw", Stats: st})
		m.CheckHealth()
	}
	fired := func() string {
		var out []string
		for _, r := range m.Rules() {
			out = append(out, fmt.Sprintf("%s=%d", r.Name, r.FiredTotal))
		}
		return joined(out)
	}
	check(func(s *engine.Stats) {}, 0)
	check(func(s *engine.Stats) { s.Received = 20 }, time.Minute)
	if got := fired(); got != "disk=0,failed=0,kdrops=0,quiet=0" {
		t.Fatalf("healthy; got %s", got)
	}
	check(func(s *engine.Stats) { s.KernelDrops, s.Received = 7, 30 }, time.Minute)
	check(func(s *engine.Stats) { s.State, s.Reason = engine.StateFailed, "bind: address in use" }, time.Minute)
	check(func(s *engine.Stats) {}, time.Minute) // still failed: within the cooldown
	if got := fired(); got != "disk=0,failed=1,kdrops=1,quiet=0" {
		t.Fatalf("after drops and a failure; got %s", got)
	}
	check(func(s *engine.Stats) { s.State, s.Reason = engine.StateRunning, "" }, time.Minute)
	check(func(s *engine.Stats) {}, 5*time.Minute) // nothing received for 6 min (since it failed)
	fe.mu.Lock()
	fe.free = 4
	fe.mu.Unlock()
	check(func(s *engine.Stats) {}, time.Second)
	if got := fired(); got != "disk=1,failed=1,kdrops=1,quiet=1" {
		t.Fatalf("after silence and a full disk; got %s", got)
	}
	if r := rule(t, m, "failed"); r.SuppressedTotal != 1 {
		t.Fatalf("suppressed within the cooldown; got %d; want 1", r.SuppressedTotal)
	}
	waitFor(t, "four webhook calls", func() bool { return len(hook.Bodies()) == 4 })
	bodies := strings.Join(hook.Bodies(), "\n")
	for _, want := range []string{"kernel_drops grew by 7", "engine failed: bind: address in use", "no logs for 6m0s", "disk free 4.0 % is below 10.0 %"} {
		if !strings.Contains(bodies, want) {
			t.Errorf("webhook bodies lack %q; got %s", want, bodies)
		}
	}
}

func TestNoLogsFromAKnownSenderFires(t *testing.T) {
	c, fe := newClock(), &fakeEngines{}
	m := newManager(t, fe, c)
	s := alert.DefaultRule()
	s.Name, s.Engine, s.Kind, s.Health, s.Threshold, s.Sender = "quiet-router", "fw", alert.KindHealth, alert.HealthNoLogs, 2, "127.0.0.1"
	if _, err := m.CreateRule(s); err != nil {
		t.Fatal(err)
	}
	// A log rule on the same rows tells when their batch was evaluated.
	mustRule(t, m, func(s *alert.RuleSpec) { s.Word = "hello"; s.When = nil })
	e, addr := startEngine(t, m)
	fe.setHealth(alert.EngineHealth{Name: "fw", Stats: e.Stats()})
	c.Add(90 * time.Second)
	sendUDP(t, addr, "msg=hello")
	waitFor(t, "the evaluation of the row", func() bool { return rule(t, m, "deny").FiredTotal == 1 })
	c.Add(90 * time.Second)
	m.CheckHealth()
	if r := rule(t, m, "quiet-router"); r.FiredTotal != 0 {
		t.Fatalf("fired 90 s after the sender's last row; got %d", r.FiredTotal)
	}
	c.Add(31 * time.Second)
	m.CheckHealth()
	if r := rule(t, m, "quiet-router"); r.FiredTotal != 1 {
		t.Fatalf("not fired 2 min after the sender's last row; got %d", r.FiredTotal)
	}
	var h []alert.Alert
	waitFor(t, "the alert in the history", func() bool { h, _ = m.History(metaFilter("quiet-router")); return len(h) == 1 })
	if h[0].Group != "127.0.0.1" || !strings.Contains(h[0].Message, `no logs from sender "127.0.0.1" for 2m1s`) {
		t.Fatalf("history; got %+v", h)
	}
}
