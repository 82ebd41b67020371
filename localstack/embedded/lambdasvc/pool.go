package lambdasvc

import (
	"context"
	"os"
	"sync"
)

// pool holds a function's execution environments: at most MaxConcurrency,
// started on demand and reused while warm. A slot (semaphore) is held for
// the whole of an invocation, and a holder owns at most one environment, so
// idle plus busy environments never exceed the limit.
type pool struct {
	svc   *Service
	fn    *function
	slots chan struct{}
	logs  *logRing

	mu       sync.Mutex
	closed   bool
	idle     []*environment
	live     map[*environment]bool
	codeRefs map[string]int  // live environments per code directory
	obsolete map[string]bool // replaced code directories to remove once unused
	peak     int             // most live environments at once
	started  int             // environments started in all
}

func newPool(s *Service, f *function) *pool {
	return &pool{
		svc:      s,
		fn:       f,
		slots:    make(chan struct{}, s.opts.MaxConcurrency),
		logs:     s.logRingFor(f.name),
		live:     make(map[*environment]bool),
		codeRefs: make(map[string]int),
		obsolete: make(map[string]bool),
	}
}

// errPoolClosed means the function was deleted or the service closed.
type errPoolClosed struct{}

func (errPoolClosed) Error() string {
	return "the function was deleted or the service is shutting down"
}

// acquire waits for a free slot; release gives it back.
func (p *pool) acquire(ctx context.Context) (release func(), err error) {
	p.mu.Lock()
	slots := p.slots
	p.mu.Unlock()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.svc.ctx.Done():
		return nil, errPoolClosed{}
	}
}

// setLimit bounds the function's concurrent invocations (reserved
// concurrency) to n, never above MaxConcurrency; 0 restores that. Slots
// taken before hold on to the old bound until released.
func (p *pool) setLimit(n int) {
	if n <= 0 || n > p.svc.opts.MaxConcurrency {
		n = p.svc.opts.MaxConcurrency
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cap(p.slots) != n {
		p.slots = make(chan struct{}, n)
	}
}

// get returns a warm environment running the current spec, or starts one.
// The caller holds a slot.
func (p *pool) get() (*environment, error) {
	var stale []*environment
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errPoolClosed{}
	}
	// Read the spec under the lock: retire (after a code update) decides
	// under it whether the old code directory is still in use.
	sp := p.fn.spec.Load()
	var warm *environment
	for len(p.idle) > 0 && warm == nil {
		e := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if e.spec == sp && !e.hasExited() {
			warm = e
		} else {
			stale = append(stale, e)
		}
	}
	if warm == nil {
		// Reserve the code directory before starting from it.
		p.codeRefs[sp.codeDir]++
	}
	p.mu.Unlock()
	for _, e := range stale {
		p.discard(e)
	}
	if warm != nil {
		return warm, nil
	}

	e, err := startEnvironment(p.svc.seq.Add(1), sp, p.logs, p.svc.log)
	p.mu.Lock()
	if err != nil || p.closed {
		remove := p.releaseCodeLocked(sp.codeDir)
		p.mu.Unlock()
		if remove {
			p.removeDir(sp.codeDir)
		}
		if err != nil {
			return nil, err
		}
		e.kill()
		return nil, errPoolClosed{}
	}
	p.live[e] = true
	p.started++
	p.peak = max(p.peak, len(p.live))
	p.mu.Unlock()
	return e, nil
}

// releaseCodeLocked drops one use of a code directory and reports whether
// it is replaced and unused now, so the caller should remove it.
func (p *pool) releaseCodeLocked(dir string) bool {
	p.codeRefs[dir]--
	if p.codeRefs[dir] > 0 {
		return false
	}
	delete(p.codeRefs, dir)
	if p.obsolete[dir] {
		delete(p.obsolete, dir)
		return true
	}
	return false
}

// put returns an environment after an invocation; one that is stale or
// dead is discarded instead.
func (p *pool) put(e *environment) {
	p.mu.Lock()
	if !p.closed && p.live[e] && e.spec == p.fn.spec.Load() && !e.hasExited() {
		p.idle = append(p.idle, e)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.discard(e)
}

// discard kills the environment and forgets it; the last environment of a
// replaced code version removes that version's directory.
func (p *pool) discard(e *environment) {
	e.kill()
	p.mu.Lock()
	if !p.live[e] {
		p.mu.Unlock()
		return
	}
	delete(p.live, e)
	remove := p.releaseCodeLocked(e.spec.codeDir)
	p.mu.Unlock()
	if remove {
		p.removeDir(e.spec.codeDir)
	}
}

// retire is called after a code or configuration change: idle environments
// of the old spec stop now, busy ones when their invocation ends (put), and
// oldCodeDir (if given) goes once nothing runs from it.
func (p *pool) retire(oldCodeDir string) {
	sp := p.fn.spec.Load()
	p.mu.Lock()
	var stale []*environment
	keep := p.idle[:0]
	for _, e := range p.idle {
		if e.spec == sp {
			keep = append(keep, e)
		} else {
			stale = append(stale, e)
		}
	}
	p.idle = keep
	removeNow := false
	if oldCodeDir != "" && oldCodeDir != sp.codeDir {
		if p.codeRefs[oldCodeDir] == 0 {
			removeNow = true
		} else {
			p.obsolete[oldCodeDir] = true
		}
	}
	p.mu.Unlock()
	for _, e := range stale {
		p.discard(e)
	}
	if removeNow {
		p.removeDir(oldCodeDir)
	}
}

func (p *pool) removeDir(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		p.svc.log.Warn("lambda: could not remove old code directory", "function", p.fn.name, "dir", dir, "err", err)
	}
}

// close kills every environment, busy or idle, and waits for them; the
// invocations they were running fail. Later gets fail with errPoolClosed.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	envs := make([]*environment, 0, len(p.live))
	for e := range p.live {
		envs = append(envs, e)
	}
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Add(1)
		go func() { defer wg.Done(); p.discard(e) }()
	}
	wg.Wait()
}

// busy reports how many environments are handed out to invocations.
func (p *pool) busy() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live) - len(p.idle)
}

// stats reports the live environments, the most there ever were at once,
// and how many were started in all.
func (p *pool) stats() (live, peak, started int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.live), p.peak, p.started
}
