//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Messages the embedded backend logs when it gives up on an event. They
// are its dead-letter list as far as a client of localstack.Stack can see:
// the Stack does not hand out the embedded server itself.
var droppedEventMessages = []string{
	"lambda dropped an async event",                  // lambdasvc: retries exhausted
	"S3 notification not delivered",                  // s3svc: the invoke was refused
	"S3 notification dropped: the service is closed", // s3svc: lost at Close
}

// logRecord is a warning or error the harness logged.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs string
}

func (r logRecord) String() string { return fmt.Sprintf("%s %s %s", r.Level, r.Msg, r.Attrs) }

// recorder remembers the warnings and errors the harness logs, and passes
// every record on to the handler that prints them.
type recorder struct {
	next slog.Handler
	pre  []slog.Attr // from WithAttrs, rendered into Attrs
	st   *recorderState
}

type recorderState struct {
	mu   sync.Mutex
	recs []logRecord
}

func newRecorder(next slog.Handler) *recorder {
	return &recorder{next: next, st: &recorderState{}}
}

func (h *recorder) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn || h.next.Enabled(ctx, l)
}

func (h *recorder) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var b strings.Builder
		for _, a := range h.pre {
			fmt.Fprintf(&b, "%s=%v ", a.Key, a.Value)
		}
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, "%s=%v ", a.Key, a.Value)
			return true
		})
		h.st.mu.Lock()
		h.st.recs = append(h.st.recs, logRecord{Level: r.Level, Msg: r.Message, Attrs: strings.TrimSpace(b.String())})
		h.st.mu.Unlock()
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{next: h.next.WithAttrs(as), pre: append(append([]slog.Attr(nil), h.pre...), as...), st: h.st}
}

// WithGroup keeps recording flat: the records are for reading, not parsing.
func (h *recorder) WithGroup(name string) slog.Handler {
	return &recorder{next: h.next.WithGroup(name), pre: h.pre, st: h.st}
}

// deadLetters returns the recorded records that mean an event was lost.
func (h *recorder) deadLetters() []logRecord {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	var out []logRecord
	for _, r := range h.st.recs {
		for _, m := range droppedEventMessages {
			if r.Msg == m {
				out = append(out, r)
			}
		}
	}
	return out
}
