package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/logsieve/logsieve/backend/cluster"
)

// ClusterNode is what GET /cluster reads of this node's cluster part.
type ClusterNode interface {
	Stats() cluster.Stats
}

// clusterStatus is GET /cluster: this node's name, role and counters;
// enabled false on a single box.
type clusterStatus struct {
	Enabled bool `json:"enabled"`
	cluster.Stats
}

func (s *Server) getCluster(c *fiber.Ctx) error {
	if s.d.Cluster == nil {
		return c.JSON(clusterStatus{})
	}
	return c.JSON(clusterStatus{Enabled: true, Stats: s.d.Cluster.Stats()})
}
