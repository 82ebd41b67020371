package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples holds every value seen per unit ("ns/op", "img/s", ...), one per
// -count run or round.
type samples map[string][]float64

// goResults is `go test -bench` output, possibly several runs appended.
type goResults struct {
	names  []string // first-seen order
	byName map[string]samples
}

func (g *goResults) get(name, unit string) []float64 {
	if g == nil || g.byName[name] == nil {
		return nil
	}
	return g.byName[name][unit]
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S*)\s+(\d+)\s+(.*)$`)
	procs     = regexp.MustCompile(`-\d+$`)
)

// parseGo reads benchmark result lines and ignores everything else
// (headers, PASS, logs), as benchstat does. A result line whose values do
// not parse is an error: it means the format is not what we think.
func parseGo(r io.Reader) (*goResults, error) {
	g := &goResults{byName: map[string]samples{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		// The -GOMAXPROCS suffix; our sub-benchmark names never end in -digits.
		name := procs.ReplaceAllString(m[1], "")
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("go bench line %d: odd number of value/unit fields: %q", ln, sc.Text())
		}
		s := g.byName[name]
		if s == nil {
			s = samples{}
			g.byName[name] = s
			g.names = append(g.names, name)
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("go bench line %d: value %q: %w", ln, f[i], err)
			}
			s[f[i+1]] = append(s[f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read go bench output: %w", err)
	}
	return g, nil
}

// nativeRecord is one line of bench/native's output.
type nativeRecord struct {
	Image    string  `json:"image"`
	W        int     `json:"w"`
	H        int     `json:"h"`
	Faces    int     `json:"faces"`
	Stage    string  `json:"stage"`
	MedianNS float64 `json:"median_ns"`
	MinNS    float64 `json:"min_ns"`
	MaxNS    float64 `json:"max_ns"`
	CPUNS    float64 `json:"cpu_median_ns"` // 0 in output of older builds
	N        int     `json:"n"`
	Round    int     `json:"round"`
	BLAS     string  `json:"blas"` // OpenBLAS kernel set; "" (unknown) in output of older builds
}

// key names one measurement: a stage on an image.
type key struct{ stage, image string }

// pinnedBLAS is the OpenBLAS kernel set facevec pins in every process
// (OPENBLAS_CORETYPE=Haswell); bench/run.sh runs native with it and with
// OpenBLAS's autodetected set.
const pinnedBLAS = "Haswell"

// nativeRun is bench/native's per-round medians from the runs on one
// OpenBLAS kernel set.
type nativeRun struct {
	ns    map[key][]float64 // wall time
	cpu   map[key][]float64 // process CPU time
	faces map[key]int       // what that stage found (detections, or the faces it worked on)
}

func newNativeRun() *nativeRun {
	return &nativeRun{ns: map[key][]float64{}, cpu: map[key][]float64{}, faces: map[key]int{}}
}

func (r *nativeRun) add(rec nativeRecord) {
	k := key{rec.Stage, rec.Image}
	r.ns[k] = append(r.ns[k], rec.MedianNS)
	if rec.CPUNS > 0 {
		r.cpu[k] = append(r.cpu[k], rec.CPUNS)
	}
	r.faces[k] = rec.Faces
}

// nativeResults collects the per-round medians of bench/native.
type nativeResults struct {
	// nativeRun is what every stage but describe is compared with: the
	// runs on facevec's pinned kernel set when there are any (so facevec
	// and native run the same sgemm kernels), else every run, as before
	// native printed its kernel set.
	*nativeRun
	sets map[string]*nativeRun // by kernel set as native printed it; "" unknown
	size map[string][2]int
}

func parseNative(r io.Reader) (*nativeResults, error) {
	n := &nativeResults{sets: map[string]*nativeRun{}, size: map[string][2]int{}}
	all := newNativeRun()
	sc := bufio.NewScanner(r)
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec nativeRecord
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("native line %d: %w: %q", ln, err, line)
		}
		if rec.Image == "" || rec.Stage == "" || rec.MedianNS <= 0 || rec.N < 1 {
			return nil, fmt.Errorf("native line %d: want image, stage, median_ns > 0 and n ≥ 1: %q", ln, line)
		}
		set := n.sets[rec.BLAS]
		if set == nil {
			set = newNativeRun()
			n.sets[rec.BLAS] = set
		}
		set.add(rec)
		all.add(rec)
		n.size[rec.Image] = [2]int{rec.W, rec.H}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read native output: %w", err)
	}
	n.nativeRun = all
	if pinned, ok := n.sets[pinnedBLAS]; ok {
		n.nativeRun = pinned
	}
	return n, nil
}

// kernelSets names the kernel sets native ran on, the pinned one last: in
// bench/run.sh's output the others are OpenBLAS's autodetected set.
func (n *nativeResults) kernelSets() []string {
	names := slices.Sorted(maps.Keys(n.sets))
	if i := slices.Index(names, pinnedBLAS); i >= 0 {
		names = append(slices.Delete(names, i, i+1), pinnedBLAS)
	}
	return names
}

// twoThreads marks a stage facevec ran with two threads for one photo; its
// native counterpart is the stage without it (native dlib has one thread).
const twoThreads = " 2 threads"

// stageKey maps a Go benchmark name to the native stage it matches and
// the unit that holds its wall time ("cpu-"+unit holds its CPU time); ok
// is false for benchmarks with no native counterpart.
func stageKey(name string) (k key, unit string, ok bool) {
	p := strings.Split(name, "/")
	switch {
	case p[0] == "BenchmarkDecode" && len(p) == 3:
		return key{"decode", p[2]}, "ns/op", true
	case p[0] == "BenchmarkDetectHOG" && len(p) == 3:
		return key{"detect_hog_" + p[1], p[2]}, "ns/op", true
	case p[0] == "BenchmarkDetectHOGThreads" && len(p) == 3:
		return key{"detect_hog_" + p[1] + twoThreads, p[2]}, "ns/op", true
	case p[0] == "BenchmarkDetectCNN" && len(p) == 3:
		return key{"detect_cnn_" + p[1], p[2]}, "ns/op", true
	case p[0] == "BenchmarkLandmarks" && len(p) == 2:
		return key{"landmarks", p[1]}, "ns/op", true
	case p[0] == "BenchmarkDescriptor" && len(p) == 2:
		return key{"describe", p[1]}, "ns/op", true
	case p[0] == "BenchmarkEncodeWhole" && len(p) == 3 && p[1] == "workers=1":
		// Each op is a batch; ns/img is one image, as native's "whole".
		return key{"whole", p[2]}, "ns/img", true
	case p[0] == "BenchmarkEncodeWhole" && len(p) == 3 && p[1] == "workers=1,threads=2":
		return key{"whole" + twoThreads, p[2]}, "ns/img", true
	}
	return key{}, "", false
}
