package cli

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

// runRecognize mirrors face_recognition's `face_recognition KNOWN UNKNOWN`
// CLI: one CSV line per face, "file,name" (or "file,name,distance"), every
// known person within tolerance is printed, "unknown_person" when none
// is, and "file,no_persons_found" for an image without faces. Known names
// are the known images' file stems; a known image without a face is
// skipped with a warning, like the original.
func runRecognize(ctx context.Context, args []string, stdio IO) (int, error) {
	var f settings.Image
	fs := newFlags("recognize", "[flags] KNOWN_DIR UNKNOWN_PATH", stdio)
	f.Register(fs, false)
	tolerance := fs.Float64("tolerance", result.DefaultTolerance, "distance at or below which two faces are the same person")
	showDistance := fs.Bool("show-distance", false, "print the distance as a third column")
	pos, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 2 {
		return 0, usageErr(stdio, fs, "want KNOWN_DIR and UNKNOWN_PATH, got %d arguments", len(pos))
	}
	f.Workers = runtime.NumCPU()
	if msg := f.Validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	if math.IsNaN(*tolerance) || math.IsInf(*tolerance, 0) || *tolerance < 0 {
		return 0, usageErr(stdio, fs, "--tolerance %v: want a number, 0 or more", *tolerance)
	}
	if st, err := os.Stat(pos[0]); err != nil || !st.IsDir() {
		return 0, usageErr(stdio, fs, "KNOWN_DIR %q is not a directory", pos[0])
	}
	enc, err := openEncoder(&f, runtime.NumCPU(), stdio.Stderr)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	p := f.Params()

	var known []result.Known
	for r := range encodeAll(ctx, enc, expandPaths(pos[:1]), p, enc.Workers(), f.MaxBytes) {
		switch {
		case r.Error != nil:
			fmt.Fprintf(stdio.Stderr, "WARNING: %s: %s. Ignoring file.\n", r.Source.File, r.Error.Message)
		case len(r.Faces) == 0:
			fmt.Fprintf(stdio.Stderr, "WARNING: No faces found in %s. Ignoring file.\n", r.Source.File)
		default:
			if len(r.Faces) > 1 {
				fmt.Fprintf(stdio.Stderr, "WARNING: More than one face found in %s. Only considering the first face.\n", r.Source.File)
			}
			name := strings.TrimSuffix(filepath.Base(r.Source.File), filepath.Ext(r.Source.File))
			known = append(known, result.Known{Name: name, Descriptor: r.Faces[0].Descriptor})
		}
	}

	if len(known) == 0 {
		fmt.Fprintf(stdio.Stderr, "WARNING: no known face in %s: every face will be unknown_person.\n", pos[0])
	}

	out := bufio.NewWriter(stdio.Stdout)
	defer out.Flush()
	line := func(file, name string, dist *float64) {
		if *showDistance {
			d := "None"
			if dist != nil {
				d = strconv.FormatFloat(*dist, 'g', -1, 64)
			}
			fmt.Fprintf(out, "%s,%s,%s\n", file, name, d)
		} else {
			fmt.Fprintf(out, "%s,%s\n", file, name)
		}
	}
	code := ExitOK
	for r := range encodeAll(ctx, enc, expandPaths(pos[1:]), p, enc.Workers(), f.MaxBytes) {
		file := r.Source.File
		if r.Error != nil {
			fmt.Fprintf(stdio.Stderr, "WARNING: %s: %s\n", file, r.Error.Message)
			code = ExitError
			continue
		}
		if len(r.Faces) == 0 {
			line(file, "no_persons_found", nil)
		}
		for _, fc := range r.Faces {
			matched := false
			for _, k := range known {
				if d := result.Distance(fc.Descriptor, k.Descriptor); d <= *tolerance {
					line(file, k.Name, &d)
					matched = true
				}
			}
			if !matched {
				line(file, "unknown_person", nil)
			}
		}
		out.Flush()
	}
	return code, nil
}
