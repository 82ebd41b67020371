package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/internal/cli/settings"
	"github.com/facevec/facevec/result"
)

// faceMatches is the answer for one face of the query photo.
type faceMatches struct {
	QueryFace int                 `json:"query_face"`
	QueryBox  result.Box          `json:"query_box"`
	Matches   []vectorindex.Match `json:"matches"`
}

func runSearch(ctx context.Context, args []string, stdio IO) (int, error) {
	var img settings.Image
	var vf vectorFlags
	fs := newFlags("search", "[flags] PHOTO", stdio)
	img.Register(fs, false)
	img.Workers = 1 // one photo
	vf.register(fs)
	tolerance := fs.Float64("tolerance", result.DefaultTolerance, "largest Euclidean distance that counts as the same person")
	top := fs.Int("top", 10, fmt.Sprintf("matches asked of the index per face (1 to %d)", vectorindex.MaxTopK))
	format := fs.String("format", "text", "output: text, csv or jsonl (one line per face of the photo)")
	paths, err := parse(fs, args)
	if err != nil {
		return 0, err
	}
	switch {
	case len(paths) != 1:
		return 0, usageErr(stdio, fs, "want exactly one photo, got %d", len(paths))
	case math.IsNaN(*tolerance) || math.IsInf(*tolerance, 0) || *tolerance < 0:
		return 0, usageErr(stdio, fs, "--tolerance %v: want a number, 0 or more", *tolerance)
	case *top < 1 || *top > vectorindex.MaxTopK:
		return 0, usageErr(stdio, fs, "--top %d: want 1 to %d (S3 Vectors' limit)", *top, vectorindex.MaxTopK)
	case *format != "text" && *format != "csv" && *format != "jsonl":
		return 0, usageErr(stdio, fs, "--format %q: want text, csv or jsonl", *format)
	}
	if msg := img.Validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	if msg := vf.validate(); msg != "" {
		return 0, usageErr(stdio, fs, "%s", msg)
	}
	ix, err := vf.open(ctx)
	if err != nil {
		return 0, err
	}
	enc, err := openEncoder(&img, 1, stdio.Stderr)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	res := encodeFile(ctx, enc, paths[0], img.Params(), img.MaxBytes)
	if res.Error != nil {
		return ExitError, fmt.Errorf("%s", res.Error.Message)
	}
	if len(res.Faces) == 0 {
		return ExitError, fmt.Errorf("%s: no face found, nothing to search for", paths[0])
	}
	answers := make([]faceMatches, 0, len(res.Faces))
	for n, f := range res.Faces {
		m, err := ix.Query(ctx, f.Descriptor, *top, *tolerance)
		if err != nil {
			return ExitError, err
		}
		answers = append(answers, faceMatches{QueryFace: n, QueryBox: f.Box, Matches: m})
	}
	return ExitOK, writeMatches(stdio.Stdout, *format, paths[0], *tolerance, answers)
}

func writeMatches(w io.Writer, format, photo string, tolerance float64, answers []faceMatches) error {
	out := bufio.NewWriter(w)
	defer out.Flush()
	switch format {
	case "jsonl":
		je := json.NewEncoder(out)
		je.SetEscapeHTML(false)
		for _, a := range answers {
			if err := je.Encode(a); err != nil {
				return err
			}
		}
	case "csv":
		cw := csv.NewWriter(out)
		_ = cw.Write([]string{"query_face", "query_box", "bucket", "key", "face", "box", "distance"})
		for _, a := range answers {
			for _, m := range a.Matches {
				_ = cw.Write([]string{strconv.Itoa(a.QueryFace), boxText(a.QueryBox), m.Bucket, m.Key,
					strconv.Itoa(m.Face.Face), boxText(m.Box), strconv.FormatFloat(m.Distance, 'f', 4, 64)})
			}
		}
		cw.Flush()
		return cw.Error()
	default:
		for _, a := range answers {
			fmt.Fprintf(out, "%s face %d %s: %d within %g\n", photo, a.QueryFace, boxText(a.QueryBox), len(a.Matches), tolerance)
			for _, m := range a.Matches {
				fmt.Fprintf(out, "  %.4f  s3://%s/%s  face %d %s\n", m.Distance, m.Bucket, m.Key, m.Face.Face, boxText(m.Box))
			}
		}
	}
	return nil
}

// boxText is "(left,top)-(right,bottom)", as the README writes boxes.
func boxText(b result.Box) string {
	return fmt.Sprintf("(%d,%d)-(%d,%d)", b.Left, b.Top, b.Right, b.Bottom)
}
