package face

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/facevec/facevec/result"
)

// LoadGolden reads golden results (JSON Lines, Source.File = fixture path)
// keyed by fixture path. The e2e suite compares Lambda output against the
// same file.
func LoadGolden(path string) (map[string]*result.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	defer f.Close()
	out := map[string]*result.Result{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		var r result.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("golden %s line %d: %w", path, n, err)
		}
		out[r.Source.File] = &r
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("golden %s: %w", path, err)
	}
	return out, nil
}

// CompareGolden checks got against want: same error code, same number of
// faces, boxes within boxTol pixels and descriptors within descTol per
// value. Faces are matched in left-to-right, top-to-bottom order.
func CompareGolden(got, want *result.Result, boxTol int, descTol float64) error {
	gc, wc := errCode(got), errCode(want)
	if gc != wc {
		return fmt.Errorf("error code %q, golden %q", gc, wc)
	}
	if len(got.Faces) != len(want.Faces) {
		return fmt.Errorf("%d faces, golden %d", len(got.Faces), len(want.Faces))
	}
	g, w := sortedFaces(got.Faces), sortedFaces(want.Faces)
	for i := range g {
		gb, wb := g[i].Box, w[i].Box
		if abs(gb.Left-wb.Left) > boxTol || abs(gb.Top-wb.Top) > boxTol || abs(gb.Right-wb.Right) > boxTol || abs(gb.Bottom-wb.Bottom) > boxTol {
			return fmt.Errorf("face %d: box %+v, golden %+v", i, gb, wb)
		}
		if len(g[i].Descriptor) != len(w[i].Descriptor) {
			return fmt.Errorf("face %d: %d descriptor values, golden %d", i, len(g[i].Descriptor), len(w[i].Descriptor))
		}
		for k := range g[i].Descriptor {
			if d := math.Abs(float64(g[i].Descriptor[k] - w[i].Descriptor[k])); d > descTol {
				return fmt.Errorf("face %d: descriptor[%d] = %g, golden %g", i, k, g[i].Descriptor[k], w[i].Descriptor[k])
			}
		}
	}
	return nil
}

func errCode(r *result.Result) result.Code {
	if r.Error == nil {
		return ""
	}
	return r.Error.Code
}

func sortedFaces(fs []result.Face) []result.Face {
	out := append([]result.Face(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Box.Left != out[j].Box.Left {
			return out[i].Box.Left < out[j].Box.Left
		}
		return out[i].Box.Top < out[j].Box.Top
	})
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
