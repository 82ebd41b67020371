package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goOut is two rounds of real-looking `go test -bench` output.
const goOut = `goos: linux
goarch: amd64
pkg: github.com/facevec/facevec/function/face
cpu: AMD EPYC
BenchmarkDecode/jpeg/grace_hopper-2      	      93	   3000000 ns/op	 244.88 MB/s	  925778 B/op	       6 allocs/op
BenchmarkDecode/webp/hopper-2            	     184	   1912608 ns/op	  62.74 MB/s	  210928 B/op	      27 allocs/op
BenchmarkDetectHOG/up1/grace_hopper-2    	       2	 200000000 ns/op	         0.3072 MP	         1.000 faces
BenchmarkDetectCNN/up0/hopper-1mp-2      	       1	2000000000 ns/op	         0.9958 MP	         1.000 faces
BenchmarkDescriptor/grace_hopper-2       	      19	  20400000 ns/op	         1.000 faces	  20400000 ns/face	 15000000 cpu-ns/op
BenchmarkDescriptor/équipe_4-2           	       5	  80000000 ns/op	         4.000 faces	  20000000 ns/face
BenchmarkEncodeWhole/workers=1/grace_hopper-2  	1	 800000000 ns/op	 5.000 img/s	 200000000 ns/img	 1.00 cores	 150000000 cpu-ns/img
BenchmarkEncodeWhole/workers=2/grace_hopper-2  	1	 400000000 ns/op	 10.00 img/s	 100000000 ns/img	 1.98 cores	 160000000 cpu-ns/img
BenchmarkPeakRSS12MP-2  	1	2362874833 ns/op	 1.000 faces	 84.29 models-MiB	 262.0 peak-MiB	 450.0 warm-peak-MiB	 3 warm-images
BenchmarkColdStart/process-2  	1	 368333934 ns/op	 351.8 ms-first-result
BenchmarkColdStart/New-2  	2	 206916583 ns/op	 199.2 load-ms
PASS
pkg: github.com/facevec/facevec/e2e
BenchmarkUploadToResult/grace_hopper-2         	      20	 223283433 ns/op	   0.27 MB/s	       206.3 encode-ms	         5.241 overhead-ms	       214.4 p50-ms	       262.2 p90-ms	 900.0 cold-ms
BenchmarkUploadToResult/équipe_4-2             	      20	 236422488 ns/op	   0.36 MB/s	       213.5 encode-ms	         5.819 overhead-ms	       240.5 p50-ms	       281.7 p90-ms
goos: linux
BenchmarkDecode/jpeg/grace_hopper-2      	      93	   3200000 ns/op	 244.88 MB/s	  925778 B/op	       6 allocs/op
BenchmarkDescriptor/grace_hopper-2       	      19	  20600000 ns/op	         1.000 faces	  20600000 ns/face	 15000000 cpu-ns/op
BenchmarkDescriptor/équipe_4-2           	       5	  80000000 ns/op	         4.000 faces	  20000000 ns/face
BenchmarkEncodeWhole/workers=1/grace_hopper-2  	1	 800000000 ns/op	 5.000 img/s	 200000000 ns/img	 1.00 cores	 150000000 cpu-ns/img
BenchmarkEncodeWhole/workers=2/grace_hopper-2  	1	 400000000 ns/op	 10.00 img/s	 100000000 ns/img	 1.98 cores	 160000000 cpu-ns/img
BenchmarkPeakRSS12MP-2  	1	2362874833 ns/op	 1.000 faces	 84.29 models-MiB	 600.0 peak-MiB
ok  	github.com/facevec/facevec/function/face	42.1s
`

const nativeOut = `{"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"decode","median_ns":2000000,"min_ns":1900000,"max_ns":2100000,"n":2,"round":1}
{"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"describe","median_ns":20000000,"min_ns":19000000,"max_ns":21000000,"cpu_median_ns":20000000,"n":2,"round":1}
{"image":"équipe_4","w":960,"h":300,"faces":4,"stage":"describe","median_ns":80000000,"min_ns":80000000,"max_ns":80000000,"n":2,"round":1}
{"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"detect_hog_up1","median_ns":100000000,"min_ns":1,"max_ns":1,"n":2,"round":1}

{"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"decode","median_ns":2000000,"min_ns":1900000,"max_ns":2100000,"n":2,"round":2}
{"image":"grace_hopper","w":512,"h":600,"faces":1,"stage":"describe","median_ns":20000000,"min_ns":19000000,"max_ns":21000000,"n":2,"round":2}
{"image":"hopper-1mp","w":922,"h":1080,"faces":1,"stage":"detect_cnn_up0","median_ns":9000000000,"min_ns":1,"max_ns":1,"n":1,"round":1}
`

func mustCompare(t *testing.T) *comparison { return compareText(t, goOut, nativeOut) }

// compareText parses Go benchmark output and native JSON lines and
// compares them.
func compareText(t *testing.T, goText, nativeText string) *comparison {
	t.Helper()
	g, err := parseGo(strings.NewReader(goText))
	if err != nil {
		t.Fatal(err)
	}
	n, err := parseNative(strings.NewReader(nativeText))
	if err != nil {
		t.Fatal(err)
	}
	return compare(g, n)
}

func TestParseGo(t *testing.T) {
	g, err := parseGo(strings.NewReader(goOut))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, unit string
		want       []float64
	}{
		{"BenchmarkDecode/jpeg/grace_hopper", "ns/op", []float64{3e6, 3.2e6}},
		{"BenchmarkDecode/jpeg/grace_hopper", "allocs/op", []float64{6, 6}},
		{"BenchmarkDescriptor/équipe_4", "ns/face", []float64{2e7, 2e7}},
		{"BenchmarkEncodeWhole/workers=2/grace_hopper", "cores", []float64{1.98, 1.98}},
		{"BenchmarkPeakRSS12MP", "peak-MiB", []float64{262, 600}},
		{"BenchmarkColdStart/New", "load-ms", []float64{199.2}},
		{"BenchmarkDecode/jpeg/grace_hopper-2", "ns/op", nil}, // the -2 is stripped
	} {
		got := g.get(tc.name, tc.unit)
		if len(got) != len(tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.name, tc.unit, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s %s: %v, want %v", tc.name, tc.unit, got, tc.want)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, goIn, nativeIn, want string
	}{
		{"odd go fields", "BenchmarkX-2 \t 10 \t 5 ns/op 7\n", "", "odd number"},
		{"bad go value", "BenchmarkX-2 \t 10 \t five ns/op\n", "", `value "five"`},
		{"native not json", "", "round 1 done\n", "native line 1"},
		{"native unknown field", "", `{"image":"a","stage":"decode","median_ns":1,"n":1,"extra":2}` + "\n", "unknown field"},
		{"native no median", "", `{"image":"a","stage":"decode","n":1}` + "\n", "median_ns > 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.goIn != "" {
				_, err = parseGo(strings.NewReader(tc.goIn))
			} else {
				_, err = parseNative(strings.NewReader(tc.nativeIn))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestStageKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  key
		unit  string
		match bool
	}{
		{"BenchmarkDecode/png/astronaut_é", key{"decode", "astronaut_é"}, "ns/op", true},
		{"BenchmarkDetectHOG/up0/obama-240p", key{"detect_hog_up0", "obama-240p"}, "ns/op", true},
		{"BenchmarkDetectCNN/up0/hopper-1mp", key{"detect_cnn_up0", "hopper-1mp"}, "ns/op", true},
		{"BenchmarkLandmarks/grace_hopper", key{"landmarks", "grace_hopper"}, "ns/op", true},
		{"BenchmarkDescriptor/grace_hopper", key{"describe", "grace_hopper"}, "ns/op", true},
		{"BenchmarkEncodeWhole/workers=1/x", key{"whole", "x"}, "ns/img", true},
		{"BenchmarkEncodeWhole/workers=2/x", key{}, "", false},
		{"BenchmarkPeakRSS12MP", key{}, "", false},
		{"BenchmarkDecode", key{}, "", false},
	} {
		k, unit, ok := stageKey(tc.name)
		if k != tc.want || unit != tc.unit || ok != tc.match {
			t.Errorf("stageKey(%q) = %v %q %v, want %v %q %v", tc.name, k, unit, ok, tc.want, tc.unit, tc.match)
		}
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		in             []float64
		median, spread float64
	}{
		{[]float64{5}, 5, 0},
		{[]float64{4, 1, 2, 3}, 2.5, 0.6},
		{[]float64{10, 9, 11, 10, 15}, 10, 0.5},
	} {
		s, ok := summarize(tc.in)
		if !ok || s.median != tc.median || math.Abs(s.spread()-tc.spread) > 1e-12 {
			t.Errorf("summarize(%v) = %+v spread %v, want median %v spread %v", tc.in, s, s.spread(), tc.median, tc.spread)
		}
	}
	if _, ok := summarize(nil); ok {
		t.Error("summarize(nil) reported a value")
	}
	if got := fmtNS(1.5e9); got != "1.5s" {
		t.Errorf("fmtNS(1.5e9) = %q", got)
	}
	if got := fmtNS(3.76e6); got != "3.76ms" {
		t.Errorf("fmtNS(3.76e6) = %q", got)
	}
}

func TestGoals(t *testing.T) {
	c := mustCompare(t)
	c.zipBytes = 40665450
	byName := map[string]goal{}
	for _, g := range c.goals() {
		byName[g.name] = g
	}
	for _, tc := range []struct {
		name    string
		met     bool
		measure string
	}{
		// hopper 20.5/20 = 1.025, équipe 1.0 → geomean 1.0124
		{"descriptor per face, facevec/native", true, "1.012"},
		{"whole image, 2 workers / 1 worker (img/s)", true, "2.00×"},
		{"cold start, exec to first result line", true, "351.8"},
		{"CNN detector, upsample 0, ~1 MP", false, "2s (1 run) on hopper-1mp"},
		// The worst of the runs counts: 600 MiB.
		{"peak RSS, 12 MP photo, Lambda defaults", false, "600 MiB"},
		{"peak RSS, 12 MP photo, warm process", true, "450 MiB (max of 1 runs)"},
		// équipe: 240.5 - 213.5 = 27 ms, the larger gap.
		{"embedded e2e, p50 upload → result", true, "240 ms = encode 214 ms + 27 ms (équipe_4"},
		{"dist/function.zip", true, "38.8 MiB"},
	} {
		g, ok := byName[tc.name]
		if !ok || g.met == nil {
			t.Errorf("%s: not evaluated (%+v)", tc.name, g)
			continue
		}
		if *g.met != tc.met || !strings.Contains(g.measured, tc.measure) {
			t.Errorf("%s: met=%v measured %q; want met=%v and %q", tc.name, *g.met, g.measured, tc.met, tc.measure)
		}
	}
	for name, want := range map[string]string{
		"CNN detector, upsample 0, ~1 MP": "native (default malloc) 9s",
		// Only grace_hopper has CPU times on both sides: 15/20.
		"descriptor per face, facevec/native": "CPU-time ratio 0.750",
		// 2 × 150 ms / 160 ms.
		"whole image, 2 workers / 1 worker (img/s)": "CPU-time projection 1.88×",
		"peak RSS, 12 MP photo, warm process":       "after 3 images in one process",
		"embedded e2e, p50 upload → result":         "median per-upload overhead 5.8 ms",
	} {
		if n := byName[name].note; !strings.Contains(n, want) {
			t.Errorf("%s: note %q lacks %q", name, n, want)
		}
	}
}

func TestGoalE2EOver(t *testing.T) {
	g, err := parseGo(strings.NewReader(`BenchmarkUploadToResult/a-2 	5	1 ns/op	 100 encode-ms	 90 overhead-ms	 200 p50-ms
BenchmarkUploadToResult/b-2 	5	1 ns/op	 100 encode-ms	 190 overhead-ms	 300 p50-ms	 700 cold-ms
`))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := parseNative(strings.NewReader(""))
	for _, gl := range compare(g, n).goals() {
		if gl.name != "embedded e2e, p50 upload → result" {
			continue
		}
		if gl.met == nil || *gl.met || !strings.Contains(gl.measured, "(b, the largest gap)") ||
			!strings.Contains(gl.note, "50 ms over") || !strings.Contains(gl.note, "cold start) 700 ms") {
			t.Errorf("one image 200 ms over its encode time: met %v, measured %q, note %q", gl.met, gl.measured, gl.note)
		}
		return
	}
	t.Fatal("no e2e goal")
}

func TestGoalsNotMeasured(t *testing.T) {
	g, _ := parseGo(strings.NewReader("BenchmarkDecode/jpeg/a-2 \t 1 \t 5 ns/op\n"))
	n, _ := parseNative(strings.NewReader(""))
	for _, gl := range compare(g, n).goals() {
		if gl.met != nil {
			t.Errorf("%s: verdict %v without data", gl.name, *gl.met)
		}
	}
}

func TestStageTable(t *testing.T) {
	var buf bytes.Buffer
	mustCompare(t).writeStages(&buf)
	out := buf.String()
	for _, want := range []string{
		"decode", "grace_hopper", "3.1ms ± 3%", "2ms ± 0%", "1.55 [1.50–1.60]  1.50", // 3.1/2.0, range 3.0/2.0–3.2/2.0, best 3.0/2.0
		"hopper", // Go-only webp row is listed too
		"detect_hog_up1", "2.00",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Faces are per stage: native's HOG up1 row says 1 (as Go's), whatever
	// other stages of the image found.
	g, _ := parseGo(strings.NewReader("BenchmarkDetectHOG/up0/a-2 \t 1 \t 5 ns/op \t 1 faces\nBenchmarkDetectHOG/up1/a-2 \t 1 \t 9 ns/op \t 2 faces\n"))
	n, err := parseNative(strings.NewReader(`{"image":"a","w":2,"h":2,"faces":1,"stage":"detect_hog_up0","median_ns":5,"n":1}
{"image":"a","w":2,"h":2,"faces":2,"stage":"detect_hog_up1","median_ns":9,"n":1}
{"image":"a","w":2,"h":2,"faces":2,"stage":"describe","median_ns":9,"n":1}`))
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	compare(g, n).writeStages(&buf)
	if strings.Contains(buf.String(), "≠") {
		t.Errorf("per-stage face counts agree, yet a row shows a mismatch:\n%s", buf.String())
	}
	// Stage order: decode before describe before whole.
	if strings.Index(out, "decode") > strings.Index(out, "describe") {
		t.Errorf("stages out of order:\n%s", out)
	}
}

func TestRunWritesPNG(t *testing.T) {
	dir := t.TempDir()
	gp, np, pp := filepath.Join(dir, "go.txt"), filepath.Join(dir, "native.jsonl"), filepath.Join(dir, "out.png")
	if err := os.WriteFile(gp, []byte(goOut), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(np, []byte(nativeOut), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-go", gp, "-native", np, "-png", pp}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"## Goals", "MISS", "PASS", "## facevec vs native", "## Encode, whole image", "## All Go benchmarks"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	f, err := os.Open(pp)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("plot is not a PNG: %v", err)
	}
	// decode, detect_hog_up1, detect_cnn_up0, describe, whole: 5 panels, 2 rows.
	if b := img.Bounds(); b.Dx() != cols*panelW || b.Dy() != legendH+2*panelH {
		t.Errorf("plot is %v", b)
	}
}

func TestRunBadUsage(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "want -go FILE"},
		{[]string{"-go", empty}, 2, "want -go FILE"},
		{[]string{"-go", filepath.Join(dir, "nope"), "-native", empty}, 1, "no such file"},
		{[]string{"-go", empty, "-native", empty}, 1, "no benchmark results"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("run(%q) = %d, %q; want %d mentioning %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		max, step float64
	}{{0, 1}, {4, 1}, {2.07, 1}, {1840, 500}, {6, 2}, {45, 20}} {
		if got := niceStep(tc.max); got != tc.step {
			t.Errorf("niceStep(%v) = %v, want %v", tc.max, got, tc.step)
		}
	}
	for v, want := range map[float64]string{1500: "1.5k", 2000: "2k", 0.5: "0.5", 40: "40"} {
		if got := fmtTick(v); got != want {
			t.Errorf("fmtTick(%v) = %q, want %q", v, got, want)
		}
	}
}

// A two-thread row is held against native's one-thread stage of the image.
func TestTwoThreadRowsUseNativeBase(t *testing.T) {
	c := compareText(t, "BenchmarkDetectHOG/up1/a-2 \t 1 \t 8 ns/op \t 1 faces\n"+
		"BenchmarkDetectHOGThreads/up1/a-2 \t 1 \t 5 ns/op \t 1 faces\n"+
		"BenchmarkEncodeWhole/workers=1,threads=2/a-2 \t 1 \t 99 ns/op \t 3 ns/img\n",
		`{"image":"a","w":2,"h":2,"faces":1,"stage":"detect_hog_up1","median_ns":10,"n":1}
{"image":"a","w":2,"h":2,"faces":1,"stage":"whole","median_ns":12,"n":1}`)
	var buf bytes.Buffer
	c.writeStages(&buf)
	out := buf.String()
	for _, want := range []string{"detect_hog_up1 2 threads", "0.50", "whole 2 threads", "0.25", "0.80"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "detect_hog_up1 2 threads") < strings.Index(out, "detect_hog_up1 ") {
		t.Errorf("two-thread row before its base:\n%s", out)
	}
}

// TestRatioGoals: issue 21's whole-image goals are geomeans of the
// facevec/native ratios, and the images over the target are named.
func TestRatioGoals(t *testing.T) {
	c := compareText(t, "BenchmarkEncodeWhole/workers=1/a-2 \t 1 \t 100 ns/op \t 50 ns/img\n"+
		"BenchmarkEncodeWhole/workers=1/b-2 \t 1 \t 120 ns/op \t 60 ns/img\n"+
		"BenchmarkEncodeWhole/workers=1,threads=2/a-2 \t 1 \t 60 ns/op \t 30 ns/img\n"+
		"BenchmarkEncodeWhole/workers=1,threads=2/b-2 \t 1 \t 100 ns/op \t 50 ns/img\n",
		`{"image":"a","w":2,"h":2,"faces":1,"stage":"whole","median_ns":100,"n":1}
{"image":"b","w":2,"h":2,"faces":1,"stage":"whole","median_ns":100,"n":1}`)
	byName := map[string]goal{}
	for _, g := range c.goals() {
		byName[g.name] = g
	}
	for _, tc := range []struct {
		name, measured, note string
		met                  bool
	}{
		// 0.5 and 0.6: geomean 0.548, under 0.55, though b is over it.
		{"whole image, Lambda defaults, 1 thread, facevec/native", "0.55 (geomean of 2 images, 0.50–0.60)", "over it: b 0.60", true},
		// 0.3 and 0.5: geomean 0.387.
		{"whole image, Lambda defaults, 2 threads, facevec/native", "0.39 (geomean of 2 images, 0.30–0.50)", "over it: b 0.50", false},
	} {
		g, ok := byName[tc.name]
		if !ok || g.met == nil {
			t.Errorf("%s: not evaluated (%+v)", tc.name, g)
			continue
		}
		if *g.met != tc.met || g.measured != tc.measured || !strings.Contains(g.note, tc.note) {
			t.Errorf("%s: met=%v measured %q note %q; want met=%v, %q, note with %q", tc.name, *g.met, g.measured, g.note,
				tc.met, tc.measured, tc.note)
		}
	}
}

// nativeTwoKernels is one round of native run with OpenBLAS's autodetected
// kernels (Cooperlake) and once pinned to Haswell, as bench/run.sh runs it,
// plus a line from before native printed its kernel set.
const nativeTwoKernels = `{"image":"a","w":1000,"h":1000,"faces":2,"stage":"decode","median_ns":10,"n":1,"round":1,"blas":"Cooperlake"}
{"image":"a","w":1000,"h":1000,"faces":2,"stage":"describe","median_ns":40,"cpu_median_ns":40,"n":1,"round":1,"blas":"Cooperlake"}
{"image":"a","w":1000,"h":1000,"faces":2,"stage":"decode","median_ns":20,"n":1,"round":1,"blas":"Haswell"}
{"image":"a","w":1000,"h":1000,"faces":2,"stage":"describe","median_ns":50,"cpu_median_ns":50,"n":1,"round":1,"blas":"Haswell"}
`

const goTwoKernels = "BenchmarkDecode/jpeg/a-2 \t 1 \t 10 ns/op\n" +
	"BenchmarkDescriptor/a-2 \t 1 \t 60 ns/op \t 2 faces \t 30 cpu-ns/op\n"

func TestParseNativeKernelSets(t *testing.T) {
	n, err := parseNative(strings.NewReader(nativeTwoKernels +
		`{"image":"b","w":2,"h":2,"faces":1,"stage":"describe","median_ns":7,"n":1,"round":1}` + "\n" +
		`{"image":"b","w":2,"h":2,"faces":1,"stage":"describe","median_ns":8,"n":1,"round":1,"blas":"SkylakeX"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The autodetected sets first, the pinned one last; old lines are of an
	// unknown set, named "".
	if got, want := n.kernelSets(), []string{"", "Cooperlake", "SkylakeX", "Haswell"}; !slices.Equal(got, want) {
		t.Errorf("kernel sets %q, want %q", got, want)
	}
	for _, tc := range []struct {
		blas  string
		stage string
		image string
		want  []float64
	}{
		{"Cooperlake", "describe", "a", []float64{40}},
		{"Haswell", "describe", "a", []float64{50}},
		{"Haswell", "decode", "a", []float64{20}},
		{"", "describe", "b", []float64{7}},
		{"", "describe", "a", nil},
		{"SkylakeX", "describe", "b", []float64{8}},
	} {
		if got := n.sets[tc.blas].ns[key{tc.stage, tc.image}]; !slices.Equal(got, tc.want) {
			t.Errorf("%s %s on %q: %v, want %v", tc.stage, tc.image, tc.blas, got, tc.want)
		}
	}
	// Other stages are compared with the pinned set's runs.
	if got := n.ns[key{"decode", "a"}]; !slices.Equal(got, []float64{20}) {
		t.Errorf("decode on a: %v, want the Haswell run's [20]", got)
	}
}

// The descriptor ratio is shown against native on each kernel set it ran;
// every other stage uses native on facevec's pinned set, Haswell.
func TestDescriptorPerKernelSet(t *testing.T) {
	c := compareText(t, goTwoKernels, nativeTwoKernels)
	byName := map[string]goal{}
	for _, g := range c.goals() {
		byName[g.name] = g
	}
	for name, want := range map[string]string{
		"descriptor per face, facevec/native (native OpenBLAS Cooperlake)": "1.500 (geomean of 1 images", // 60/40
		"descriptor per face, facevec/native (native OpenBLAS Haswell)":    "1.200 (geomean of 1 images", // 60/50
	} {
		g, ok := byName[name]
		if !ok || g.met == nil || *g.met || !strings.HasPrefix(g.measured, want) {
			t.Errorf("%s: %+v, want a miss measured %q", name, g, want)
		}
	}
	if g, ok := byName["descriptor per face, facevec/native"]; ok {
		t.Errorf("a descriptor goal without a kernel set: %+v", g)
	}
	var buf bytes.Buffer
	c.writeStages(&buf)
	out := buf.String()
	for _, want := range []string{
		"decode                       a      1.00  2      10ns (1 run)  20ns (1 run)  0.50",
		"describe, native Cooperlake  a      1.00  2      60ns (1 run)  40ns (1 run)  1.50",
		"describe, native Haswell     a      1.00  2      60ns (1 run)  50ns (1 run)  1.20",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "native Cooperlake") > strings.Index(out, "native Haswell") {
		t.Errorf("pinned set before the autodetected one:\n%s", out)
	}
	// The plot has one line per side: native describe on the pinned set.
	for _, p := range c.panels() {
		if p.stage != "describe (per face)" {
			continue
		}
		if len(p.fv) != 1 || len(p.native) != 1 || p.native[0].y != 25e-6 {
			t.Errorf("describe panel: facevec %v, native %v; want one point each, native 25e-6 ms (Haswell)", p.fv, p.native)
		}
		return
	}
	t.Error("no describe panel")
}
