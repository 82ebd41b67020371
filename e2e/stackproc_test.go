//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds for the `facevec stack` subprocess.
const (
	buildWait    = 10 * time.Minute // the CLI links dlib; a cold cache takes minutes
	stackUpWait  = 2 * time.Minute
	stackEndWait = 40 * time.Second // the CLI itself gives Close 30 s
)

// facevecBinary returns the facevec CLI: $FACEVEC_BIN, else a fresh build
// of ./cmd/facevec (the build cache makes it cheap after `make package`).
func facevecBinary(t *testing.T, root string) string {
	t.Helper()
	if b := strings.TrimSpace(os.Getenv(envBin)); b != "" {
		return b
	}
	out := filepath.Join(t.TempDir(), "facevec")
	ctx, cancel := context.WithTimeout(rootCtx, buildWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/facevec")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/facevec: %v\n%s", err, b)
	}
	return out
}

// stackProc is a running `facevec stack`.
type stackProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer

	mu    sync.Mutex
	lines []string // stdout so far

	exited  chan struct{}
	waitErr error

	stopOnce sync.Once
	stopErr  error
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine of exec.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startStackProc runs bin stack args and waits until it has printed its
// endpoint, which it does once the function is deployed. The process is
// stopped when the test ends and by the suite's signal teardown.
func startStackProc(t *testing.T, bin string, args ...string) *stackProc {
	t.Helper()
	p := &stackProc{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"stack"}, args...)...)
	p.cmd.Stderr = p.stderr
	// If this test binary dies without its teardown (SIGKILL), the stack
	// must not outlive it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s stack: %v", bin, err)
	}
	endpoint := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		seen := false
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			if !seen && strings.HasPrefix(sc.Text(), "endpoint:") {
				seen = true
				close(endpoint)
			}
		}
		// Wait only after stdout is drained (os/exec's rule for pipes).
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	stop := func() error { return p.stop() }
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Errorf("stop facevec stack: %v", err)
		}
	})
	_ = teardown.add(stop)

	select {
	case <-endpoint:
	case <-p.exited:
		t.Fatalf("facevec stack exited before printing its endpoint: %v\nstderr:\n%s", p.waitErr, p.stderr)
	case <-time.After(stackUpWait):
		t.Fatalf("facevec stack printed no endpoint within %s\nstderr:\n%s", stackUpWait, p.stderr)
	}
	// The rest of the banner is printed in the same write; give the
	// scanner a moment to have it.
	deadline := time.Now().Add(5 * time.Second)
	for p.field("function") == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// field returns the value of a "name: value" line of the banner, or "".
func (p *stackProc) field(name string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// stop sends SIGINT and waits for the exit, killing the process if it
// does not end in time. It reports a non-zero exit as an error.
func (p *stackProc) stop() error {
	p.stopOnce.Do(func() {
		select {
		case <-p.exited:
		default:
			if err := p.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
				p.stopErr = fmt.Errorf("SIGINT: %w", err)
			}
			select {
			case <-p.exited:
			case <-time.After(stackEndWait):
				_ = p.cmd.Process.Kill()
				<-p.exited
				p.stopErr = errors.Join(p.stopErr, fmt.Errorf("no exit within %s of SIGINT; killed", stackEndWait))
			}
		}
		if p.waitErr != nil {
			p.stopErr = errors.Join(p.stopErr, fmt.Errorf("exit: %w\nstderr:\n%s", p.waitErr, p.stderr))
		}
	})
	return p.stopErr
}
