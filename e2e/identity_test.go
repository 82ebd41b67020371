//go:build e2e

package e2e

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/facevec/facevec/result"
)

// namedFace is a face whose person is known.
type namedFace struct {
	key, who   string
	descriptor []float32
}

func (f namedFace) String() string { return fmt.Sprintf("%s (%s)", f.key, f.who) }

// knownFaces collects every face of the batch whose identity is known: the
// manifest names them left to right by box centre; an extra photo named
// obama*/biden* with exactly one face is that person.
func (s *suite) knownFaces() []namedFace {
	var out []namedFace
	for _, u := range s.uploads {
		r := u.Result
		if r == nil || r.Error != nil {
			continue
		}
		var ids []string
		switch {
		case u.Entry != nil && len(u.Entry.Identity) == 1:
			ids = make([]string, len(r.Faces))
			for i := range ids {
				ids[i] = u.Entry.Identity[0]
			}
		case u.Entry != nil:
			ids = u.Entry.Identity
		case u.Extra && len(r.Faces) == 1:
			ids = []string{extraIdentity(u.Key)}
		}
		if len(ids) != len(r.Faces) {
			continue // the count is wrong; TestResults says so
		}
		faces := append([]result.Face(nil), r.Faces...)
		sort.SliceStable(faces, func(i, j int) bool {
			return faces[i].Box.Left+faces[i].Box.Right < faces[j].Box.Left+faces[j].Box.Right
		})
		for i, f := range faces {
			if ids[i] != "" {
				out = append(out, namedFace{key: u.Key, who: ids[i], descriptor: f.Descriptor})
			}
		}
	}
	return out
}

// extraIdentity names the person of a single-face extra photo from its
// file name, "" when the name does not say.
func extraIdentity(key string) string {
	base := strings.ToLower(path.Base(key))
	switch {
	case strings.Contains(base, "obama") && strings.Contains(base, "biden"):
		return ""
	case strings.HasPrefix(base, "obama"):
		return "obama"
	case strings.HasPrefix(base, "biden"):
		return "biden"
	}
	return ""
}

// TestIdentities checks face_recognition's rule across every uploaded face:
// the same person at a distance of at most 0.6, different people beyond.
func TestIdentities(t *testing.T) {
	s := getSuite(t)
	faces := s.knownFaces()
	people := map[string]int{}
	for _, f := range faces {
		people[f.who]++
	}
	if len(people) < 2 {
		t.Fatalf("faces of %d people found (%v); the fixtures have at least two", len(people), people)
	}
	type pair struct {
		a, b namedFace
		d    float64
	}
	var bad []pair
	sameMax, diffMin := 0.0, 10.0
	for i := range faces {
		for j := i + 1; j < len(faces); j++ {
			a, b := faces[i], faces[j]
			d := result.Distance(a.descriptor, b.descriptor)
			same := a.who == b.who
			if same {
				sameMax = max(sameMax, d)
			} else {
				diffMin = min(diffMin, d)
			}
			if same != (d <= result.DefaultTolerance) {
				bad = append(bad, pair{a, b, d})
			}
		}
	}
	t.Logf("e2e: %d known faces of %v: same person at most %.3f apart, different people at least %.3f",
		len(faces), people, sameMax, diffMin)
	sort.Slice(bad, func(i, j int) bool { return bad[i].d < bad[j].d })
	for i, p := range bad {
		if i == 10 {
			t.Errorf("… and %d more pairs", len(bad)-10)
			break
		}
		rel := "different people"
		if p.a.who == p.b.who {
			rel = "the same person"
		}
		t.Errorf("%v and %v are %s but %.4f apart (tolerance %.1f)", p.a, p.b, rel, p.d, result.DefaultTolerance)
	}
}
