package cluster

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startEmbedded runs an in-process NATS server with JetStream storing in
// <dataDir>/nats. It listens on no port: the node connects in process.
func startEmbedded(dataDir, node string) (*server.Server, error) {
	dir := filepath.Join(dataDir, "nats")
	opts := &server.Options{
		ServerName: node,
		DontListen: true,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: maxPayload,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cannot start the embedded NATS server in %q: %w", dir, err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS server in %q not ready after 30 s", dir)
	}
	return s, nil
}
