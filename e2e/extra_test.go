//go:build e2e

package e2e

import (
	"testing"

	"github.com/facevec/facevec/result"
)

// TestExtraFixtures checks the documented reference facts of the optional
// photos (FACEVEC_EXTRA_FIXTURES, /work/shared/testdata/faces/SOURCES.md),
// as the deployed function reports them.
func TestExtraFixtures(t *testing.T) {
	s := getSuite(t)
	if s.cfg.extraDir == "" {
		t.Skipf("%s is unset", envExtraFixtures)
	}
	get := func(t *testing.T, name string) *result.Result {
		t.Helper()
		u := s.find(extraPrefix + name)
		if u == nil {
			t.Fatalf("%s has no %s", s.cfg.extraDir, name)
		}
		if u.Result == nil {
			t.Fatalf("no result for %s: %v", u.Key, u.Err)
		}
		if u.Result.Error != nil {
			t.Fatalf("%s: error result %s: %s", u.Key, u.Result.Error.Code, u.Result.Error.Message)
		}
		return u.Result
	}
	one := func(t *testing.T, name string) result.Face {
		t.Helper()
		r := get(t, name)
		if len(r.Faces) != 1 {
			t.Fatalf("%s: %d faces, want 1", name, len(r.Faces))
		}
		return r.Faces[0]
	}

	t.Run("obama box", func(t *testing.T) {
		r := get(t, "obama.jpg")
		if r.Image.Width != 910 || r.Image.Height != 1137 {
			t.Errorf("obama.jpg is %dx%d, want 910x1137", r.Image.Width, r.Image.Height)
		}
		if len(r.Faces) != 1 {
			t.Fatalf("%d faces, want 1", len(r.Faces))
		}
		want := result.Box{Left: 349, Top: 142, Right: 617, Bottom: 409}
		if got := r.Faces[0].Box; got != want {
			t.Errorf("box %+v, want exactly %+v (dlib HOG, upsample 1)", got, want)
		}
	})

	t.Run("obama vs obama", func(t *testing.T) {
		a, b := one(t, "obama.jpg"), one(t, "obama2.jpg")
		d := result.Distance(a.Descriptor, b.Descriptor)
		t.Logf("e2e: obama.jpg ↔ obama2.jpg %.4f", d)
		if d > result.DefaultTolerance {
			t.Errorf("distance %.4f > %.1f for the same person", d, result.DefaultTolerance)
		}
	})

	t.Run("obama vs biden", func(t *testing.T) {
		a, b := one(t, "obama.jpg"), one(t, "biden.jpg")
		d := result.Distance(a.Descriptor, b.Descriptor)
		t.Logf("e2e: obama.jpg ↔ biden.jpg %.4f", d)
		if d <= result.DefaultTolerance {
			t.Errorf("distance %.4f ≤ %.1f for different people", d, result.DefaultTolerance)
		}
	})

	t.Run("two people", func(t *testing.T) {
		r := get(t, "two_people.jpg")
		if len(r.Faces) != 2 {
			t.Fatalf("%d faces, want 2", len(r.Faces))
		}
		// The two are Obama and Biden: each matches exactly one of them.
		known := []result.Known{
			{Name: "obama", Descriptor: one(t, "obama.jpg").Descriptor},
			{Name: "biden", Descriptor: one(t, "biden.jpg").Descriptor},
		}
		seen := map[string]bool{}
		for i, f := range r.Faces {
			m := result.Descriptor(f.Descriptor).Match(known, result.DefaultTolerance)
			t.Logf("e2e: two_people.jpg face %d box %+v: %q at %.4f", i, f.Box, m.Name, m.Distance)
			if !m.Found() {
				t.Errorf("face %d (box %+v) matches neither Obama nor Biden (nearest %.4f)", i, f.Box, m.Distance)
			}
			seen[m.Name] = true
		}
		if !seen["obama"] || !seen["biden"] {
			t.Errorf("faces matched %v, want one Obama and one Biden", seen)
		}
	})
}
