package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/alert"
	"github.com/logsieve/logsieve/backend/meta"
)

// alertName returns the :name of an alerts route after checking it against the name rule.
func alertName(c *fiber.Ctx) (string, error) {
	n := c.Params("name")
	if !alert.ValidName(n) {
		return "", badRequest("name", "invalid name in the path")
	}
	return n, nil
}

// channelIn is the body of POST/PUT /alerts/channels: enabled defaults to true.
type channelIn struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Enabled  *bool             `json:"enabled"`
	URL      string            `json:"url"`
	Secret   string            `json:"secret"`
	Headers  map[string]string `json:"headers"`
	Token    string            `json:"token"`
	ChatID   string            `json:"chat_id"`
	APIURL   string            `json:"api_url"`
	Host     string            `json:"host"`
	Port     int               `json:"port"`
	TLS      string            `json:"tls"`
	Username string            `json:"username"`
	Password string            `json:"password"`
	From     string            `json:"from"`
	To       []string          `json:"to"`
}

func (in channelIn) spec() alert.ChannelSpec {
	s := alert.ChannelSpec{Name: in.Name, Type: in.Type, Enabled: in.Enabled == nil || *in.Enabled,
		URL: in.URL, Secret: in.Secret, Headers: in.Headers, Token: in.Token, ChatID: in.ChatID, APIURL: in.APIURL,
		Host: in.Host, Port: in.Port, TLS: in.TLS, Username: in.Username, Password: in.Password, From: in.From, To: in.To}
	return s
}

func (s *Server) listAlertChannels(c *fiber.Ctx) error {
	return c.JSON(s.d.Factory.Alerts().Channels())
}

func (s *Server) getAlertChannel(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	ch, err := s.d.Factory.Alerts().Channel(n)
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (s *Server) createAlertChannel(c *fiber.Ctx) error {
	var in channelIn
	if err := decode(c, &in); err != nil {
		return err
	}
	ch, err := s.d.Factory.Alerts().CreateChannel(in.spec())
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(ch)
}

func (s *Server) updateAlertChannel(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	in := channelIn{Name: n}
	if err := decode(c, &in); err != nil {
		return err
	}
	ch, err := s.d.Factory.Alerts().UpdateChannel(n, in.spec())
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (s *Server) deleteAlertChannel(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	if err := s.d.Factory.Alerts().DeleteChannel(n); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) testAlertChannel(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	res, err := s.d.Factory.Alerts().TestChannel(c.UserContext(), n)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) alertDeliveries(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 100, 1, meta.MaxDeliveriesPerChannel)
	if err != nil {
		return err
	}
	ds, err := s.d.Factory.Alerts().Deliveries(n, limit)
	if err != nil {
		return err
	}
	return c.JSON(ds)
}

// ruleIn is the body of POST/PUT /alerts/rules, with the defaults preset.
func ruleIn(c *fiber.Ctx, name string) (alert.RuleSpec, error) {
	in := alert.DefaultRule()
	in.Name = name
	return in, decode(c, &in)
}

func (s *Server) listAlertRules(c *fiber.Ctx) error {
	return c.JSON(s.d.Factory.Alerts().Rules())
}

func (s *Server) getAlertRule(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	r, err := s.d.Factory.Alerts().Rule(n)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) createAlertRule(c *fiber.Ctx) error {
	in, err := ruleIn(c, "")
	if err != nil {
		return err
	}
	r, err := s.d.Factory.Alerts().CreateRule(in)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(r)
}

func (s *Server) updateAlertRule(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	in, err := ruleIn(c, n)
	if err != nil {
		return err
	}
	r, err := s.d.Factory.Alerts().UpdateRule(n, in)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) deleteAlertRule(c *fiber.Ctx) error {
	n, err := alertName(c)
	if err != nil {
		return err
	}
	if err := s.d.Factory.Alerts().DeleteRule(n); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

func (s *Server) alertsFiring(c *fiber.Ctx) error {
	return c.JSON(s.d.Factory.Alerts().Firing())
}

func (s *Server) alertHistory(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	f := meta.AlertFilter{Rule: c.Query("rule"), Engine: c.Query("engine"), Limit: limit}
	as, err := s.d.Factory.Alerts().History(f)
	if err != nil {
		return err
	}
	return c.JSON(as)
}
