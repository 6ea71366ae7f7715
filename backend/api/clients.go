package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/factory"
)

// clientParam returns the :client of a client route after checking it against the
// client name rule (the engine-name rule).
func clientParam(c *fiber.Ctx) (string, error) {
	n := c.Params("client")
	if !factory.ValidEngineName(n) {
		return "", badRequest("client", "invalid client name in the path")
	}
	return n, nil
}

// listClients: GET /engines/:name/clients — [{name, match, rows}] in match order.
func (s *Server) listClients(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	cs, err := s.d.Factory.Clients(c.UserContext(), name)
	if err != nil {
		return err
	}
	return c.JSON(cs)
}

// clientsAnswer answers the engine's client list (after a change).
func (s *Server) clientsAnswer(c *fiber.Ctx, name string, status int) error {
	cs, err := s.d.Factory.Clients(c.UserContext(), name)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(cs)
}

// createClient: POST /engines/:name/clients {name, match} — appended to the match order.
func (s *Server) createClient(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	var cl factory.ClientSpec
	if err := decode(c, &cl); err != nil {
		return err
	}
	if err := s.d.Factory.AddClient(name, cl); err != nil {
		return err
	}
	s.audit(c, "client.create", name+"/"+cl.Name)
	return s.clientsAnswer(c, name, http.StatusCreated)
}

// replaceClients: PUT /engines/:name/clients [{name, match}, ...] — the whole list, in
// match order.
func (s *Server) replaceClients(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	cs := []factory.ClientSpec{}
	if err := decode(c, &cs); err != nil {
		return err
	}
	if err := s.d.Factory.ReplaceClients(name, cs); err != nil {
		return err
	}
	s.audit(c, "client.replace", name)
	return s.clientsAnswer(c, name, http.StatusOK)
}

// patchClient: PATCH /engines/:name/clients/:client {name?, match?} — laid over the
// current client; its place in the order is kept.
func (s *Server) patchClient(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	client, err := clientParam(c)
	if err != nil {
		return err
	}
	cl, err := s.d.Factory.Client(name, client)
	if err != nil {
		return err
	}
	if err := decode(c, &cl); err != nil {
		return err
	}
	if err := s.d.Factory.UpdateClient(name, client, cl); err != nil {
		return err
	}
	s.audit(c, "client.update", name+"/"+client)
	return s.clientsAnswer(c, name, http.StatusOK)
}

// deleteClient: DELETE /engines/:name/clients/:client[?purge=true] — 204, or 202 {job}
// when purging its rows in the background.
func (s *Server) deleteClient(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	client, err := clientParam(c)
	if err != nil {
		return err
	}
	purge, err := boolQuery(c, "purge")
	if err != nil {
		return err
	}
	job, err := s.d.Factory.DeleteClient(name, client, purge)
	if err != nil {
		return err
	}
	s.audit(c, "client.delete", name+"/"+client)
	if job == nil {
		return c.SendStatus(http.StatusNoContent)
	}
	return c.Status(http.StatusAccepted).JSON(fiber.Map{"job": job})
}

// getJob: GET /jobs/:id — {id, kind, target, state, progress, deleted, error?}.
func (s *Server) getJob(c *fiber.Ctx) error {
	id := c.Params("id")
	if len(id) == 0 || len(id) > 64 {
		return badRequest("id", "invalid job id")
	}
	j, err := s.d.Factory.Job(id)
	if err != nil {
		return err
	}
	return c.JSON(j)
}

// engineEvents: GET /engines/:name/events?limit= — newest first.
func (s *Server) engineEvents(c *fiber.Ctx) error {
	name, err := engineParam(c)
	if err != nil {
		return err
	}
	limit, err := intQuery(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	evs, err := s.d.Factory.Events(name, limit)
	if err != nil {
		return err
	}
	return c.JSON(evs)
}
