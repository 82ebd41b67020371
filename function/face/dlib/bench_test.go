package dlib

// Benchmarks per stage, named so bench/compare can pair them with the
// native dlib baseline (bench/native): Benchmark<Stage>/<variant>/<image>,
// where <image> is the file stem (go test turns white space into '_', and
// so does bench/native). `make bench` runs both and prints the ratios.
//
// Images: the committed fixtures, the resolution ladder
// $FACEVEC_EXTRA_FIXTURES/obama-{240p,480p,720p,1080p}.jpg when that is set,
// and two photos synthesised from grace hopper.jpg into
// $FACEVEC_BENCH_CACHE (default $TMPDIR/facevec-bench): ~1 MP for the CNN
// detector and 12 MP (4000x3000, JPEG q90) for the peak-memory run.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/face/imagefmt"
	"github.com/facevec/facevec/result"
)

// benchImage is one photo with everything the stage benchmarks start from:
// its bytes, decoded pixels, the HOG (upsample 1) faces and their landmarks.
type benchImage struct {
	name   string // file stem
	format imagefmt.Format
	data   []byte
	img    *imagefmt.RGB
	rects  []rect
	shapes [][5][2]int
}

var benchPrepared sync.Map // path → *benchImage

// benchPaths lists the stage benchmarks' images: three fixtures (a group,
// a PNG, a portrait), then the ladder from small to large.
func benchPaths(b *testing.B) []string {
	b.Helper()
	dir, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{
		filepath.Join(dir, "group", "équipe 4.jpg"),
		filepath.Join(dir, "people", "astronaut é.png"),
		filepath.Join(dir, "people", "grace hopper.jpg"),
	}
	if extra := os.Getenv("FACEVEC_EXTRA_FIXTURES"); extra != "" {
		for _, s := range []string{"240p", "480p", "720p", "1080p"} {
			paths = append(paths, filepath.Join(extra, "obama-"+s+".jpg"))
		}
	}
	return paths
}

// benchPrepare decodes path and finds its faces with w, once per process.
func benchPrepare(b *testing.B, w *worker, path string) *benchImage {
	b.Helper()
	if v, ok := benchPrepared.Load(path); ok {
		return v.(*benchImage)
	}
	data := readFile(b, path)
	img, format, rects, shapes := findFaces(b, w, path, data)
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	bi := &benchImage{name: stem, format: format, data: data,
		img: img, rects: rects, shapes: shapes}
	benchPrepared.Store(path, bi)
	return bi
}

// benchWorker takes one worker of the shared test encoder for the whole
// benchmark, so nothing else can use its networks meanwhile.
func benchWorker(b *testing.B) *worker {
	b.Helper()
	e := testEncoder(b)
	w := <-e.idle
	b.Cleanup(func() { e.idle <- w })
	return w
}

// forEachImage runs fn as a sub-benchmark per image (named by file stem).
func forEachImage(b *testing.B, w *worker, fn func(b *testing.B, im *benchImage)) {
	for _, p := range benchPaths(b) {
		im := benchPrepare(b, w, p)
		b.Run(im.name, func(b *testing.B) { fn(b, im) })
	}
}

func BenchmarkDecode(b *testing.B) {
	w := benchWorker(b)
	dir, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	// JPEG goes through libjpeg, PNG through dlib's loader, WebP through Go.
	paths := append(benchPaths(b), filepath.Join(dir, "formats", "hopper.webp"))
	for _, p := range paths {
		im := benchPrepare(b, w, p)
		b.Run(string(im.format)+"/"+im.name, func(b *testing.B) {
			b.SetBytes(int64(len(im.img.Pix)))
			b.ReportAllocs()
			cpu := startCPU(b)
			for b.Loop() {
				if _, _, err := Decode(im.data, imagefmt.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b, "cpu-ns/op", b.N)
		})
	}
}

// BenchmarkDetectHOG is the HOG detector on one thread, as native dlib.
func BenchmarkDetectHOG(b *testing.B) {
	w := benchWorker(b)
	w.net.setHOGThreads(1)
	for _, up := range []int{0, 1} {
		b.Run(fmt.Sprintf("up%d", up), func(b *testing.B) {
			forEachImage(b, w, func(b *testing.B, im *benchImage) {
				benchDetect(b, w, im, kindHOG, up)
			})
		})
	}
}

// BenchmarkDetectHOGThreads is the HOG detector at the Lambda's upsample 1
// with two threads for the one photo (native dlib has one).
func BenchmarkDetectHOGThreads(b *testing.B) {
	w := benchWorker(b)
	w.net.setHOGThreads(2)
	b.Cleanup(func() { w.net.setHOGThreads(1) })
	b.Run("up1", func(b *testing.B) {
		forEachImage(b, w, func(b *testing.B, im *benchImage) { benchDetect(b, w, im, kindHOG, 1) })
	})
}

// BenchmarkDetectCNN runs the mmod detector without upsampling on a ~1 MP
// photo (synthesised, so it exists without the extra fixtures).
func BenchmarkDetectCNN(b *testing.B) {
	w := benchWorker(b)
	if err := testEncoder(b).ensureCNN(w); err != nil {
		b.Fatal(err)
	}
	im := benchPrepare(b, w, benchSynthetic(b, "hopper-1mp.jpg", 922, 1080))
	b.Run("up0/"+im.name, func(b *testing.B) { benchDetect(b, w, im, kindCNN, 0) })
}

func benchDetect(b *testing.B, w *worker, im *benchImage, kind detectorKind, up int) {
	detect := func() []rect {
		rs, err := w.net.detect(im.img.Pix, im.img.Width, im.img.Height, im.img.Width, im.img.Height, kind, up)
		if err != nil {
			b.Fatal(err)
		}
		return rs
	}
	faces := len(detect()) // untimed warm-up, as bench/native does
	cpu := startCPU(b)
	for b.Loop() {
		detect()
	}
	cpu.report(b, "cpu-ns/op", b.N)
	b.ReportMetric(float64(faces), "faces")
	b.ReportMetric(float64(im.img.Width*im.img.Height)/1e6, "MP")
}

// BenchmarkLandmarks is the 5-point shape predictor over every face the
// HOG detector (upsample 1) found. Chip extraction happens inside the
// descriptor call (fv_describe), so it is counted in BenchmarkDescriptor.
func BenchmarkLandmarks(b *testing.B) {
	w := benchWorker(b)
	forEachImage(b, w, func(b *testing.B, im *benchImage) {
		if len(im.rects) == 0 {
			b.Skipf("%s: no faces", im.name)
		}
		if _, err := w.net.landmarks(im.img.Pix, im.img.Width, im.img.Height, im.rects); err != nil {
			b.Fatal(err)
		}
		cpu := startCPU(b)
		for b.Loop() {
			if _, err := w.net.landmarks(im.img.Pix, im.img.Width, im.img.Height, im.rects); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, "cpu-ns/op", b.N)
		b.ReportMetric(float64(len(im.rects)), "faces")
	})
}

// BenchmarkDescriptor is chips (150 px, padding 0.25) plus the ResNet for
// every face of the image in one batch, as face_recognition does; ns/face
// is the per-face cost.
func BenchmarkDescriptor(b *testing.B) {
	w := benchWorker(b)
	forEachImage(b, w, func(b *testing.B, im *benchImage) {
		if len(im.rects) == 0 {
			b.Skipf("%s: no faces", im.name)
		}
		describe := func() {
			ds, err := w.net.describe(im.img.Pix, im.img.Width, im.img.Height, im.rects, im.shapes, 0)
			if err != nil {
				b.Fatal(err)
			}
			if len(ds) != len(im.rects) {
				b.Fatalf("%d descriptors for %d faces", len(ds), len(im.rects))
			}
		}
		describe()
		cpu := startCPU(b)
		for b.Loop() {
			describe()
		}
		cpu.report(b, "cpu-ns/op", b.N)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(im.rects)), "ns/face")
		b.ReportMetric(float64(len(im.rects)), "faces")
	})
}

// BenchmarkEncodeWhole is Encode with the Lambda's defaults (hog, upsample
// 1, MAX_SIDE 2000). Each op encodes a fixed batch of copies of the image
// from as many goroutines as the encoder has workers, so img/s at
// workers=2 over img/s at workers=1 is the parallel speed-up; cpu-ns/img
// and cores show what the workers got when the machine is shared. Every
// photo's HOG runs on one thread, except in "workers=1,threads=2": one
// photo at a time, its HOG on two threads.
func BenchmarkEncodeWhole(b *testing.B) {
	dir := modelsDir(b)
	type setup struct{ workers, threads int }
	setups := []setup{{1, 1}, {2, 1}, {1, 2}}
	if n := runtime.NumCPU(); n > 2 {
		setups = append(setups, setup{n, 1})
	}
	// One image per goroutine at the largest count: the shortest batch
	// that keeps every worker busy, so the whole benchmark stays quick.
	batch := max(2, runtime.NumCPU())
	paths := benchPaths(b)
	for _, s := range setups {
		n := s.workers
		name := fmt.Sprintf("workers=%d", n)
		if s.threads > 1 {
			name += fmt.Sprintf(",threads=%d", s.threads)
		}
		b.Run(name, func(b *testing.B) {
			e, err := New(dir, WithWorkers(n), WithPhotoThreads(s.threads))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			for _, p := range paths {
				data := readFile(b, p)
				name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
				b.Run(name, func(b *testing.B) {
					// Warm every worker once: first-use allocations are a
					// start-up cost, measured by BenchmarkColdStart.
					if err := benchEncodeBatch(e, data, n, n); err != nil {
						b.Fatal(err)
					}
					cpu := startCPU(b)
					for b.Loop() {
						if err := benchEncodeBatch(e, data, batch, n); err != nil {
							b.Fatal(err)
						}
					}
					imgs := b.N * batch
					b.ReportMetric(float64(imgs)/b.Elapsed().Seconds(), "img/s")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(imgs), "ns/img")
					used := cpu.report(b, "cpu-ns/img", imgs)
					// CPU time over wall time: how many cores the batch
					// actually got. On a loaded machine a speed-up below
					// the worker count shows up here as cores < workers.
					b.ReportMetric(used.Seconds()/b.Elapsed().Seconds(), "cores")
				})
			}
		})
	}
}

// cpuStart is the process CPU time (user + system) when a loop began.
// Stage benchmarks report CPU time per op next to wall time because the
// machine they run on is shared: CPU time barely moves with other load,
// wall time doubles. (The Go runtime's own threads are included; they
// are idle during a cgo call.)
type cpuStart time.Duration

func startCPU(b *testing.B) cpuStart { return cpuStart(cpuTime(b)) }

// report adds unit = CPU time since start / n and returns the CPU time.
func (c cpuStart) report(b *testing.B, unit string, n int) time.Duration {
	d := cpuTime(b) - time.Duration(c)
	b.ReportMetric(float64(d.Nanoseconds())/float64(max(n, 1)), unit)
	return d
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchEncodeBatch encodes data count times from g goroutines.
func benchEncodeBatch(e *Encoder, data []byte, count, g int) error {
	var next atomic.Int64
	errs := make([]error, g)
	var wg sync.WaitGroup
	for i := range g {
		wg.Go(func() {
			for next.Add(1) <= int64(count) {
				r, err := e.Encode(context.Background(), data, defaultParams)
				if err == nil && len(r.Faces) == 0 {
					err = errors.New("no faces found")
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// peakRSSChild marks the re-executed test binary that does the 12 MP work.
const peakRSSChild = "FACEVEC_BENCH_PEAKRSS_CHILD"

// peakRSSWarmImages is how many times the child encodes the photo in all:
// a warm Lambda container keeps its process, and glibc keeps freed memory
// (per thread arena, and the encoder raises the trim threshold), so the
// peak after a few images is higher than after the first.
const peakRSSWarmImages = 3

// BenchmarkPeakRSS12MP encodes a 12 MP photo with the Lambda's defaults in
// a fresh process (the test binary re-executed for just this) and reports
// that process's peak resident set (VmHWM), models included: peak-MiB
// after the first image (a cold Lambda), warm-peak-MiB after
// peakRSSWarmImages of them (a warm one).
func BenchmarkPeakRSS12MP(b *testing.B) {
	dir := modelsDir(b)
	path := benchSynthetic(b, "hopper-12mp.jpg", 4000, 3000)
	if os.Getenv(peakRSSChild) != "" {
		peakRSSWork(b, dir, path)
		return
	}
	var peak, warm, base, faces float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkPeakRSS12MP$",
			"-test.benchtime=1x", "-test.count=1")
		cmd.Env = append(os.Environ(), peakRSSChild+"=1", "FACEVEC_MODELS="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		m, err := parsePeakRSSLine(out)
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		peak, warm = max(peak, m["peak_kib"]/1024), max(warm, m["warm_peak_kib"]/1024)
		base, faces = m["models_kib"]/1024, m["faces"]
	}
	b.ReportMetric(peak, "peak-MiB")
	b.ReportMetric(warm, "warm-peak-MiB")
	b.ReportMetric(peakRSSWarmImages, "warm-images")
	b.ReportMetric(base, "models-MiB")
	b.ReportMetric(faces, "faces")
}

// peakRSSWork is the child's side: load as the Lambda does, encode the
// photo peakRSSWarmImages times, print the high-water marks on one line.
func peakRSSWork(b *testing.B, dir, path string) {
	e, err := New(dir, WithWorkers(runtime.NumCPU()))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	models, err := vmHWM()
	if err != nil {
		b.Fatal(err)
	}
	var first, faces int64
	for i := range peakRSSWarmImages {
		// A fresh copy of the bytes each time, as each S3 download is.
		r, err := e.Encode(context.Background(), readFile(b, path), defaultParams)
		if err != nil {
			b.Fatalf("encode %s: %v", path, err)
		}
		if i == 0 {
			if first, err = vmHWM(); err != nil {
				b.Fatal(err)
			}
			faces = int64(len(r.Faces))
		}
	}
	warm, err := vmHWM()
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("facevec-peakrss peak_kib=%d warm_peak_kib=%d models_kib=%d faces=%d\n", first, warm, models, faces)
}

func parsePeakRSSLine(out []byte) (map[string]float64, error) {
	for line := range strings.Lines(string(out)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "facevec-peakrss ")
		if !ok {
			continue
		}
		m := map[string]float64{}
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("child line %q: %w", line, err)
			}
			m[k] = n
		}
		return m, nil
	}
	return nil, errors.New("child printed no facevec-peakrss line")
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM() (int64, error) {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS needs Linux /proc: %w", err)
	}
	for line := range strings.Lines(string(s)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("/proc/self/status has no VmHWM")
}

// BenchmarkColdStart: "process" is `facevec encode <small photo>` from
// exec to its first result line (ms/op), page cache warm; "New" is the
// encoder's own LoadTime (verify checksums, load, clone per worker).
func BenchmarkColdStart(b *testing.B) {
	dir := modelsDir(b)
	fix, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	photo := filepath.Join(fix, "people", "hopper-half.jpg")

	b.Run("process", func(b *testing.B) {
		bin := facevecBinary(b)
		var first, cpu time.Duration
		for b.Loop() {
			d, c, err := firstResult(bin, dir, photo)
			if err != nil {
				b.Fatal(err)
			}
			first += d
			cpu += c
		}
		b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms-first-result")
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms")
	})
	b.Run("New", func(b *testing.B) {
		var load time.Duration
		for b.Loop() {
			e, err := New(dir)
			if err != nil {
				b.Fatal(err)
			}
			load += e.LoadTime
			e.Close()
		}
		b.ReportMetric(float64(load.Microseconds())/1000/float64(b.N), "load-ms")
	})
}

// firstResult runs the CLI on photo and returns the time from start to the
// first complete stdout line, which must be a result with a face, and the
// CPU time the whole process used.
func firstResult(bin, models, photo string) (first, cpu time.Duration, err error) {
	cmd := exec.Command(bin, "encode", "--models", models, photo)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start %s: %w", bin, err)
	}
	line, rerr := bufio.NewReader(out).ReadBytes('\n')
	d := time.Since(start)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return 0, 0, fmt.Errorf("%s encode: %w\n%s", bin, err, stderr.Bytes())
	}
	if rerr != nil {
		return 0, 0, fmt.Errorf("%s encode printed no result line: %w\n%s", bin, rerr, stderr.Bytes())
	}
	var r result.Result
	if err := json.Unmarshal(line, &r); err != nil {
		return 0, 0, fmt.Errorf("first line is not a result: %w: %q", err, line)
	}
	if r.Error != nil || len(r.Faces) == 0 {
		return 0, 0, fmt.Errorf("first result has error %v and %d faces, want a face", r.Error, len(r.Faces))
	}
	return d, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// facevecBinary is $FACEVEC_BIN, else the repo's dist/facevec (make build),
// else a fresh build in a temp dir; skips when none can be had.
func facevecBinary(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("FACEVEC_BIN"); p != "" {
		return p
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	if p := filepath.Join(root, "dist", "facevec"); benchIsFile(p) {
		return p
	}
	p := filepath.Join(b.TempDir(), "facevec")
	cmd := exec.Command("go", "build", "-o", p, "./cmd/facevec")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("no dist/facevec and go build failed (run `make build`): %v\n%s", err, out)
	}
	return p
}

func benchIsFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

var benchSynthMu sync.Mutex

// benchSynthVersion names the recipe below; change it when the recipe
// changes so cached files from the old one are not reused.
const benchSynthVersion = "synth-v2"

// benchSynthetic returns the path of a w×h JPEG (q90) made from grace
// hopper.jpg: scaled to cover w×h (cropped, the face kept in frame) with
// mild fixed-seed noise so the file compresses like a camera photo rather
// than a smooth upscale. Cached as $FACEVEC_BENCH_CACHE/<benchSynthVersion>/name
// (bench/run.sh hands the newest to bench/native).
func benchSynthetic(b *testing.B, name string, w, h int) string {
	b.Helper()
	benchSynthMu.Lock()
	defer benchSynthMu.Unlock()
	dir := os.Getenv("FACEVEC_BENCH_CACHE")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "facevec-bench")
	}
	dir = filepath.Join(dir, benchSynthVersion)
	path := filepath.Join(dir, name)
	if data, err := os.ReadFile(path); err == nil {
		if hdr, err := imagefmt.ReadHeader(data); err == nil && hdr.Width == w && hdr.Height == h {
			return path
		}
	}
	fix, err := fixtures.Dir()
	if err != nil {
		b.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(readFile(b, filepath.Join(fix, "people", "grace hopper.jpg"))))
	if err != nil {
		b.Fatalf("decode grace hopper.jpg: %v", err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(dst, dst.Bounds(), src, coverRect(src.Bounds(), w, h), draw.Src, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range dst.Pix {
		if i%4 != 3 {
			v := int(dst.Pix[i]) + rng.IntN(17) - 8
			dst.Pix[i] = uint8(min(255, max(0, v)))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatalf("encode %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	// Write then rename, so a concurrent run never reads half a file.
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		b.Fatalf("write %s: %v", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		b.Fatal(err)
	}
	return path
}

// coverRect is the largest part of r with aspect w:h, centred
// horizontally and a third of the way down (portraits keep the face).
func coverRect(r image.Rectangle, w, h int) image.Rectangle {
	sw, sh := r.Dx(), r.Dy()
	if sw*h > sh*w { // source wider: crop the sides
		cw := sh * w / h
		x := r.Min.X + (sw-cw)/2
		return image.Rect(x, r.Min.Y, x+cw, r.Max.Y)
	}
	ch := sw * h / w
	y := r.Min.Y + (sh-ch)/3
	return image.Rect(r.Min.X, y, r.Max.X, y+ch)
}
