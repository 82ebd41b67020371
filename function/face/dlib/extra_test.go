package dlib

import (
	"path/filepath"
	"testing"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/result"
)

// The reference facts of ../shared/testdata/faces (face_recognition's
// example photos): exact HOG box, identities, two faces.
func TestExtraFixturesReference(t *testing.T) {
	dir := extraFixtures(t)
	e := testEncoder(t)
	p := face.Params{Detector: face.DetectorHOG, Upsample: 1}
	enc := func(name string) *result.Result {
		return mustEncode(t, e, readFile(t, filepath.Join(dir, name)), p)
	}

	obama := enc("obama.jpg")
	if obama.Image.Width != 910 || obama.Image.Height != 1137 {
		t.Errorf("obama.jpg is %dx%d, want 910x1137", obama.Image.Width, obama.Image.Height)
	}
	if len(obama.Faces) != 1 {
		t.Fatalf("obama.jpg: %d faces, want 1", len(obama.Faces))
	}
	if got, want := obama.Faces[0].Box, (result.Box{Left: 349, Top: 142, Right: 617, Bottom: 409}); got != want {
		t.Errorf("obama.jpg box %+v, want %+v", got, want)
	}
	obama2, biden := enc("obama2.jpg"), enc("biden.jpg")
	if len(obama2.Faces) != 1 || len(biden.Faces) != 1 {
		t.Fatalf("obama2 %d faces, biden %d faces; want 1 each", len(obama2.Faces), len(biden.Faces))
	}
	if d := result.Distance(obama.Faces[0].Descriptor, obama2.Faces[0].Descriptor); d > 0.6 {
		t.Errorf("obama↔obama2 distance %.3f, want ≤ 0.6", d)
	}
	if d := result.Distance(obama.Faces[0].Descriptor, biden.Faces[0].Descriptor); d <= 0.6 {
		t.Errorf("obama↔biden distance %.3f, want > 0.6", d)
	}
	if two := enc("two_people.jpg"); len(two.Faces) != 2 {
		t.Errorf("two_people.jpg: %d faces, want 2", len(two.Faces))
	}
	m := result.Descriptor(obama2.Faces[0].Descriptor).Match([]result.Known{
		{Name: "biden", Descriptor: biden.Faces[0].Descriptor},
		{Name: "obama", Descriptor: obama.Faces[0].Descriptor},
	}, result.DefaultTolerance)
	if m.Name != "obama" {
		t.Errorf("Match: %+v, want obama", m)
	}
}
