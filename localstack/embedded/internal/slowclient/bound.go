package slowclient

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// DefaultTimeout is how long a client may send nothing. S3 closes an
// upload that stalls for about 20 s ("RequestTimeout: Your socket
// connection to the server was not read from or written to within the
// timeout period"); a local stack is more patient with debuggers.
const DefaultTimeout = 30 * time.Second

// Bound applies the limits of the package comment to srv with timeout
// (DefaultTimeout if 0 or less) and returns it. Call it before serving.
func Bound(srv *http.Server, timeout time.Duration) *http.Server {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	srv.ReadHeaderTimeout = timeout
	srv.IdleTimeout = timeout
	next := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &progressBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: timeout}
		}
		next.ServeHTTP(w, r)
	})
	return srv
}

// progressBody moves the connection's read deadline forward before every
// read, so only a read that waits idle for the whole timeout fails.
type progressBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
}

func (b *progressBody) Read(p []byte) (int, error) {
	_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	n, err := b.ReadCloser.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		// The body is complete: net/http's own read that watches for the
		// client going away must not inherit our deadline, or it would
		// cancel a handler still working on a complete request.
		_ = b.rc.SetReadDeadline(time.Time{})
	case err != nil:
		// Stalled or broken: keep the deadline passed, so that net/http's
		// attempt to drain the rest of the body after the handler fails
		// at once and the connection is closed, instead of waiting on the
		// stalled client with no deadline at all.
		_ = b.rc.SetReadDeadline(time.Now())
	}
	return n, err
}
