package s3svc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Op names an S3 operation that Faults can target.
type Op string

// The operations Faults can target. GetObject is a plain object GET (with
// or without versionId or Range); PutObject is a plain object PUT, not a
// copy, not an upload part.
const (
	OpGetObject Op = "GetObject"
	OpPutObject Op = "PutObject"
)

// Fault describes how the next Times matching requests misbehave.
type Fault struct {
	Op        Op
	Bucket    string        // "" matches every bucket
	KeyPrefix string        // "" matches every key
	Times     int           // how many matching requests to affect; at least 1
	Delay     time.Duration // wait this long before answering (or failing)
	SlowDown  bool          // answer 503 SlowDown instead of serving the request
}

// Faults is a set of pending faults for reliability tests. It is safe for
// concurrent use and its zero value is ready; a nil *Faults injects nothing.
//
// Each request takes the first pending fault that matches it (in the order
// they were added) and uses up one of its Times. A delayed request waits
// for the delay or until the client gives up. A SlowDown answer is the
// retryable 503 the SDKs back off from, so a client with retries enabled
// succeeds once the fault is used up.
type Faults struct {
	mu       sync.Mutex
	pending  []Fault
	injected int
}

// Add queues a fault.
func (f *Faults) Add(ft Fault) error {
	if ft.Op != OpGetObject && ft.Op != OpPutObject {
		return fmt.Errorf("fault op %q: want %q or %q", ft.Op, OpGetObject, OpPutObject)
	}
	if ft.Times < 1 {
		return fmt.Errorf("fault on %s %s/%s: Times is %d, want at least 1", ft.Op, ft.Bucket, ft.KeyPrefix, ft.Times)
	}
	if ft.Delay < 0 {
		return fmt.Errorf("fault on %s %s/%s: negative Delay %v", ft.Op, ft.Bucket, ft.KeyPrefix, ft.Delay)
	}
	if ft.Delay == 0 && !ft.SlowDown {
		return errors.New("fault does nothing: set Delay, SlowDown or both")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, ft)
	return nil
}

// Reset drops every pending fault.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = nil
}

// Pending is the number of requests still to be affected.
func (f *Faults) Pending() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ft := range f.pending {
		n += ft.Times
	}
	return n
}

// Injected is the number of requests affected so far.
func (f *Faults) Injected() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected
}

// take uses up one Times of the first fault matching the request.
func (f *Faults) take(op Op, bucket, key string) (Fault, bool) {
	if f == nil {
		return Fault{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.pending {
		ft := &f.pending[i]
		if ft.Op != op || (ft.Bucket != "" && ft.Bucket != bucket) || !strings.HasPrefix(key, ft.KeyPrefix) {
			continue
		}
		taken := *ft
		ft.Times--
		if ft.Times == 0 {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
		}
		f.injected++
		return taken, true
	}
	return Fault{}, false
}
