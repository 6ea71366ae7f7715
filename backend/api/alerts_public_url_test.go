package api_test

import (
	"testing"

	"github.com/logsieve/logsieve/backend/internal/apitest"
)

// The setting public_url makes alert links absolute: PUT /settings validates
// it (400 naming the field) and hands it to the alert manager at once.
func TestPublicURLSettingReachesTheAlertLinks(t *testing.T) {
	e := newEnv(t)
	put := func(u string) apitest.Request {
		return apitest.Request{Method: "PUT", Path: "/api/v1/settings", Token: e.admin, Body: map[string]string{"public_url": u}}
	}
	e.Run(t, []apitest.Scenario{
		{Name: "no scheme", Request: put("logs.example.net"), Status: 400, Field: "public_url"},
		{Name: "a query", Request: put("https://logs.example.net/?a=1"), Status: 400, Field: "public_url"},
		{Name: "an address", Request: put("https://logs.example.net/"), Status: 200, Contains: []string{`"public_url":"https://logs.example.net/"`}},
	})
	if got := e.f.Alerts().PublicURL(); got != "https://logs.example.net" {
		t.Fatalf("alert manager's public URL; got %q; want https://logs.example.net", got)
	}
	e.Run(t, []apitest.Scenario{{Name: "back to relative", Request: put(""), Status: 200}})
	if got := e.f.Alerts().PublicURL(); got != "" {
		t.Fatalf("alert manager's public URL after clearing; got %q; want empty", got)
	}
}
