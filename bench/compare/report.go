package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// stages in pipeline order; the table and the plot follow it.
var stages = []string{"decode", "detect_hog_up0", "detect_hog_up1", "detect_hog_up1" + twoThreads, "detect_cnn_up0",
	"landmarks", "describe", "whole", "whole" + twoThreads}

// row is one stage on one image, facevec against native.
type row struct {
	key
	// blas is the native kernel set of a describe row, one row per set
	// (setRank its place in comparison.describeSets); "" for other stages
	// and for native output that did not name its set.
	blas         string
	setRank      int
	mp           float64 // megapixels; 0 when unknown
	fvFaces      int     // -1 when not reported
	natFaces     int     // -1 when native did not run the image
	fv, nat      stat    // wall time
	hasFV, hasNt bool
	fvCPU, ntCPU stat // CPU time
	hasFVCPU     bool
	hasNtCPU     bool
}

// label is the row's stage, with the native kernel set when the row has one.
func (r row) label() string {
	if r.blas == "" {
		return r.stage
	}
	return r.stage + ", native " + r.blas
}

func (r row) ratio() (float64, float64, float64, bool) {
	if !r.hasFV || !r.hasNt {
		return 0, 0, 0, false
	}
	return r.sameWork(r.fv, r.nat)
}

// minRatio is facevec/native of the fastest runs: the run least
// disturbed by other load on each side.
func (r row) minRatio() (float64, bool) {
	if !r.hasFV || !r.hasNt {
		return 0, false
	}
	x, _, _, _ := r.sameWork(stat{median: r.fv.min, min: r.fv.min, max: r.fv.min, n: 1},
		stat{median: r.nat.min, min: r.nat.min, max: r.nat.min, n: 1})
	return x, true
}

// cpuRatio is facevec/native in CPU time, which a loaded machine hardly moves.
func (r row) cpuRatio() (float64, bool) {
	if !r.hasFVCPU || !r.hasNtCPU {
		return 0, false
	}
	x, _, _, _ := r.sameWork(r.fvCPU, r.ntCPU)
	return x, true
}

func (r row) sameWork(a, b stat) (float64, float64, float64, bool) {
	// Same work only when both found the same faces; else compare per face.
	if r.stage == "describe" || r.stage == "landmarks" {
		if r.fvFaces > 0 && r.natFaces > 0 && r.fvFaces != r.natFaces {
			a, b = scale(a, 1/float64(r.fvFaces)), scale(b, 1/float64(r.natFaces))
		}
	}
	x, lo, hi := ratio(a, b)
	return x, lo, hi, true
}

func scale(s stat, f float64) stat {
	return stat{median: s.median * f, min: s.min * f, max: s.max * f, n: s.n}
}

// comparison pairs every Go stage benchmark with its native measurement.
type comparison struct {
	rows []row
	g    *goResults
	n    *nativeResults
	// zipBytes is the size of dist/function.zip, 0 when not given.
	zipBytes int64
	// describeSets are the native kernel sets with describe results, the
	// pinned one last; describe has a row per image and set.
	describeSets []string
}

func compare(g *goResults, n *nativeResults) *comparison {
	c := &comparison{g: g, n: n}
	idx := map[key]int{}
	add := func(k key) *row {
		if i, ok := idx[k]; ok {
			return &c.rows[i]
		}
		idx[k] = len(c.rows)
		c.rows = append(c.rows, row{key: k, fvFaces: -1, natFaces: -1})
		return &c.rows[len(c.rows)-1]
	}
	goMP := map[string]float64{}
	for _, name := range g.names {
		k, unit, ok := stageKey(name)
		if !ok {
			continue
		}
		s, ok := summarize(g.get(name, unit))
		if !ok {
			continue
		}
		r := add(k)
		r.fv, r.hasFV = s, true
		r.fvCPU, r.hasFVCPU = summarize(g.get(name, "cpu-"+unit))
		if f, ok := summarize(g.get(name, "faces")); ok {
			r.fvFaces = int(f.median)
		}
		if mp, ok := summarize(g.get(name, "MP")); ok {
			goMP[k.image] = mp.median
		}
	}
	for k, xs := range n.ns {
		r := add(k)
		r.nat, r.hasNt = summarize(xs)
		r.ntCPU, r.hasNtCPU = summarize(n.cpu[k])
	}
	for _, name := range n.kernelSets() {
		described := false
		for k := range n.sets[name].ns {
			if k.stage == "describe" {
				add(k)
				described = true
			}
		}
		if described {
			c.describeSets = append(c.describeSets, name)
		}
	}
	for i := range c.rows {
		r := &c.rows[i]
		nk := r.key
		if base, ok := strings.CutSuffix(r.stage, twoThreads); ok {
			nk = key{base, r.image}
			r.nat, r.hasNt = summarize(n.ns[nk])
			r.ntCPU, r.hasNtCPU = summarize(n.cpu[nk])
		}
		if f, ok := n.faces[nk]; ok {
			r.natFaces = f
		}
		if sz, ok := n.size[r.image]; ok {
			r.mp = float64(sz[0]) * float64(sz[1]) / 1e6
		} else {
			r.mp = goMP[r.image]
		}
	}
	c.rows = c.describePerSet(c.rows)
	slices.SortStableFunc(c.rows, func(a, b row) int {
		if d := slices.Index(stages, a.stage) - slices.Index(stages, b.stage); d != 0 {
			return d
		}
		if d := a.setRank - b.setRank; d != 0 {
			return d
		}
		if a.mp != b.mp {
			if a.mp < b.mp {
				return -1
			}
			return 1
		}
		return strings.Compare(a.image, b.image)
	})
	return c
}

// describePerSet replaces each describe row with one per native kernel
// set, so the descriptor ratio is shown against native on OpenBLAS's
// autodetected kernels and on facevec's pinned ones.
func (c *comparison) describePerSet(rows []row) []row {
	if len(c.describeSets) == 0 {
		return rows
	}
	var out []row
	for _, r := range rows {
		if r.stage != "describe" {
			out = append(out, r)
			continue
		}
		for i, name := range c.describeSets {
			set := c.n.sets[name]
			x := r
			x.blas, x.setRank = name, i
			x.nat, x.hasNt = summarize(set.ns[r.key])
			x.ntCPU, x.hasNtCPU = summarize(set.cpu[r.key])
			x.natFaces = -1
			if f, ok := set.faces[r.key]; ok {
				x.natFaces = f
			}
			if x.hasFV || x.hasNt {
				out = append(out, x)
			}
		}
	}
	return out
}

// plottedBLAS is the kernel set of the describe rows the plot shows: the
// pinned one when native ran on it (describeSets has it last). Rows of
// other stages have no set ("") and are always shown.
func (c *comparison) plottedBLAS() string {
	if len(c.describeSets) == 0 {
		return ""
	}
	return c.describeSets[len(c.describeSets)-1]
}

func (c *comparison) writeStages(w io.Writer) {
	fmt.Fprintln(w, "## facevec vs native dlib, per stage")
	fmt.Fprintln(w, "median ± largest deviation over the runs; ratio = facevec/native (< 1: facevec faster),")
	fmt.Fprintln(w, "in brackets the range the samples allow (min/max .. max/min); best = ratio of the fastest")
	fmt.Fprintln(w, "runs (least disturbed by other load); cpu = ratio of process CPU time (user+system).")
	fmt.Fprintf(w, "native = its runs on OpenBLAS's %s kernels (facevec's pinned set) if any, else all its runs;\n", pinnedBLAS)
	fmt.Fprintln(w, "descriptors are shown against native on each kernel set it ran on.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\timage\tMP\tfaces\tfacevec\tnative\tratio\tbest\tcpu\t")
	last := ""
	var per [3][]float64 // ratio, best, cpu of the current stage
	gm := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", geomean(xs))
	}
	flush := func() {
		if len(per[0]) > 1 {
			fmt.Fprintf(tw, "\tgeomean\t\t\t\t\t%s\t%s\t%s\t\n", gm(per[0]), gm(per[1]), gm(per[2]))
		}
		per = [3][]float64{}
	}
	for _, r := range c.rows {
		if r.label() != last {
			flush()
			last = r.label()
		}
		mp, faces, fv, nat, rs, br, cr := "-", "-", "-", "-", "-", "-", "-"
		if r.mp > 0 {
			mp = fmt.Sprintf("%.2f", r.mp)
		}
		switch {
		case r.fvFaces >= 0 && r.natFaces >= 0 && r.fvFaces != r.natFaces:
			faces = fmt.Sprintf("%d≠%d", r.fvFaces, r.natFaces)
		case r.fvFaces >= 0:
			faces = fmt.Sprint(r.fvFaces)
		case r.natFaces >= 0:
			faces = fmt.Sprint(r.natFaces)
		}
		if r.hasFV {
			fv = fmtStat(r.fv, true)
		}
		if r.hasNt {
			nat = fmtStat(r.nat, true)
		}
		if x, lo, hi, ok := r.ratio(); ok {
			rs = fmt.Sprintf("%.2f [%.2f–%.2f]", x, lo, hi)
			per[0] = append(per[0], x)
		}
		if x, ok := r.minRatio(); ok {
			br = fmt.Sprintf("%.2f", x)
			per[1] = append(per[1], x)
		}
		if x, ok := r.cpuRatio(); ok {
			cr = fmt.Sprintf("%.2f", x)
			per[2] = append(per[2], x)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.label(), r.image, mp, faces, fv, nat, rs, br, cr)
	}
	flush()
	tw.Flush()
	fmt.Fprintln(w)
}

// scaling is BenchmarkEncodeWhole's img/s per worker count and image.
type scaling struct {
	workers []string           // "workers=1", ...
	images  []string           // first-seen order
	ips     map[key]stat       // {workers, image} → img/s
	cores   map[key]stat       // {workers, image} → CPU/wall
	cpuImg  map[key]stat       // {workers, image} → CPU ns per image
	speedup map[string]float64 // image → img/s at workers=2 / workers=1
	// projected is the speed-up 2 workers would get on 2 otherwise idle
	// cores: 2 × CPU per image at workers=1 / CPU per image at workers=2.
	// It assumes the workers never wait for each other (they share no
	// lock during a cgo call). It is only as good as cpu/img at workers=2:
	// when the machine gave the two workers ~1 core between them they
	// rarely ran at the same time, so the slow-down two really
	// simultaneous workers cause each other (shared caches, memory
	// bandwidth, SMT siblings on the host) is missing and the projection
	// is too high. Trust it only where cores ≈ 2.
	projected map[string]float64
}

func (c *comparison) scaling() scaling {
	s := scaling{ips: map[key]stat{}, cores: map[key]stat{}, cpuImg: map[key]stat{},
		speedup: map[string]float64{}, projected: map[string]float64{}}
	for _, name := range c.g.names {
		p := strings.Split(name, "/")
		if len(p) != 3 || p[0] != "BenchmarkEncodeWhole" {
			continue
		}
		k := key{p[1], p[2]}
		st, ok := summarize(c.g.get(name, "img/s"))
		if !ok {
			continue
		}
		if !slices.Contains(s.workers, p[1]) {
			s.workers = append(s.workers, p[1])
		}
		if !slices.Contains(s.images, p[2]) {
			s.images = append(s.images, p[2])
		}
		s.ips[k] = st
		if cs, ok := summarize(c.g.get(name, "cores")); ok {
			s.cores[k] = cs
		}
		if cs, ok := summarize(c.g.get(name, "cpu-ns/img")); ok {
			s.cpuImg[k] = cs
		}
	}
	for _, im := range s.images {
		one, ok1 := s.ips[key{"workers=1", im}]
		two, ok2 := s.ips[key{"workers=2", im}]
		if ok1 && ok2 {
			s.speedup[im] = two.median / one.median
		}
		c1, ok1 := s.cpuImg[key{"workers=1", im}]
		c2, ok2 := s.cpuImg[key{"workers=2", im}]
		if ok1 && ok2 {
			s.projected[im] = 2 * c1.median / c2.median
		}
	}
	return s
}

func (c *comparison) writeScaling(w io.Writer) {
	s := c.scaling()
	if len(s.images) == 0 {
		return
	}
	fmt.Fprintln(w, "## Encode, whole image (Lambda defaults), images/s by worker count")
	fmt.Fprintln(w, "cores = CPU time / wall time during the batch (what the workers actually got);")
	fmt.Fprintln(w, "cpu/img = CPU time per image; projected = 2 × cpu/img(1) / cpu/img(2), the speed-up two")
	fmt.Fprintln(w, "workers would reach on two idle cores. Trust it only where workers=2 got cores ≈ 2: with")
	fmt.Fprintln(w, "~1 core the workers seldom ran together, so their mutual slow-down is missing and it is too high.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprint(tw, "image\t")
	for _, wk := range s.workers {
		fmt.Fprintf(tw, "%s img/s\tcores\tcpu/img\t", wk)
	}
	fmt.Fprintln(tw, "speed-up 2/1\tprojected\t")
	for _, im := range s.images {
		fmt.Fprintf(tw, "%s\t", im)
		for _, wk := range s.workers {
			v, cv, pv := "-", "-", "-"
			if st, ok := s.ips[key{wk, im}]; ok {
				v = fmtStat(st, false)
			}
			if cs, ok := s.cores[key{wk, im}]; ok {
				cv = fmt.Sprintf("%.2f", cs.median)
			}
			if cs, ok := s.cpuImg[key{wk, im}]; ok {
				pv = fmtNS(cs.median)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t", v, cv, pv)
		}
		sp, bd := "-", "-"
		if x, ok := s.speedup[im]; ok {
			sp = fmt.Sprintf("%.2f×", x)
		}
		if x, ok := s.projected[im]; ok {
			bd = fmt.Sprintf("%.2f×", x)
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", sp, bd)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// writeAll is every Go benchmark with every unit, benchstat style.
func (c *comparison) writeAll(w io.Writer) {
	fmt.Fprintln(w, "## All Go benchmarks (median ± largest deviation)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, name := range c.g.names {
		s := c.g.byName[name]
		units := make([]string, 0, len(s))
		for u := range s {
			units = append(units, u)
		}
		slices.SortFunc(units, func(a, b string) int {
			if d := unitRank(a) - unitRank(b); d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		var parts []string
		for _, u := range units {
			st, _ := summarize(s[u])
			if strings.HasPrefix(u, "ns/") || strings.HasPrefix(u, "cpu-ns/") {
				// "ns/op" → "3.1ms /op", "cpu-ns/img" → "2.6ms cpu/img"
				parts = append(parts, fmt.Sprintf("%s %s", fmtStat(st, true), strings.Replace(u, "ns", "", 1)))
			} else {
				parts = append(parts, fmt.Sprintf("%s %s", fmtStat(st, false), u))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", strings.TrimPrefix(name, "Benchmark"), strings.Join(parts, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

func unitRank(u string) int {
	switch u {
	case "ns/op":
		return 0
	case "B/op":
		return 90
	case "allocs/op":
		return 91
	}
	switch {
	case strings.HasPrefix(u, "ns/"):
		return 1
	case strings.HasPrefix(u, "cpu-ns/"):
		return 2
	}
	return 10
}

// verdict is a goal's met, measured.
func verdict(ok bool) *bool { return &ok }

// goal is one target from the issue with what was measured.
type goal struct {
	name, measured, target, note string
	met                          *bool // nil: not measured
}

func (c *comparison) goals() []goal {
	var gs []goal

	// 1. Descriptor per face, facevec/native, against native on each
	// kernel set it ran.
	sets := c.describeSets
	if len(sets) == 0 {
		sets = []string{""}
	}
	for _, blas := range sets {
		gs = append(gs, c.descriptorGoal(blas))
	}

	// Issue 21: whole image at the Lambda defaults against native dlib,
	// the photo's HOG on one thread and on two.
	gs = append(gs, c.ratioGoal("whole", "whole image, Lambda defaults, 1 thread, facevec/native", 0.55))
	gs = append(gs, c.ratioGoal("whole"+twoThreads, "whole image, Lambda defaults, 2 threads, facevec/native", 0.35))

	// 2. Whole image, 2 workers vs 1.
	s := c.scaling()
	sp := goal{name: "whole image, 2 workers / 1 worker (img/s)", target: "≥ 1.8×"}
	var xs, cores, projected []float64
	for _, im := range s.images {
		if x, ok := s.speedup[im]; ok {
			xs = append(xs, x)
			if cs, ok := s.cores[key{"workers=2", im}]; ok {
				cores = append(cores, cs.median)
			}
		}
		if x, ok := s.projected[im]; ok {
			projected = append(projected, x)
		}
	}
	if len(xs) > 0 {
		g := geomean(xs)
		sp.measured = fmt.Sprintf("%.2f× (geomean of %d images, %.2f–%.2f)", g, len(xs), slices.Min(xs), slices.Max(xs))
		sp.met = verdict(g >= 1.8)
		if len(cores) > 0 {
			cs, _ := summarize(cores)
			sp.note = fmt.Sprintf("2 workers got %.2f cores (median)", cs.median)
		}
		if len(projected) > 0 {
			sp.note += fmt.Sprintf("; CPU-time projection %.2f× (too high unless cores ≈ 2)", geomean(projected))
		}
		if g < 1.8 {
			sp.note += fmt.Sprintf("; %.0f%% short", 100*(1-g/1.8))
		}
	}
	gs = append(gs, sp)

	// 3. Cold start.
	cs := goal{name: "cold start, exec to first result line", target: "< 600 ms"}
	if st, ok := summarize(c.g.get("BenchmarkColdStart/process", "ms-first-result")); ok {
		cs.measured = fmtStat(st, false) + " ms"
		cs.met = verdict(st.median < 600)
		if l, ok := summarize(c.g.get("BenchmarkColdStart/New", "load-ms")); ok {
			cs.note = fmt.Sprintf("encoder LoadTime %.0f ms", l.median)
		}
		if p, ok := summarize(c.g.get("BenchmarkColdStart/process", "cpu-ms")); ok {
			cs.note += fmt.Sprintf("; process CPU %.0f ms", p.median)
		}
		if st.median >= 600 {
			cs.note += fmt.Sprintf("; %.0f ms over", st.median-600)
		}
	}
	gs = append(gs, cs)

	// 4. CNN, upsample 0, ~1 MP.
	cn := goal{name: "CNN detector, upsample 0, ~1 MP", target: "≤ 1.5 s"}
	for _, r := range c.rows {
		if r.stage != "detect_cnn_up0" || !r.hasFV {
			continue
		}
		cn.measured = fmt.Sprintf("%s on %s (%.2f MP)", fmtStat(r.fv, true), r.image, r.mp)
		cn.met = verdict(r.fv.median <= 1.5e9)
		if r.hasFVCPU {
			cn.note = "CPU " + fmtNS(r.fvCPU.median) + "; "
		}
		if r.hasNt {
			cn.note += "native (default malloc) " + fmtStat(r.nat, true)
			if r.hasNtCPU {
				cn.note += ", CPU " + fmtNS(r.ntCPU.median)
			}
		}
		if r.fv.median > 1.5e9 {
			cn.note += fmt.Sprintf("; %.0f%% over", 100*(r.fv.median/1.5e9-1))
		}
		break
	}
	gs = append(gs, cn)

	// 5. Peak RSS on a 12 MP photo.
	pr := goal{name: "peak RSS, 12 MP photo, Lambda defaults", target: "≤ 512 MiB"}
	if st, ok := summarize(c.g.get("BenchmarkPeakRSS12MP", "peak-MiB")); ok {
		pr.measured = fmt.Sprintf("%.0f MiB (max of %d runs)", st.max, st.n)
		pr.met = verdict(st.max <= 512)
		if m, ok := summarize(c.g.get("BenchmarkPeakRSS12MP", "models-MiB")); ok {
			pr.note = fmt.Sprintf("%.0f MiB after loading the models", m.median)
		}
	}
	gs = append(gs, pr)

	// 5b. The same photo, in a process that already encoded it a few times
	// (a warm Lambda container): freed C memory is kept, not returned.
	wr := goal{name: "peak RSS, 12 MP photo, warm process", target: "≤ 512 MiB"}
	if st, ok := summarize(c.g.get("BenchmarkPeakRSS12MP", "warm-peak-MiB")); ok {
		wr.measured = fmt.Sprintf("%.0f MiB (max of %d runs)", st.max, st.n)
		wr.met = verdict(st.max <= 512)
		wr.note = fmt.Sprintf("%.0f–%.0f MiB over the runs", st.min, st.max)
		if n, ok := summarize(c.g.get("BenchmarkPeakRSS12MP", "warm-images")); ok {
			wr.note = fmt.Sprintf("after %.0f images in one process; ", n.median) + wr.note
		}
		if st.max > 512 {
			wr.note += fmt.Sprintf("; %.0f MiB over", st.max-512)
		}
	}
	gs = append(gs, wr)

	// 6. Embedded e2e: upload → result object visible, against the
	// function's own encode time for the same uploads. Every image must
	// meet it, so the image with the largest gap is the one shown.
	e2e := goal{name: "embedded e2e, p50 upload → result", target: "≤ encode + 150 ms"}
	worst := math.Inf(-1)
	for _, name := range c.g.names {
		im, ok := strings.CutPrefix(name, "BenchmarkUploadToResult/")
		if !ok {
			continue
		}
		p50, ok1 := summarize(c.g.get(name, "p50-ms"))
		enc, ok2 := summarize(c.g.get(name, "encode-ms"))
		over, ok3 := summarize(c.g.get(name, "overhead-ms"))
		if !ok1 || !ok2 || !ok3 || p50.median-enc.median <= worst {
			continue
		}
		worst = p50.median - enc.median
		e2e.measured = fmt.Sprintf("%.0f ms = encode %.0f ms + %.0f ms (%s, the largest gap)", p50.median, enc.median, worst, im)
		e2e.met = verdict(worst <= 150)
		e2e.note = fmt.Sprintf("median per-upload overhead %.1f ms", over.median)
		if cold, ok := summarize(c.g.get(name, "cold-ms")); ok {
			e2e.note += fmt.Sprintf("; first upload (cold start) %.0f ms", cold.median)
		}
		if worst > 150 {
			e2e.note += fmt.Sprintf("; %.0f ms over", worst-150)
		}
	}
	gs = append(gs, e2e)

	// 7. The deployment package.
	z := goal{name: "dist/function.zip", target: "≤ 50 MiB"}
	if c.zipBytes > 0 {
		mib := float64(c.zipBytes) / (1 << 20)
		z.measured = fmt.Sprintf("%.1f MiB (%d bytes)", mib, c.zipBytes)
		z.met = verdict(c.zipBytes <= 50<<20)
		if c.zipBytes > 50<<20 {
			z.note = fmt.Sprintf("%.1f MiB over", mib-50)
		}
	}
	gs = append(gs, z)
	return gs
}

// descriptorGoal is the descriptor per face, facevec/native, against
// native's describe rows on the kernel set blas.
func (c *comparison) descriptorGoal(blas string) goal {
	d := goal{name: "descriptor per face, facevec/native", target: "≤ 1.02"}
	if blas != "" {
		d.name += " (native OpenBLAS " + blas + ")"
	}
	var rs, crs, brs []float64
	var lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range c.rows {
		if r.stage != "describe" || r.blas != blas {
			continue
		}
		if x, _, _, ok := r.ratio(); ok {
			rs = append(rs, x)
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		if x, ok := r.cpuRatio(); ok {
			crs = append(crs, x)
		}
		if x, ok := r.minRatio(); ok {
			brs = append(brs, x)
		}
	}
	if len(rs) == 0 {
		return d
	}
	g := geomean(rs)
	d.measured = fmt.Sprintf("%.3f (geomean of %d images, %.2f–%.2f)", g, len(rs), lo, hi)
	d.met = verdict(g <= 1.02)
	if len(crs) > 0 {
		d.note = fmt.Sprintf("CPU-time ratio %.3f", geomean(crs))
	}
	if len(brs) > 0 {
		d.note += fmt.Sprintf("; fastest runs %.3f", geomean(brs))
	}
	if g > 1.02 {
		d.note += fmt.Sprintf("; %.1f%% over", 100*(g/1.02-1))
	}
	return d
}

// ratioGoal is a facevec/native ratio goal on one stage: the geomean over
// the images must be at most max. The note names the images over it, since
// a geomean can hide them.
func (c *comparison) ratioGoal(stage, name string, max float64) goal {
	g := goal{name: name, target: fmt.Sprintf("≤ %.2f", max)}
	var rs []float64
	var over []string
	for _, r := range c.rows {
		if r.stage != stage {
			continue
		}
		if x, _, _, ok := r.ratio(); ok {
			rs = append(rs, x)
			if x > max {
				over = append(over, fmt.Sprintf("%s %.2f", r.image, x))
			}
		}
	}
	if len(rs) == 0 {
		return g
	}
	m := geomean(rs)
	g.measured = fmt.Sprintf("%.2f (geomean of %d images, %.2f–%.2f)", m, len(rs), slices.Min(rs), slices.Max(rs))
	g.met = verdict(m <= max)
	if len(over) > 0 {
		g.note = "over it: " + strings.Join(over, ", ")
	}
	return g
}

func (c *comparison) writeGoals(w io.Writer) {
	fmt.Fprintln(w, "## Goals (issues 6 and 21)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	for _, g := range c.goals() {
		v, m := "n/a ", g.measured
		if g.met != nil {
			v = map[bool]string{true: "PASS", false: "MISS"}[*g.met]
		} else {
			m = "not measured"
		}
		note := ""
		if g.note != "" {
			note = "(" + strings.TrimPrefix(g.note, "; ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tgoal %s\t%s\t\n", v, g.name, m, g.target, note)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
