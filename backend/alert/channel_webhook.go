package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// SignatureHeader carries the HMAC-SHA256 of a webhook body with the
// channel's secret: "sha256=<hex>".
const SignatureHeader = "X-Logsieve-Signature"

// Sign returns the signature header value of body with secret.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// webhook POSTs the alert as JSON.
type webhook struct {
	spec   ChannelSpec
	client *http.Client
}

func (w *webhook) send(ctx context.Context, a *Alert) (int, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.spec.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range w.spec.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "logsieve-alert")
	if w.spec.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(body, w.spec.Secret))
	}
	return do(w.client, req)
}

// do sends req and maps any status but 2xx to an error.
func do(client *http.Client, req *http.Request) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return resp.StatusCode, nil
}
