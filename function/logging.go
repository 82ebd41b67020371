package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger logs JSON lines, the format CloudWatch Logs Insights parses.
// level is AWS_LAMBDA_LOG_LEVEL (DEBUG, INFO, WARN, ERROR; default INFO),
// which Lambda sets when the function's logging config has one.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
