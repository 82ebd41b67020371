package lambdasvc

import (
	"errors"
	"sync"
)

// Without a PID namespace (chrootOnly: a container with Docker's default
// capabilities, which refuse every namespace) an environment sees every
// process of the stack, and a function's kill(-1, SIGKILL) reaches every
// process of its uid. With Lambda's one uid for all, one function could
// kill another's (and every other environment's) processes. So there each
// environment runs as a uid of its own from this pool instead of 993; the
// uid goes back to the pool only after every process left with it has been
// killed (sandboxer.sweepUID), so a process a function left behind (setsid)
// cannot reach the next environment to get the uid. With namespaces, each
// environment has its own PID namespace and runs as Lambda's 993.

// The pool's uids are high, to stay clear of host users and of the subuid
// ranges rootless containers use (from 100000 up).
const (
	chrootUIDBase  = 1_993_000_000
	chrootUIDCount = 1 << 16
)

var errNoFreeUID = errors.New("no free uid for another environment")

// uidPool hands out uids from chrootUIDBase up; the zero value is ready.
type uidPool struct {
	mu   sync.Mutex
	used map[int]bool
}

// acquire returns the lowest free uid.
func (p *uidPool) acquire() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.used == nil {
		p.used = map[int]bool{}
	}
	for uid := chrootUIDBase; uid < chrootUIDBase+chrootUIDCount; uid++ {
		if !p.used[uid] {
			p.used[uid] = true
			return uid, nil
		}
	}
	return 0, errNoFreeUID
}

func (p *uidPool) release(uid int) {
	p.mu.Lock()
	delete(p.used, uid)
	p.mu.Unlock()
}
