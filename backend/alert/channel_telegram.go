package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// telegramMaxText is the longest message the Bot API takes.
const telegramMaxText = 4096

// telegram sends the alert's text with the Bot API's sendMessage.
type telegram struct {
	spec   ChannelSpec
	client *http.Client
}

func (t *telegram) send(ctx context.Context, a *Alert) (int, error) {
	text := a.Text()
	if len(text) > telegramMaxText {
		i := telegramMaxText - 3
		for i > 0 && !utf8.RuneStart(text[i]) {
			i--
		}
		text = text[:i] + "..."
	}
	body, err := json.Marshal(map[string]any{"chat_id": t.spec.ChatID, "text": text, "disable_web_page_preview": true})
	if err != nil {
		return 0, err
	}
	u := strings.TrimRight(t.spec.APIURL, "/") + "/bot" + t.spec.Token + "/sendMessage"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid telegram api_url") // the error would hold the token
	}
	req.Header.Set("Content-Type", "application/json")
	st, err := do(t.client, req)
	if err != nil {
		// A transport error names the URL, which holds the bot token.
		return st, errors.New(strings.ReplaceAll(err.Error(), t.spec.Token, "<token>"))
	}
	return st, nil
}
