package lambdasvc

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxLine is where an unterminated line is cut, so one process printing
// without newlines cannot grow memory without bound.
const maxLine = 64 << 10

// pipePump reads a child's stdout or stderr and emits whole lines. Besides
// following the stream it can flush: drain everything already in the pipe,
// so output the function wrote before answering an invocation is logged
// before that invocation's END line.
type pipePump struct {
	f    *os.File
	emit func(line []byte)
	done chan struct{} // closed at EOF

	mu      sync.Mutex
	flushC  chan struct{} // closed by the pump when a requested flush is done
	flushMu sync.Mutex    // one flush at a time
	partial []byte        // only the pump goroutine touches it
}

func newPipePump(f *os.File, emit func([]byte)) *pipePump {
	return &pipePump{f: f, emit: emit, done: make(chan struct{})}
}

func (p *pipePump) run() {
	defer close(p.done)
	defer p.finishFlush()
	buf := make([]byte, 32<<10)
	for {
		n, err := p.f.Read(buf)
		p.consume(buf[:n])
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			// flush asked: take what is in the pipe right now without
			// blocking, then report back.
			_ = p.f.SetReadDeadline(time.Time{})
			if eof := p.drain(buf); eof {
				p.end()
				return
			}
			p.finishFlush()
		default: // EOF, or the file was closed
			p.end()
			return
		}
	}
}

// drain reads with non-blocking syscalls until the pipe is empty.
func (p *pipePump) drain(buf []byte) (eof bool) {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return false
	}
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf)
			return true // never wait for readiness: we want what is there now
		}); err != nil {
			return true
		}
		switch {
		case n > 0:
			p.consume(buf[:n])
		case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
			if rerr == syscall.EINTR {
				continue
			}
			return false
		default: // n == 0: EOF; or a real error
			return true
		}
	}
}

// consume splits b into lines, joining the partial line from before and
// cutting lines at maxLine.
func (p *pipePump) consume(b []byte) {
	for len(b) > 0 {
		room := maxLine - len(p.partial)
		i := bytes.IndexByte(b, '\n')
		switch {
		case i >= 0 && i < room:
			p.emitJoined(b[:i+1])
			b = b[i+1:]
		case len(b) < room:
			p.partial = append(p.partial, b...)
			return
		default:
			p.emitJoined(append(b[:room:room], '\n'))
			b = b[room:]
		}
	}
}

func (p *pipePump) emitJoined(tail []byte) {
	if len(p.partial) == 0 {
		p.emit(tail)
		return
	}
	p.emit(append(p.partial, tail...))
	p.partial = p.partial[:0]
}

func (p *pipePump) end() {
	if len(p.partial) > 0 {
		p.emitJoined([]byte{'\n'})
	}
}

func (p *pipePump) finishFlush() {
	p.mu.Lock()
	if p.flushC != nil {
		close(p.flushC)
		p.flushC = nil
	}
	p.mu.Unlock()
}

// flush waits (at most timeout) until everything written to the pipe so
// far has been emitted, except an unterminated last line.
func (p *pipePump) flush(timeout time.Duration) {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	ch := make(chan struct{})
	p.mu.Lock()
	p.flushC = ch
	p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.f.SetReadDeadline(time.Now()); err != nil {
		return // not pollable: output still arrives, just not ordered
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-p.done:
	case <-t.C:
	}
}
