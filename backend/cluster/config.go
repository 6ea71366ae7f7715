// Package cluster spreads logsieve over several nodes on NATS JetStream:
// ingest nodes publish every engine's parsed batches to one replicated
// stream, store nodes consume them into the day files. Without a NATS
// setting none of this runs (a single box, as before).
package cluster

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Roles of a node.
const (
	RoleAll    = "all"    // receive, publish and store (default)
	RoleIngest = "ingest" // run the engines' listeners and publish their batches
	RoleStore  = "store"  // consume the batches into the day files; no listeners
)

// Embedded is the NATS setting that runs an in-process NATS server with
// JetStream in <data>/nats.
const Embedded = "embedded"

// Config is a node's cluster setting (serve --nats/--node/--role).
type Config struct {
	// NATS is a comma-separated list of NATS URLs, or Embedded; "" turns
	// the cluster off.
	NATS string
	Node string // this node's name; default the host name
	Role string // RoleAll (default), RoleIngest or RoleStore
	// Secret signs the requests nodes send each other's API (the query
	// fan-out); at least 16 bytes, the same on every node. Empty: the
	// nodes share one generated into the key-value bucket LOGSIEVE_CLUSTER.
	Secret string
	// DataDir is the node's data directory (<DataDir>/nats for Embedded).
	DataDir string
	Log     *slog.Logger

	// Tuning, defaults noted (tests shorten them).
	Replicas     int           // stream and bucket replicas; default min(3, servers known)
	AckWait      time.Duration // a batch not acked this long goes to another store node; default 15 s
	RetryEvery   time.Duration // pause between connection and publish attempts; default 1 s
	PublishWait  time.Duration // one publish attempt waits this long for its ack; default 1 s (a claim 5×)
	ClaimTimeout time.Duration // a redelivered batch claimed by another node waits this long; default 2 s
	// UnackedAfter: a message of an ingest node not acked this long is
	// written to its engine's unacked spool on disk (<DataDir>/cluster/unacked/<engine>,
	// unacked.go) and accepted; default 1 s, negative: never (no DataDir: never).
	UnackedAfter time.Duration
	// UnackedMaxBytes bounds each engine's unacked spool; default 1 GiB.
	UnackedMaxBytes int64

	// ackHook, when set, is called after a batch is committed; false
	// skips its ack, as a store node dying right after the commit (tests).
	ackHook func(id string) bool
}

// Enabled reports whether a NATS setting is given.
func (c Config) Enabled() bool { return c.NATS != "" }

// Ingests reports whether the node runs listeners and publishes.
func (c Config) Ingests() bool { return c.Role == RoleAll || c.Role == RoleIngest }

// Stores reports whether the node consumes batches into its day files.
func (c Config) Stores() bool { return c.Role == RoleAll || c.Role == RoleStore }

// FieldError names the setting that is wrong.
type FieldError struct {
	Field  string // "nats", "node", "role" or "cluster_secret"
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason) }

var nodeName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Fill validates c and sets the defaults; a wrong setting is a *FieldError.
func (c *Config) Fill() error {
	if c.Role == "" {
		c.Role = RoleAll
	}
	switch c.Role {
	case RoleAll, RoleIngest, RoleStore:
	default:
		return &FieldError{"role", fmt.Sprintf("%q is not one of all, ingest, store", c.Role)}
	}
	if c.Node == "" {
		h, err := os.Hostname()
		if err != nil {
			return &FieldError{"node", "no name given and no host name: " + err.Error()}
		}
		c.Node = strings.Map(func(r rune) rune {
			if r == '.' {
				return '_'
			}
			return r
		}, h)
	}
	if !nodeName.MatchString(c.Node) {
		return &FieldError{"node", fmt.Sprintf("%q: use 1-64 letters, digits, _ or -", c.Node)}
	}
	if c.Secret != "" && len(c.Secret) < minSecretLen {
		return &FieldError{"cluster_secret", fmt.Sprintf("%d bytes: use at least %d", len(c.Secret), minSecretLen)}
	}
	if c.NATS != Embedded {
		if _, err := SplitURLs(c.NATS); err != nil {
			return err
		}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.AckWait <= 0 {
		c.AckWait = 15 * time.Second
	}
	if c.RetryEvery <= 0 {
		c.RetryEvery = time.Second
	}
	if c.PublishWait <= 0 {
		c.PublishWait = time.Second
	}
	if c.ClaimTimeout <= 0 {
		c.ClaimTimeout = 2 * time.Second
	}
	if c.UnackedAfter == 0 {
		c.UnackedAfter = time.Second
	}
	if c.UnackedMaxBytes <= 0 {
		c.UnackedMaxBytes = 1 << 30
	}
	return nil
}

// SplitURLs checks a comma-separated NATS URL list: each needs a host and
// the scheme nats, tls, ws or wss (none: nats).
func SplitURLs(list string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		s := raw
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		if err != nil {
			return nil, &FieldError{"nats", fmt.Sprintf("%q is not a URL: %v", raw, err)}
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return nil, &FieldError{"nats", fmt.Sprintf("%q: scheme %q is not nats, tls, ws or wss", raw, u.Scheme)}
		}
		if u.Hostname() == "" {
			return nil, &FieldError{"nats", fmt.Sprintf("%q has no host", raw)}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, &FieldError{"nats", "no URL given (a comma-separated list of nats://host:port, or embedded)"}
	}
	return out, nil
}
