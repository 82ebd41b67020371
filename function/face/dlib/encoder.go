package dlib

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/result"
)

// ErrClosed is returned by Encode after Close.
var ErrClosed = errors.New("encoder closed")

// Encoder finds faces and computes their descriptors. It owns a pool of
// workers, each with a private copy of the dlib networks (a shared dlib
// network silently returns wrong vectors), so any number of goroutines
// may call Encode at once; at most Workers() images are processed in
// parallel and the rest wait their turn.
type Encoder struct {
	dir      string
	cnnPath  string
	blasCore string // model.blas: the OpenBLAS kernel set every descriptor comes from
	idle     chan *worker
	workers  []*worker

	mu     sync.RWMutex // guards closed against Close racing Encode
	closed bool
	// busy counts the photos being encoded, for photoThreads.
	busy         atomic.Int32
	photoThreads int
	// LoadTime is how long New took to verify and load the models.
	LoadTime time.Duration
}

// worker is one pool slot; only the goroutine holding it (taken from idle)
// touches it.
type worker struct {
	net       *net
	cnnLoaded bool
}

// New verifies and loads the models in dir (see face.ModelsDir) and starts the
// worker pool. The CNN detector is loaded on first use unless WithCNN.
func New(dir string, opts ...Option) (*Encoder, error) {
	start := time.Now()
	cfg := newConfig(opts)
	initProcess()

	shape := filepath.Join(dir, face.ShapeFile)
	resnet := filepath.Join(dir, face.RecognizerFile)
	// Checksums are verified in parallel with building the HOG path; a
	// mismatch is a hard error naming the file.
	errs := make(chan error, 2)
	go func() { errs <- face.VerifyFile(shape, face.ShapeSHA256) }()
	go func() { errs <- face.VerifyFile(resnet, face.RecognizerSHA256) }()
	hog, herr := hogPath(dir)
	if err := errors.Join(<-errs, <-errs, herr); err != nil {
		return nil, err
	}

	first, err := openNet(shape, resnet, hog)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", face.ErrModel, err)
	}
	e := &Encoder{dir: dir, cnnPath: filepath.Join(dir, face.CNNFile), idle: make(chan *worker, cfg.workers),
		photoThreads: cfg.photoThreads, blasCore: CurrentBLAS().Core}
	e.workers = append(e.workers, &worker{net: first})
	for len(e.workers) < cfg.workers {
		n, err := first.clone()
		if err != nil {
			// Not e.Close: it waits for workers on idle, and none are yet.
			closeWorkers(e.workers)
			return nil, fmt.Errorf("%w: copy the models for worker %d of %d: %v", face.ErrModel, len(e.workers)+1, cfg.workers, err)
		}
		e.workers = append(e.workers, &worker{net: n})
	}
	for _, w := range e.workers {
		e.idle <- w
	}
	// An Encoder dropped without Close still frees its networks (hundreds
	// of MB of C memory the Go GC does not see). Close makes this a no-op.
	runtime.AddCleanup(e, closeWorkers, e.workers)
	if !cfg.lazyCNN {
		if err := face.VerifyFile(e.cnnPath, face.CNNSHA256); err != nil {
			e.Close()
			return nil, err
		}
		for _, w := range e.workers {
			if err := e.ensureCNN(w); err != nil {
				e.Close()
				return nil, err
			}
		}
	}
	e.LoadTime = time.Since(start)
	return e, nil
}

// Workers is the size of the pool.
func (e *Encoder) Workers() int { return len(e.workers) }

// Close frees the networks. Encode calls in flight finish first.
func (e *Encoder) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	for range e.workers {
		w := <-e.idle
		w.net.close()
	}
	return nil
}

func closeWorkers(ws []*worker) {
	for _, w := range ws {
		w.net.close()
	}
}

// ensureCNN loads the CNN detector into w on its first use. A failure is
// not remembered: the next image that asks for the CNN tries again, so a
// transient error (a file being replaced, memory pressure) does not
// disable the CNN on one worker for the life of the process.
func (e *Encoder) ensureCNN(w *worker) error {
	if w.cnnLoaded {
		return nil
	}
	if err := face.VerifyFile(e.cnnPath, face.CNNSHA256); err != nil {
		return err
	}
	if err := w.net.loadCNN(e.cnnPath); err != nil {
		return err
	}
	w.cnnLoaded = true
	return nil
}

// Encode decodes one image, finds every face and computes its descriptor.
// It always returns a result (Source left for the caller to fill); when
// err is non-nil the result carries the same error with its schema code
// and no faces. ctx bounds the wait for a worker and is checked between
// stages (a running dlib call is not interruptible).
func (e *Encoder) Encode(ctx context.Context, data []byte, p face.Params) (*result.Result, error) {
	start := time.Now()
	res := result.New(result.Source{})
	fail := func(err error) (*result.Result, error) {
		res.TimingsMS.Total = ms(time.Since(start))
		res.Fail(err)
		return res, err
	}
	p, err := p.Normalized()
	if err != nil {
		return fail(result.Errorf(result.CodeInternal, "invalid settings: %v", err))
	}
	res.Model = p.Model()
	res.Model.BLAS = e.blasCore

	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return fail(ErrClosed)
	}
	var w *worker
	select {
	case w = <-e.idle:
	case <-ctx.Done():
		return fail(result.Errorf(result.CodeTimeout, "gave up waiting for a free worker: %v", ctx.Err()))
	}
	defer func() { e.idle <- w }()
	e.busy.Add(1)
	defer e.busy.Add(-1)

	if p.Detector == face.DetectorCNN {
		if err := e.ensureCNN(w); err != nil {
			return fail(result.Errorf(result.CodeInternal, "%v", err))
		}
	}

	t := time.Now()
	img, info, err := Decode(data, p.Limits)
	res.TimingsMS.Decode = ms(time.Since(t))
	res.Image = info
	if err != nil {
		return fail(err)
	}
	defer releaseLargeImage(len(img.Pix))
	if err := stageCheck(ctx, "detect"); err != nil {
		return fail(err)
	}

	t = time.Now()
	dw, dh := p.DetectSize(img.Width, img.Height)
	kind := kindHOG
	if p.Detector == face.DetectorCNN {
		kind = kindCNN
	}
	var rects []rect
	if kind != kindCNN || min(dw, dh)<<p.Upsample >= cnnMinSide {
		w.net.setHOGThreads(photoThreads(e.photoThreads, runtime.NumCPU(), int(e.busy.Load())))
		rects, err = w.net.detect(img.Pix, img.Width, img.Height, dw, dh, kind, p.Upsample)
	}
	res.TimingsMS.Detect = ms(time.Since(t))
	if err != nil {
		return fail(internal(err))
	}
	if err := stageCheck(ctx, "landmarks"); err != nil {
		return fail(err)
	}

	t = time.Now()
	shapes, err := w.net.landmarks(img.Pix, img.Width, img.Height, rects)
	res.TimingsMS.Landmarks = ms(time.Since(t))
	if err != nil {
		return fail(internal(err))
	}
	if err := stageCheck(ctx, "encode"); err != nil {
		return fail(err)
	}

	t = time.Now()
	descs, err := w.net.describe(img.Pix, img.Width, img.Height, rects, shapes, p.Jitter)
	res.TimingsMS.Encode = ms(time.Since(t))
	if err != nil {
		return fail(internal(err))
	}

	for i, r := range rects {
		f := result.Face{
			Box:        clip(r, img.Width, img.Height),
			Confidence: r.Confidence,
			Landmarks:  make([][2]int, 5),
			Descriptor: descs[i],
		}
		copy(f.Landmarks, shapes[i][:])
		res.Faces = append(res.Faces, f)
	}
	res.TimingsMS.Total = ms(time.Since(start))
	return res, nil
}

func stageCheck(ctx context.Context, stage string) error {
	if err := ctx.Err(); err != nil {
		return result.Errorf(result.CodeTimeout, "stopped before %s: %v", stage, err)
	}
	return nil
}

func internal(err error) error { return result.Errorf(result.CodeInternal, "%v", err) }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// largeImageBytes is the pixel buffer size (8 MP of RGB) from which Encode
// hands the Go heap's free memory back to the OS when it returns.
const largeImageBytes = 24 << 20

// releaseLargeImage returns free Go heap memory to the OS after a large
// photo. Its pixels become garbage that the runtime would otherwise return
// only slowly, and a warm Lambda keeps its process, so each large photo
// raised the peak RSS further (BenchmarkPeakRSS12MP: 430-580 MiB after three
// 12 MP photos). A forced GC of this small heap costs about a millisecond
// against the seconds such a photo takes.
func releaseLargeImage(pixBytes int) {
	if pixBytes >= largeImageBytes {
		debug.FreeOSMemory()
	}
}

// cnnMinSide is the smallest side of an image the CNN detector is run on.
// It finds faces of about 40 px and more, so a smaller image has none; and
// dlib's mmod input layer writes out of bounds for images under 10 px wide,
// crashing the process (AddressSanitizer; sides from 10 px up are clean).
const cnnMinSide = 32
