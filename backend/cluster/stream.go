package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Names in NATS.
const (
	StreamName    = "LOGSIEVE_ROWS"   // the stream of every engine's batches
	SubjectPrefix = "logsieve.rows."  // + engine name
	ConsumerName  = "logsieve-store"  // the durable consumer shared by the store nodes
	ClaimsBucket  = "LOGSIEVE_CLAIMS" // batch id -> the store node writing it
	claimsTTL     = 24 * time.Hour
	dedupeWindow  = 2 * time.Minute // Nats-Msg-Id duplicates window
	maxPayload    = 8 << 20         // the embedded server's largest message
)

// StreamError is an existing stream whose settings logsieve cannot use.
type StreamError struct {
	Stream string
	Reason string
}

func (e *StreamError) Error() string {
	return fmt.Sprintf("refusing JetStream stream %q: %s; delete it (nats stream rm %s) or fix it to let logsieve use it", e.Stream, e.Reason, e.Stream)
}

// streamConfig is the stream logsieve creates: a work queue (a batch is
// deleted once a store node acked it), on disk, replicated, no age or size
// limit that could drop a batch before it is stored.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "logsieve: parsed batches from the ingest nodes, consumed by the store nodes",
		Subjects:    []string{SubjectPrefix + ">"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Duplicates:  dedupeWindow,
		Discard:     jetstream.DiscardNew,
	}
}

// checkStream returns a *StreamError when an existing stream's settings
// would lose or keep batches other than logsieve expects.
func checkStream(got jetstream.StreamConfig) error {
	want := streamConfig(got.Replicas)
	reason := ""
	switch {
	case got.Retention != want.Retention:
		reason = fmt.Sprintf("retention is %q, logsieve needs %q (a batch is removed once stored)", got.Retention, want.Retention)
	case got.Storage != want.Storage:
		reason = fmt.Sprintf("storage is %q, logsieve needs %q", got.Storage, want.Storage)
	case !slices.Equal(got.Subjects, want.Subjects):
		reason = fmt.Sprintf("subjects are %q, logsieve needs %q", got.Subjects, want.Subjects)
	case got.MaxAge != 0:
		reason = fmt.Sprintf("max age is %s: batches not yet stored would be deleted; logsieve needs none", got.MaxAge)
	case got.Discard != want.Discard && (got.MaxBytes > 0 || got.MaxMsgs > 0):
		reason = fmt.Sprintf("discard is %q with limits: batches not yet stored would be deleted; logsieve needs %q", got.Discard, want.Discard)
	case got.Duplicates < time.Second:
		reason = fmt.Sprintf("duplicates window is %s: a publish retried after a lost ack would be stored twice", got.Duplicates)
	}
	if reason != "" {
		return &StreamError{Stream: got.Name, Reason: reason}
	}
	return nil
}

// ensureStream returns the stream, created when missing, refused with a
// *StreamError when its settings differ from what logsieve needs.
func ensureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, streamConfig(replicas))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			st, err = js.Stream(ctx, StreamName) // another node made it first
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open JetStream stream %q: %w", StreamName, err)
	}
	if err := checkStream(st.CachedInfo().Config); err != nil {
		return nil, err
	}
	return st, nil
}
