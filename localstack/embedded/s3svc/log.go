package s3svc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/rclone/gofakes3"
)

// slogAdapter forwards gofakes3's log lines to slog. Its INFO lines are one
// per request, so they go to debug to keep the stack quiet by default.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Print(level gofakes3.LogLevel, v ...any) {
	lvl := slog.LevelDebug
	switch level {
	case gofakes3.LogErr:
		lvl = slog.LevelError
	case gofakes3.LogWarn:
		lvl = slog.LevelWarn
	}
	if !a.l.Enabled(context.Background(), lvl) {
		return
	}
	a.l.Log(context.Background(), lvl, strings.TrimSpace(fmt.Sprintln(v...)), "component", "gofakes3")
}
