package alert

import (
	"context"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Channel types.
const (
	TypeWebhook  = "webhook"
	TypeTelegram = "telegram"
	TypeEmail    = "email"
)

// Email TLS modes.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// DefaultTelegramAPI is the Bot API base URL of a telegram channel without api_url.
const DefaultTelegramAPI = "https://api.telegram.org"

// ChannelSpec is a channel's definition, secrets included (ChannelIn of
// docs/alerts.md). Only the fields of its type are kept.
type ChannelSpec struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Enabled bool   `json:"enabled"`
	// webhook
	URL     string            `json:"url,omitempty"`
	Secret  string            `json:"secret,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// telegram
	Token  string `json:"token,omitempty"`
	ChatID string `json:"chat_id,omitempty"`
	APIURL string `json:"api_url,omitempty"`
	// email
	Host     string   `json:"host,omitempty"`
	Port     int      `json:"port,omitempty"`
	TLS      string   `json:"tls,omitempty"`
	Username string   `json:"username,omitempty"`
	Password string   `json:"password,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
}

// Channel is a channel as the API shows it: never a secret, only whether one is set.
type Channel struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	Enabled bool              `json:"enabled"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	ChatID  string            `json:"chat_id,omitempty"`
	APIURL  string            `json:"api_url,omitempty"`
	Host    string            `json:"host,omitempty"`
	Port    int               `json:"port,omitempty"`
	TLS     string            `json:"tls,omitempty"`
	// Username is shown (it is not a secret); the password is not.
	Username    string    `json:"username,omitempty"`
	From        string    `json:"from,omitempty"`
	To          []string  `json:"to,omitempty"`
	SecretSet   *bool     `json:"secret_set,omitempty"`
	TokenSet    *bool     `json:"token_set,omitempty"`
	PasswordSet *bool     `json:"password_set,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func boolp(b bool) *bool { return &b }

// view returns the API view of s.
func (s ChannelSpec) view(created, updated time.Time) Channel {
	c := Channel{Name: s.Name, Type: s.Type, Enabled: s.Enabled, CreatedAt: created, UpdatedAt: updated}
	switch s.Type {
	case TypeWebhook:
		c.URL, c.Headers, c.SecretSet = s.URL, s.Headers, boolp(s.Secret != "")
		if c.Headers == nil {
			c.Headers = map[string]string{}
		}
	case TypeTelegram:
		c.ChatID, c.APIURL, c.TokenSet = s.ChatID, s.APIURL, boolp(s.Token != "")
	case TypeEmail:
		c.Host, c.Port, c.TLS, c.Username, c.From, c.To = s.Host, s.Port, s.TLS, s.Username, s.From, s.To
		c.PasswordSet = boolp(s.Password != "")
	}
	return c
}

// keepSecrets takes over old's secrets where s leaves them empty (PUT).
func (s *ChannelSpec) keepSecrets(old ChannelSpec) {
	if s.Secret == "" {
		s.Secret = old.Secret
	}
	if s.Token == "" {
		s.Token = old.Token
	}
	if s.Password == "" {
		s.Password = old.Password
	}
}

// only keeps the fields of s's type.
func (s ChannelSpec) only() ChannelSpec {
	o := ChannelSpec{Name: s.Name, Type: s.Type, Enabled: s.Enabled}
	switch s.Type {
	case TypeWebhook:
		o.URL, o.Secret, o.Headers = s.URL, s.Secret, s.Headers
	case TypeTelegram:
		o.Token, o.ChatID, o.APIURL = s.Token, s.ChatID, s.APIURL
	case TypeEmail:
		o.Host, o.Port, o.TLS, o.Username, o.Password, o.From, o.To = s.Host, s.Port, s.TLS, s.Username, s.Password, s.From, s.To
	}
	return o
}

var (
	headerNameRe = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)
	chatIDRe     = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32})$`)
	hostRe       = regexp.MustCompile(`^[A-Za-z0-9.:\[\]-]{1,253}$`)
)

// validateChannel checks s (with defaults filled) and fills api_url and tls.
func validateChannel(s *ChannelSpec) error {
	if !ValidName(s.Name) {
		return invalid("name", "invalid channel name %q: use 1-64 letters, digits, '_' or '-'", s.Name)
	}
	switch s.Type {
	case TypeWebhook:
		if err := checkURL(s.URL); err != nil {
			return invalid("url", "invalid url %q: %v", s.URL, err)
		}
		for k, v := range s.Headers {
			if !headerNameRe.MatchString(k) || strings.EqualFold(k, "Content-Type") || strings.EqualFold(k, SignatureHeader) ||
				strings.EqualFold(k, "Host") || strings.EqualFold(k, "Content-Length") {
				return invalid("headers", "invalid or reserved header name %q", k)
			}
			if strings.ContainsAny(v, "\r\n\x00") || len(v) > 4096 {
				return invalid("headers", "invalid value of header %q", k)
			}
		}
		if len(s.Headers) > 32 {
			return invalid("headers", "at most 32 headers")
		}
	case TypeTelegram:
		if s.APIURL == "" {
			s.APIURL = DefaultTelegramAPI
		}
		if err := checkURL(s.APIURL); err != nil {
			return invalid("api_url", "invalid api_url %q: %v", s.APIURL, err)
		}
		if s.Token == "" || strings.ContainsAny(s.Token, "/?#% \t\r\n") || len(s.Token) > 200 {
			return invalid("token", "a telegram channel needs a bot token (as BotFather gives it)")
		}
		if !chatIDRe.MatchString(s.ChatID) {
			return invalid("chat_id", "invalid chat_id %q: a number or @channelname", s.ChatID)
		}
	case TypeEmail:
		if !hostRe.MatchString(s.Host) {
			return invalid("host", "invalid host %q", s.Host)
		}
		if s.TLS == "" {
			s.TLS = TLSStartTLS
		}
		switch s.TLS {
		case TLSStartTLS, TLSImplicit, TLSNone:
		default:
			return invalid("tls", "invalid tls %q: use \"starttls\", \"tls\" or \"none\"", s.TLS)
		}
		if s.Port == 0 {
			s.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[s.TLS]
		}
		if s.Port < 1 || s.Port > 65535 {
			return invalid("port", "invalid port %d: must be 1-65535", s.Port)
		}
		if strings.ContainsAny(s.Username+s.Password, "\r\n\x00") {
			return invalid("username", "the username and password may not hold line breaks")
		}
		if _, err := mail.ParseAddress(s.From); err != nil || strings.ContainsAny(s.From, "\r\n") {
			return invalid("from", "invalid from address %q", s.From)
		}
		if len(s.To) == 0 || len(s.To) > 50 {
			return invalid("to", "an email channel needs 1-50 recipients")
		}
		for _, a := range s.To {
			if _, err := mail.ParseAddress(a); err != nil || strings.ContainsAny(a, "\r\n") {
				return invalid("to", "invalid recipient %q", a)
			}
		}
	default:
		return invalid("type", "invalid type %q: use \"webhook\", \"telegram\" or \"email\"", s.Type)
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return err
	case u.Scheme != "http" && u.Scheme != "https":
		return errString("the scheme must be http or https")
	case u.Host == "":
		return errString("a host is needed")
	case u.User != nil:
		return errString("user info is not allowed; use headers")
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

// sender delivers an alert over one channel: one attempt, bounded by ctx.
// status is the HTTP status when there was one.
type sender interface {
	send(ctx context.Context, a *Alert) (status int, err error)
}

// senderFor returns the sender of s.
func (m *Manager) senderFor(s ChannelSpec) sender {
	switch s.Type {
	case TypeWebhook:
		return &webhook{spec: s, client: m.cfg.HTTPClient}
	case TypeTelegram:
		return &telegram{spec: s, client: m.cfg.HTTPClient}
	default:
		return &email{spec: s, tls: m.cfg.SMTPTLS}
	}
}
