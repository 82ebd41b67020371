package result

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestErrorfCodes(t *testing.T) {
	for _, code := range []Code{CodeUnsupportedFormat, CodeDecodeFailed, CodeTooLarge, CodeNotFound, CodeAccessDenied, CodeTimeout, CodeInternal} {
		err := fmt.Errorf("s3://b/k: %w", Errorf(code, "the reason %d", 7))
		if got := CodeOf(err); got != code {
			t.Errorf("CodeOf(%v) = %s, want %s", err, got, code)
		}
		if err.Error() != "s3://b/k: the reason 7" {
			t.Errorf("message %q carries more than the plain words", err.Error())
		}
	}
	if CodeOf(Errorf("bogus", "x")) != CodeInternal {
		t.Error("unknown code is not internal")
	}
	if CodeOf(context.DeadlineExceeded) != CodeTimeout || CodeOf(errors.New("x")) != CodeInternal || CodeOf(nil) != "" {
		t.Error("CodeOf fallbacks")
	}
}

func TestFailMarshalsEmptyFaces(t *testing.T) {
	r := New(Source{Bucket: "in", Key: "a b.jpg"})
	r.Faces = append(r.Faces, Face{})
	r.Fail(Errorf(CodeTooLarge, "a b.jpg is too big"))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Faces == nil || len(back.Faces) != 0 || back.Error == nil || back.Error.Code != CodeTooLarge {
		t.Fatalf("round trip: %s", b)
	}
	if !errors.Is(back.Error, ErrTooLarge) || errors.Is(back.Error, ErrNotFound) {
		t.Error("decoded *Error does not match its sentinel with errors.Is")
	}
}

func TestDistanceAndMatch(t *testing.T) {
	a := Descriptor{0, 0, 0}
	known := []Known{{"far", Descriptor{1, 1, 1}}, {"near", Descriptor{0.3, 0, 0}}, {"near2", Descriptor{0, 0.3, 0}}}
	if d := Distance(a, Descriptor{3, 4, 0}); d != 5 {
		t.Errorf("Distance = %g, want 5", d)
	}
	if d := Distance(a, Descriptor{1}); d < 1e300 {
		t.Errorf("length mismatch distance %g, want +Inf", d)
	}
	m := a.Match(known, DefaultTolerance)
	if !m.Found() || m.Name != "near" || m.Index != 1 {
		t.Errorf("Match = %+v, want the first nearest (near)", m)
	}
	if m := a.Match(known, 0.1); m.Found() || m.Index != -1 || m.Distance < 0.29 {
		t.Errorf("Match under tight tolerance = %+v, want not found with the nearest distance", m)
	}
	if m := a.Match(nil, 1); m.Found() {
		t.Errorf("Match with no known = %+v", m)
	}
}
