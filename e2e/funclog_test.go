//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// logLine is the part of the function's JSON log lines (slog) the suite
// reads.
type logLine struct {
	Msg    string `json:"msg"`
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// functionLogLines parses the function's JSON log lines. Lines that are not
// JSON (START/END/REPORT, a CloudWatch prefix) are skipped or trimmed.
func functionLogLines(logs string) []logLine {
	var out []logLine
	for _, line := range strings.Split(logs, "\n") {
		i := strings.IndexByte(line, '{')
		if i < 0 {
			continue
		}
		var l logLine
		if json.Unmarshal([]byte(line[i:]), &l) == nil && l.Msg != "" {
			out = append(out, l)
		}
	}
	return out
}

// noLogSettle is how long the suite waits for the function to have handled
// an event whose effect is "nothing happens", on a backend that shows no
// function log (real AWS): S3 usually delivers within seconds.
const noLogSettle = 45 * time.Second

// awaitLog waits until the function has logged a line that match accepts,
// and reports whether the log could be watched at all. Without a log it
// waits noLogSettle and returns false.
func (s *suite) awaitLog(ctx context.Context, match func(logLine) bool) (bool, error) {
	if s.stack.FunctionLogs(s.spec.FunctionName) == "" {
		select {
		case <-time.After(noLogSettle):
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	delay := pollFirst
	for {
		for _, l := range functionLogLines(s.stack.FunctionLogs(s.spec.FunctionName)) {
			if match(l) {
				return true, nil
			}
		}
		select {
		case <-ctx.Done():
			return true, fmt.Errorf("the function did not log the expected line: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*8/5, pollMax)
	}
}
