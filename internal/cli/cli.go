// Package cli implements the facevec command line: encode, recognize,
// annotate, models, stack, demo and backfill. cmd/facevec only wires it to the process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes (docs/CONTRACT.md "CLI"): 1 when any image failed, 2 on bad usage.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// IO is the process's streams, injectable for tests.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StderrIsTerminal turns on progress bars.
	StderrIsTerminal bool
}

const usage = `usage: facevec <command> [flags] [args]

commands:
  encode     find faces and print one facevec.result/v1 JSON line per image
  recognize  face_recognition-compatible CSV: which known people are in each image
  annotate   draw boxes and landmarks on an image
  models     verify the model files and write the fast-loading HOG detector
  search     find the indexed photos with the faces of a photo (S3 Vectors)
  index      write the faces of the results in S3 to the S3 Vectors index
  stack      run the embedded AWS stack with the function deployed
  demo       the embedded stack, fixtures (or --images DIR) uploaded, results summarised (make run)
  backfill   encode what is already in a bucket by invoking the deployed function (where there is no S3 Batch Operations)

run 'facevec <command> -h' for its flags
`

// errUsage marks bad usage (exit 2); the message has been printed.
var errUsage = errors.New("usage")

// Main runs the CLI and returns the exit status.
func Main(ctx context.Context, args []string, stdio IO) int {
	if len(args) < 1 {
		fmt.Fprint(stdio.Stderr, usage)
		return ExitUsage
	}
	var run func(context.Context, []string, IO) (int, error)
	switch args[0] {
	case "encode":
		run = runEncode
	case "recognize":
		run = runRecognize
	case "annotate":
		run = runAnnotate
	case "models":
		run = runModels
	case "search":
		run = runSearch
	case "index":
		run = runIndex
	case "stack":
		run = runStack
	case "demo":
		run = runDemo
	case "backfill":
		run = runBackfill
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdio.Stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stdio.Stderr, "facevec: unknown command %q\n\n%s", args[0], usage)
		return ExitUsage
	}
	code, err := run(ctx, args[1:], stdio)
	switch {
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	case err != nil:
		fmt.Fprintf(stdio.Stderr, "facevec %s: %v\n", args[0], err)
		return ExitError
	}
	return code
}

// newFlags returns a FlagSet that reports errors on stderr and usage as errUsage.
func newFlags(name, synopsis string, stdio IO) *flag.FlagSet {
	fs := flag.NewFlagSet("facevec "+name, flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(stdio.Stderr, "usage: facevec %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags allowing them after positional arguments too
// (`facevec encode a.jpg --jitter 2`), as users of other CLIs expect.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usageErr(stdio IO, fs *flag.FlagSet, format string, a ...any) error {
	fmt.Fprintf(stdio.Stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fs.Usage()
	return errUsage
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
