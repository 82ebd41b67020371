//go:build e2e

package e2e

import (
	"maps"
	"slices"
	"sync"
)

// ledger is the suite's record of what it put into the input bucket and
// which result objects may therefore exist. The listing tests compare the
// buckets against it, whatever order the tests ran in.
type ledger struct {
	mu      sync.Mutex
	inputs  map[string]bool // keys put into the input bucket
	results map[string]bool // result keys that must exist
}

func newLedger() *ledger {
	return &ledger{inputs: map[string]bool{}, results: map[string]bool{}}
}

// uploaded notes a key put into the input bucket.
func (l *ledger) uploaded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inputs[key] = true
}

// expectResult notes a result key that must exist from now on. Call it
// before the action that writes the result, so that a listing never sees
// a result the ledger does not know.
func (l *ledger) expectResult(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.results[key] = true
}

func (l *ledger) inputKeys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.inputs))
}

func (l *ledger) resultKeys() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.results))
}

// diff returns what is in want but not in got, and what is in got but
// not in want.
func diff(want, got []string) (missing, extra []string) {
	w := map[string]bool{}
	for _, k := range want {
		w[k] = true
	}
	g := map[string]bool{}
	for _, k := range got {
		g[k] = true
		if !w[k] {
			extra = append(extra, k)
		}
	}
	for _, k := range want {
		if !g[k] {
			missing = append(missing, k)
		}
	}
	return missing, extra
}
