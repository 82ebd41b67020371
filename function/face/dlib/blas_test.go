package dlib

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/facevec/facevec/function/face"
)

// envBLASChild makes the test binary a child that chooses OpenBLAS's
// kernels as its value says ("default": what New chooses; else a name for
// UseBLAS), encodes the test photos and prints a blasRun.
const envBLASChild = "FACEVEC_TEST_BLAS_CHILD"

type blasRun struct {
	Requested string      `json:"requested"`
	Core      string      `json:"core"`
	Err       string      `json:"err"`
	ModelBLAS []string    `json:"model_blas"`
	Vectors   [][]float32 `json:"vectors"`
}

// blasPhotos are encoded by every child: one portrait and a group.
func blasPhotos(t *testing.T) [][]byte {
	return [][]byte{fixtureBytes(t, "people/grace hopper.jpg"), fixtureBytes(t, "group/équipe 4.jpg")}
}

func blasChild(t *testing.T, choice string) {
	if choice != "default" {
		if err := UseBLAS(choice); err != nil {
			fmt.Fprintf(os.Stderr, "child: UseBLAS(%q): %v\n", choice, err)
		}
	}
	e, err := New(modelsDir(t), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := CurrentBLAS()
	run := blasRun{Requested: c.Requested, Core: c.Core}
	if c.Err != nil {
		run.Err = c.Err.Error()
	}
	for _, photo := range blasPhotos(t) {
		r := mustEncode(t, e, photo, face.Params{Upsample: 1})
		run.ModelBLAS = append(run.ModelBLAS, r.Model.BLAS)
		for _, f := range r.Faces {
			run.Vectors = append(run.Vectors, f.Descriptor)
		}
	}
	out, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("blasrun %s\n", out)
}

// runBLASChild runs this test in a child process whose environment is the
// test's own without any OPENBLAS_ variable, plus coretype as
// OPENBLAS_CORETYPE (unless empty), the way hosts differ.
func runBLASChild(t *testing.T, choice, coretype string) blasRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBLASPinnedWhateverTheHost$")
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "OPENBLAS_") })
	cmd.Env = append(cmd.Env, envBLASChild+"="+choice, "FACEVEC_MODELS="+modelsDir(t))
	if coretype != "" {
		cmd.Env = append(cmd.Env, "OPENBLAS_CORETYPE="+coretype)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child (choice %s, OPENBLAS_CORETYPE=%q): %v\n%s", choice, coretype, err, out)
	}
	for line := range strings.Lines(string(out)) {
		if js, ok := strings.CutPrefix(line, "blasrun "); ok {
			var r blasRun
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("child (choice %s, OPENBLAS_CORETYPE=%q) printed no result:\n%s", choice, coretype, out)
	return blasRun{}
}

// cpuHas reports whether /proc/cpuinfo lists every one of flags for the
// first CPU: the features of OpenBLAS's kernel sets (Haswell: avx2 fma;
// SkylakeX: avx512f avx512bw avx512dq avx512vl).
func cpuHas(t *testing.T, flags ...string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo")
	}
	var have []string
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "flags"); ok {
			_, list, _ := strings.Cut(v, ":")
			have = strings.Fields(list)
			break
		}
	}
	for _, f := range flags {
		if !slices.Contains(have, f) {
			return false
		}
	}
	return true
}

var avx512 = []string{"avx512f", "avx512bw", "avx512dq", "avx512vl"}

// TestBLASPinnedWhateverTheHost runs the encoder as hosts do: with
// OPENBLAS_CORETYPE unset (OpenBLAS detects the CPU) or set to one set or
// another. Every run must report DefaultBLAS, in the choice and in each
// result's model.blas, and give the same vectors bit for bit, which are
// also this process's. A run left on OpenBLAS's choice (AutoBLAS) with
// another set must differ, or this test could not see a missing pin.
func TestBLASPinnedWhateverTheHost(t *testing.T) {
	if choice := os.Getenv(envBLASChild); choice != "" {
		blasChild(t, choice)
		return
	}
	if !cpuHas(t, "avx2", "fma") {
		t.Skip("this CPU cannot run OpenBLAS's Haswell kernels (no AVX2/FMA)")
	}
	coretypes := []string{"", "Haswell", "Sandybridge"}
	if cpuHas(t, avx512...) {
		coretypes = append(coretypes, "SkylakeX")
	}
	var ref blasRun
	for i, ct := range coretypes {
		r := runBLASChild(t, "default", ct)
		if r.Requested != DefaultBLAS || r.Core != DefaultBLAS || r.Err != "" {
			t.Errorf("OPENBLAS_CORETYPE=%q: asked for %q, OpenBLAS runs %q (%s); want %s", ct, r.Requested, r.Core, r.Err, DefaultBLAS)
		}
		for _, m := range r.ModelBLAS {
			if m != DefaultBLAS {
				t.Errorf("OPENBLAS_CORETYPE=%q: a result says model.blas %q, want %s", ct, m, DefaultBLAS)
			}
		}
		if len(r.Vectors) < 5 {
			t.Fatalf("OPENBLAS_CORETYPE=%q: %d faces in the test photos, want 5", ct, len(r.Vectors))
		}
		if i == 0 {
			ref = r
			continue
		}
		if d := maxVectorDiff(ref.Vectors, r.Vectors); d != 0 {
			t.Errorf("OPENBLAS_CORETYPE=%q: vectors differ from the run without it by up to %.3g", ct, d)
		}
	}

	// This process runs DefaultBLAS too (the shared encoder chose it).
	e := testEncoder(t)
	var here [][]float32
	for _, photo := range blasPhotos(t) {
		for _, f := range mustEncode(t, e, photo, face.Params{Upsample: 1}).Faces {
			here = append(here, f.Descriptor)
		}
	}
	if d := maxVectorDiff(ref.Vectors, here); d != 0 {
		t.Errorf("the test process's vectors differ from the children's by up to %.3g (OpenBLAS runs %s here)", d, CurrentBLAS().Core)
	}

	auto := runBLASChild(t, AutoBLAS, "Sandybridge")
	if auto.Core != "Sandybridge" {
		t.Fatalf("auto with OPENBLAS_CORETYPE=Sandybridge runs %q", auto.Core)
	}
	if d := maxVectorDiff(ref.Vectors, auto.Vectors); d == 0 {
		t.Fatal("OpenBLAS's Sandybridge kernels gave the Haswell vectors bit for bit: this test cannot see an unpinned kernel")
	} else {
		t.Logf("unpinned (Sandybridge) vectors differ from the pinned by up to %.3g per value", d)
	}
}

func maxVectorDiff(a, b [][]float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, maxAbsDiff(a[i], b[i]))
	}
	return m
}

// TestUseBLASErrors: a name OpenBLAS does not have, a set this CPU cannot
// run and a second choice are errors that say so; none changes the set
// the process runs.
func TestUseBLASErrors(t *testing.T) {
	testEncoder(t) // the process's choice: DefaultBLAS
	before := CurrentBLAS()
	if err := UseBLAS("haswell"); err != nil {
		t.Errorf("UseBLAS of the set already chosen, other case: %v", err)
	}
	if err := UseBLAS("Sandybridge"); !errors.Is(err, ErrBLASChosen) {
		t.Errorf("UseBLAS(Sandybridge) after the choice: %v, want ErrBLASChosen", err)
	}
	if got := CurrentBLAS(); got.Core != before.Core || got.Requested != before.Requested {
		t.Errorf("after the refused calls OpenBLAS runs %+v, was %+v", got, before)
	}

	// A fresh process for the choices that fail at the first call.
	for _, tc := range []struct {
		name string
		want error
	}{
		{"Pentium4000", ErrBLASUnknown},
		{"SkylakeX", ErrBLASUnsupported}, // only where the CPU lacks AVX-512
	} {
		if tc.name == "SkylakeX" && cpuHas(t, avx512...) {
			continue
		}
		r := runBLASChild(t, tc.name, "Sandybridge")
		if !strings.Contains(r.Err, tc.want.Error()) || r.Core != "Sandybridge" {
			t.Errorf("UseBLAS(%q): error %q, OpenBLAS runs %q; want %q and the set it ran before", tc.name, r.Err, r.Core, tc.want)
		}
	}
}
