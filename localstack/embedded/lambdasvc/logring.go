package lambdasvc

import (
	"bytes"
	"io"
	"sync"
)

// logRing keeps the most recent output of a function, at most limit bytes,
// cut at line starts. Writers from many processes append whole lines, so
// lines never interleave.
type logRing struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func newLogRing(limit int) *logRing { return &logRing{limit: limit} }

func (r *logRing) appendLine(line []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limit == 0 {
		return
	}
	r.buf = append(r.buf, line...)
	// Compact only when twice over the limit, so appends stay amortised O(1).
	if len(r.buf) > 2*r.limit {
		r.buf = append(r.buf[:0:0], tailAtLine(r.buf, r.limit)...)
	}
}

func (r *logRing) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return string(tailAtLine(r.buf, r.limit))
}

// tailAtLine returns the last n bytes of b, starting at a line start when
// one exists in that window.
func tailAtLine(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	t := b[len(b)-n:]
	if b[len(b)-n-1] == '\n' {
		return t
	}
	if i := bytes.IndexByte(t, '\n'); i >= 0 && i+1 < len(t) {
		return t[i+1:]
	}
	return t
}

// tailBuffer keeps the last max bytes written, for X-Amz-Log-Result.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) appendLine(line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return append([]byte(nil), b...)
}

// lockedWriter serialises whole lines from many environments onto one
// writer; a nil one drops them.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(line []byte) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(line)
}
