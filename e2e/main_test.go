//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	// rootCtx ends on SIGINT/SIGTERM and shortly before go test's -timeout
	// would panic, so that waits give up in time for a clean teardown.
	rootCtx context.Context
	// teardown holds every step that undoes what the suite created.
	teardown = &cleanups{}
	// interrupted is set on SIGINT/SIGTERM; failures after it are noise.
	interrupted atomic.Bool
)

// timeoutMargin is kept back from -timeout for tearing down: deleting a
// function and emptying buckets on real AWS takes a while.
const timeoutMargin = 90 * time.Second

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 {
			var cancelT context.CancelFunc
			ctx, cancelT = context.WithTimeout(ctx, max(d-timeoutMargin, d/2))
			defer cancelT()
		}
	}
	rootCtx = ctx

	// Ctrl-C reaches the whole process group: tear down, then exit. A
	// second Ctrl-C kills the process the default way.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	go func() {
		sig, ok := <-sigc
		if !ok {
			return
		}
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		interrupted.Store(true)
		fmt.Fprintf(os.Stderr, "e2e: %v: tearing down\n", sig)
		cancel()
		if err := teardown.run(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: teardown: %v\n", err)
		}
		os.Exit(130)
	}()

	code := m.Run()
	if code != 0 && !interrupted.Load() {
		dumpFunctionLog()
	}
	if err := teardown.run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: teardown: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// dumpFunctionLog prints the end of the function's output after a failed
// run, before the teardown takes it away.
func dumpFunctionLog() {
	s := suiteIfStarted()
	if s == nil {
		return
	}
	logs := s.stack.FunctionLogs(s.spec.FunctionName)
	if logs == "" {
		return
	}
	lines := strings.Split(strings.TrimRight(logs, "\n"), "\n")
	const tail = 60
	if len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	fmt.Fprintf(os.Stderr, "e2e: last %d lines of the function's log:\n%s\n", len(lines), strings.Join(lines, "\n"))
}
