// Command facevec encodes faces into dlib ResNet vectors; see `facevec -h`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/facevec/facevec/internal/cli"
)

// sameInterruption is how close to the first signal another one is part
// of the same interruption: `timeout -s INT` signals the command and then
// its process group, so one timeout arrives as two SIGINTs, and a
// deliberate second Ctrl-C comes later than this.
const sameInterruption = 500 * time.Millisecond

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal stops the work (images not started are reported as
	// interrupted, a backfill waits for the invocations under way and
	// checkpoints their answers). Signals within sameInterruption of it
	// are absorbed; after that the default action is back, so a second
	// one ends the process at once, as usual, even inside a dlib call that
	// cannot be interrupted.
	go func() {
		<-ctx.Done()
		time.Sleep(sameInterruption)
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], cli.IO{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	})
	stop()
	os.Exit(code)
}
