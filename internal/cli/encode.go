package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/schollz/progressbar/v3"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

func runEncode(ctx context.Context, args []string, stdio IO) (int, error) {
	var f settings.Image
	fs := newFlags("encode", "[flags] PATH...", stdio)
	f.Register(fs, true)
	paths, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, usageErr(stdio, fs, "no image paths given")
	}
	if msg := f.Validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	files := expandPaths(paths)
	enc, err := openEncoder(&f, len(files), stdio.Stderr)
	if err != nil {
		return 0, err
	}
	defer enc.Close()

	var bar *progressbar.ProgressBar
	if stdio.StderrIsTerminal && len(files) > 1 {
		bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(stdio.Stderr),
			progressbar.OptionSetDescription("encoding"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish())
	}

	out := bufio.NewWriter(stdio.Stdout)
	defer out.Flush()
	je := json.NewEncoder(out)
	je.SetEscapeHTML(false)
	failed := false
	for r := range encodeAll(ctx, enc, files, f.Params(), f.Workers, f.MaxBytes) {
		if r.Error != nil {
			failed = true
		}
		for _, w := range r.Image.DecoderWarnings {
			fmt.Fprintf(stdio.Stderr, "%s: warning: %s\n", r.Source.File, w)
		}
		if err := je.Encode(r); err != nil {
			return ExitError, err
		}
		// Flush per line so a consumer piping JSON Lines sees results as they come.
		out.Flush()
		if bar != nil {
			bar.Add(1)
		}
	}
	if failed {
		return ExitError, nil
	}
	return ExitOK, nil
}

// encodeAll encodes files with up to workers in flight and yields the
// results in input order.
func encodeAll(ctx context.Context, enc *dlib.Encoder, files []string, params face.Params, workers int, maxBytes int64) <-chan *result.Result {
	slots := make([]chan *result.Result, len(files))
	for i := range slots {
		slots[i] = make(chan *result.Result, 1)
	}
	sem := make(chan struct{}, max(workers, 1))
	go func() {
		var wg sync.WaitGroup
		for i, path := range files {
			if ctx.Err() == nil {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				// Interrupted: the files not started get a result saying so,
				// and the run ends as soon as those in flight are done.
				for j := i; j < len(files); j++ {
					r := result.New(result.Source{File: files[j]})
					r.Model = params.Model()
					slots[j] <- r.Fail(result.Errorf(result.CodeTimeout, "%s: not encoded: interrupted (%v)", files[j], context.Cause(ctx)))
				}
				wg.Wait()
				return
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				slots[i] <- encodeFile(ctx, enc, path, params, maxBytes)
			}()
		}
		wg.Wait()
	}()
	out := make(chan *result.Result)
	go func() {
		defer close(out)
		for _, s := range slots {
			out <- <-s
		}
	}()
	return out
}

func encodeFile(ctx context.Context, enc *dlib.Encoder, path string, p face.Params, maxBytes int64) *result.Result {
	src := result.Source{File: path}
	data, err := readImage(path, maxBytes)
	if err != nil {
		r := result.New(src)
		r.Model = p.Model()
		return r.Fail(err)
	}
	r, _ := enc.Encode(ctx, data, p)
	r.Source = src
	r.Source.Size = int64(len(data))
	return r
}
