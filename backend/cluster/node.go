package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Node is this process's part of the cluster: its NATS connection, the
// stream, the publisher (ingest) and the consumer (store). Close stops it.
type Node struct {
	cfg    Config
	srv    *server.Server // Embedded only
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	claims jetstream.KeyValue
	nodes  jetstream.KeyValue // the registry (registry.go)
	stores jetstream.KeyValue // StoresBucket
	pub    *Publisher
	secret []byte // signs the requests between nodes (peer_auth.go)

	addr        atomic.Pointer[string]     // SetAddr
	engineStats atomic.Pointer[func() any] // SetEngineStats

	beatCancel context.CancelFunc
	beatDone   chan struct{}
	beatKick   chan struct{} // beatNow
	closed     chan struct{} // closed by the connection's ClosedHandler

	mu       sync.Mutex
	consumer *consumer

	closeOnce sync.Once
	closeErr  error
}

// Start connects to NATS (starting the embedded server for Embedded) and
// checks or creates the stream and the claims bucket. While NATS cannot be
// reached it logs why and tries again every cfg.RetryEvery until ctx ends;
// a wrong setting (a *FieldError) or a stream with other retention settings
// than logsieve needs (a *StreamError) is returned at once.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Fill(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, closed: make(chan struct{}), beatKick: make(chan struct{}, 1)}
	n.pub = newPublisher(n) // publishes once connected; before: the handlers below use it
	var closeOnce sync.Once
	opts := []nats.Option{
		nats.ClosedHandler(func(*nats.Conn) { closeOnce.Do(func() { close(n.closed) }) }),
		nats.Name("logsieve " + cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.RetryEvery),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.pub.connectionLost()
			if err != nil {
				cfg.Log.Warn("NATS connection lost; reconnecting", "node", cfg.Node, "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			cfg.Log.Info("NATS connection back", "node", cfg.Node, "server", c.ConnectedUrlRedacted())
		}),
	}
	var urls string
	if cfg.NATS == Embedded {
		srv, err := startEmbedded(cfg.DataDir, cfg.Node)
		if err != nil {
			return nil, err
		}
		n.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
		urls = "embedded"
	} else {
		list, _ := SplitURLs(cfg.NATS) // checked by Fill
		urls = strings.Join(list, ",")
	}
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(urls, opts...)
		if err == nil {
			n.nc = nc
			break
		}
		cfg.Log.Error("cannot reach NATS; retrying", "nats", urls, "attempt", attempt, "every", cfg.RetryEvery, "err", err)
		select {
		case <-ctx.Done():
			n.Close()
			return nil, fmt.Errorf("cannot reach NATS at %s: %w (gave up: %w)", urls, err, ctx.Err())
		case <-time.After(cfg.RetryEvery):
		}
	}
	js, err := jetstream.New(n.nc)
	if err != nil {
		n.Close()
		return nil, err
	}
	n.js = js
	if n.cfg.Replicas <= 0 {
		n.cfg.Replicas = min(3, len(n.nc.Servers()))
	}
	for attempt := 1; ; attempt++ {
		err = n.setUp(ctx)
		var se *StreamError
		if err == nil || errors.As(err, &se) {
			break
		}
		cfg.Log.Error("cannot set up the JetStream stream; retrying", "nats", urls, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			n.Close()
			return nil, fmt.Errorf("cannot set up the JetStream stream at %s: %w (gave up: %w)", urls, err, ctx.Err())
		case <-time.After(cfg.RetryEvery):
		}
	}
	if err != nil {
		n.Close()
		return nil, err
	}
	bctx, bcancel := context.WithCancel(context.Background())
	n.beatCancel, n.beatDone = bcancel, make(chan struct{})
	go n.heartbeat(bctx)
	cfg.Log.Info("cluster node connected", "node", cfg.Node, "role", cfg.Role, "nats", n.nc.ConnectedUrlRedacted(),
		"replicas", n.cfg.Replicas)
	return n, nil
}

// setUp checks or creates the stream and the claims bucket.
func (n *Node) setUp(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := ensureStream(ctx, n.js, n.cfg.Replicas)
	if err != nil {
		return err
	}
	kv, err := n.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ClaimsBucket,
		Description: "logsieve: which store node writes each batch",
		TTL:         claimsTTL,
		Replicas:    n.cfg.Replicas,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("cannot open the key-value bucket %q: %w", ClaimsBucket, err)
	}
	n.stream, n.claims = st, kv
	if err := n.openSecret(ctx); err != nil {
		return err
	}
	return n.openRegistry(ctx)
}

// Config returns the node's setting with its defaults filled.
func (n *Node) Config() Config { return n.cfg }

// Sink returns the publisher of engine's batches (ingest roles).
func (n *Node) Sink(engine string) *EngineSink { return n.pub.sink(engine, "", nil) }

// SinkFor is Sink for the engine definition of spool id owner (the engine
// record's SpoolID): an unacked spool an earlier definition of the same
// name left is moved aside, not published, and reported to orphaned
// (docs/cluster.md).
func (n *Node) SinkFor(engine, owner string, orphaned func(path string, bytes int64)) *EngineSink {
	return n.pub.sink(engine, owner, orphaned)
}

// PurgeUnacked deletes this node's unacked spool of engine, which is no
// longer defined (a purge of the engine).
func (n *Node) PurgeUnacked(engine string) error { return n.pub.purgeUnacked(engine) }

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := n.pub.stats()
	if a := n.addr.Load(); a != nil {
		s.Addr = *a
	}
	n.mu.Lock()
	if n.consumer != nil {
		n.consumer.addStats(&s)
	}
	n.mu.Unlock()
	return s
}

// StopRetrying makes publishes that still wait for NATS give up (their rows
// count as write errors); call it when shutting down with NATS gone.
func (n *Node) StopRetrying() { n.pub.stopRetrying() }

// StopStore stops consuming: the batch being written is committed and
// acked, the writers are closed. Batches not yet fetched stay in the stream.
func (n *Node) StopStore() error {
	n.mu.Lock()
	c := n.consumer
	n.consumer = nil
	n.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.stop()
}

// Close stops the consumer (waiting for the batch it writes), closes the
// connection and the embedded server. A second Close does nothing.
func (n *Node) Close() error {
	n.closeOnce.Do(func() { n.closeErr = n.close() })
	return n.closeErr
}

func (n *Node) close() error {
	err := n.StopStore()
	if n.beatCancel != nil {
		n.beatCancel()
		<-n.beatDone
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = n.nodes.Delete(ctx, n.cfg.Node) // gone now, not after the TTL
		cancel()
	}
	if n.pub != nil {
		n.pub.stopRetrying()
		n.pub.close()
	}
	if n.nc != nil {
		if n.nc.Drain() == nil {
			select {
			case <-n.closed:
			case <-time.After(5 * time.Second):
			}
		}
		n.nc.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
	return err
}
