package alert

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Alert is one firing of a rule, as the history, the webhook body and the
// messages show it.
type Alert struct {
	ID      int64               `json:"id"`
	Time    time.Time           `json:"time"`
	Rule    string              `json:"rule"`
	Engine  string              `json:"engine"`
	Group   string              `json:"group"`
	Count   int                 `json:"count"`
	WindowS int                 `json:"window_s"`
	Message string              `json:"message"` // a health rule's finding; "" for log rules
	Rows    []map[string]string `json:"rows"`
	Link    string              `json:"link"`
	// Deliveries is each channel's outcome so far (history; empty in the webhook body).
	Deliveries []DeliverySummary `json:"deliveries"`
}

// DeliverySummary is the last known state of an alert's delivery to a channel.
type DeliverySummary struct {
	Channel  string `json:"channel"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Error    string `json:"error"`
}

// Delivery statuses.
const (
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusRetrying = "retrying"
	StatusGaveUp   = "gave_up"
)

// Delivery is one recorded delivery attempt.
type Delivery struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Channel    string    `json:"channel"`
	Rule       string    `json:"rule"`
	AlertID    int64     `json:"alert_id"`
	Attempt    int       `json:"attempt"`
	Status     string    `json:"status"`
	HTTPStatus int       `json:"http_status,omitempty"`
	Error      string    `json:"error"`
}

// Firing is a (rule, engine, group) that fired within its cooldown.
type Firing struct {
	Rule   string    `json:"rule"`
	Engine string    `json:"engine"`
	Group  string    `json:"group"`
	Since  time.Time `json:"since"`
}

// Text is the alert as a plain message: rule, engine, count, window, the
// first rows and the browse link.
func (a *Alert) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "logsieve alert %q on engine %q", a.Rule, a.Engine)
	if a.Group != "" {
		fmt.Fprintf(&b, " (group %q)", a.Group)
	}
	b.WriteString("\n")
	if a.Message != "" {
		b.WriteString(a.Message + "\n")
	} else {
		fmt.Fprintf(&b, "%d matching rows within %d s\n", a.Count, a.WindowS)
	}
	for _, r := range a.Rows {
		if o, ok := r["original_log"]; ok {
			b.WriteString("> " + o + "\n")
			continue
		}
		parts := make([]string, 0, len(r))
		for k, v := range r {
			parts = append(parts, k+"="+v)
		}
		b.WriteString("> " + strings.Join(parts, " ") + "\n")
	}
	if a.Link != "" {
		b.WriteString(a.Link + "\n")
	}
	b.WriteString(a.Time.UTC().Format(time.RFC3339) + "\n")
	return b.String()
}

// link returns the browse link of a log rule's alert: the engine's logs of
// the day with the rule's filters that the log page can express (equals and
// contains conditions, the word, the group).
func link(s *RuleSpec, engine, group string, day string) string {
	q := url.Values{}
	q.Set("date", day)
	for _, c := range s.When {
		switch c.Op {
		case OpEquals:
			q.Add("filter", c.Column+"="+c.Value.One())
		case OpContains:
			q.Add("filter", c.Column+":"+c.Value.One())
		}
	}
	if s.GroupBy != "" && group != "" {
		q.Add("filter", s.GroupBy+"="+group)
	}
	if s.Word != "" {
		q.Set("q", s.Word)
		q.Set("match", "word")
	}
	return "/engines/" + url.PathEscape(engine) + "/logs?" + q.Encode()
}
