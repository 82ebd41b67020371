package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/result"
)

// ErrNoRecords is returned for an invocation whose payload holds no S3
// records (not an S3 event at all, most likely).
var ErrNoRecords = errors.New("event holds no S3 records")

// ErrRetryable is wrapped by the error Handle returns when some record
// failed in a way a later attempt can fix; Lambda then retries the event.
var ErrRetryable = errors.New("retryable failure")

// Encoder is the part of *dlib.Encoder the handler uses.
type Encoder interface {
	Encode(ctx context.Context, data []byte, p face.Params) (*result.Result, error)
	Workers() int
}

// S3API is the part of *s3.Client the handler uses.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// VectorIndex is the part of *vectorindex.Index the handler uses.
type VectorIndex interface {
	Sync(ctx context.Context, res *result.Result) error
	InSync(ctx context.Context, bucket, key, etag string, faces int) (bool, error)
	Remove(ctx context.Context, bucket, key string) (int, error)
}

// Handler turns S3 events into result objects. It is safe for concurrent
// use; build one per execution environment (the encoder holds the models).
type Handler struct {
	cfg            Config
	params         face.Params
	settings       string // settingsID(params, blas), stored with every result
	blas           string // the encoder's OpenBLAS kernel set (WithBLAS)
	enc            Encoder
	s3             S3API
	index          VectorIndex // nil: no vector index
	metrics        *metrics    // nil: no EMF metrics
	log            *slog.Logger
	concurrency    int
	minMargin      time.Duration
	marginFraction float64
}

// Option configures a Handler.
type Option func(*Handler)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(h *Handler) {
		if l != nil {
			h.log = l
		}
	}
}

// WithBLAS records the OpenBLAS kernel set the encoder runs (package
// dlib's CurrentBLAS) in the results the handler writes itself (errors)
// and in the settings a stored result is checked against.
func WithBLAS(core string) Option {
	return func(h *Handler) { h.blas = core }
}

// WithVectorIndex makes every result's faces go to ix too, and
// ObjectRemoved events delete a photo's faces from it (default: none).
func WithVectorIndex(ix VectorIndex) Option {
	return func(h *Handler) { h.index = ix }
}

// WithConcurrency sets how many records of one event are processed at
// once (default: the encoder's pool size; more would only queue for a
// worker while holding the image in memory).
func WithConcurrency(n int) Option {
	return func(h *Handler) {
		if n > 0 {
			h.concurrency = n
		}
	}
}

// WithSafetyMargin sets the time kept back from the Lambda deadline for
// writing results: the larger of minMargin and fraction of the time
// remaining when the invocation starts. Defaults DefaultMinMargin and
// DefaultMarginFraction.
func WithSafetyMargin(minMargin time.Duration, fraction float64) Option {
	return func(h *Handler) {
		h.minMargin = max(minMargin, 0)
		h.marginFraction = min(max(fraction, 0), 0.5)
	}
}

// New returns a Handler. cfg should come from ConfigFromEnv.
func New(cfg Config, enc Encoder, client S3API, opts ...Option) (*Handler, error) {
	if enc == nil {
		return nil, errors.New("handler: nil encoder")
	}
	if client == nil {
		return nil, errors.New("handler: nil S3 client")
	}
	// A Config built by hand rather than by ConfigFromEnv: refuse what
	// would make every record fail or recurse.
	if cfg.OutputPrefix == "" {
		return nil, fmt.Errorf("handler: %w: empty %s", ErrConfig, EnvOutputPrefix)
	}
	if cfg.MaxObjectBytes < 1 || cfg.MaxPixels < 1 {
		return nil, fmt.Errorf("handler: %w: %s and %s must be positive", ErrConfig, EnvMaxObjectBytes, EnvMaxPixels)
	}
	h := &Handler{
		cfg:            cfg,
		params:         cfg.Params(),
		enc:            enc,
		s3:             client,
		log:            slog.Default(),
		concurrency:    max(enc.Workers(), 1),
		minMargin:      DefaultMinMargin,
		marginFraction: DefaultMarginFraction,
	}
	if cfg.MetricsNamespace != "" {
		if why := checkMetricsNamespace(cfg.MetricsNamespace); why != "" {
			return nil, fmt.Errorf("handler: %w: %s=%q: %s", ErrConfig, EnvMetricsNamespace, cfg.MetricsNamespace, why)
		}
		h.metrics = &metrics{w: os.Stdout, ns: cfg.MetricsNamespace, name: lambdacontext.FunctionName}
	}
	for _, o := range opts {
		o(h)
	}
	h.settings = settingsID(h.params, h.blas)
	return h, nil
}

// Handle processes every record of an S3 event; it is the function given
// to lambda.Start. The response lists every record; the error is non-nil
// when the payload holds no records, or when some record failed in a way
// that a retry may fix (it wraps ErrRetryable and names the keys).
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) (Response, error) {
	return h.handle(ctx, formEncodedRecords(ev.Records))
}

// handle is Handle for records of any event shape, each with its key's
// encoding.
func (h *Handler) handle(ctx context.Context, records []eventRecord) (Response, error) {
	start := time.Now()
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("request_id", lc.AwsRequestID)
	}
	resp := Response{Results: []Summary{}, Failed: []string{}}
	if len(records) == 0 {
		log.Error("invocation rejected", "error", ErrNoRecords)
		return resp, ErrNoRecords
	}

	workCtx, cancel, margin := h.workContext(ctx)
	defer cancel()

	resp.Results = make([]Summary, len(records))
	errs := make([]error, len(records))
	batch := h.newIndexBatch(records)
	sem := make(chan struct{}, h.concurrency)
	var wg sync.WaitGroup
	for i, rec := range records {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				// A bug in one record must not take the others (and the
				// process) down with it.
				if p := recover(); p != nil {
					s := Summary{Bucket: rec.S3.Bucket.Name, Key: rec.S3.Object.Key}
					s.setError(result.CodeInternal, fmt.Sprintf("panic: %v", p))
					resp.Results[i] = s
					log.Error("record panicked", "bucket", s.Bucket, "key", s.Key,
						"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				}
			}()
			resp.Results[i], errs[i] = h.record(ctx, workCtx, log, rec, batch.slot(i))
		}()
	}
	wg.Wait()
	batch.flush(ctx, log, resp.Results, errs)

	faces, skipped := 0, 0
	var retry []string
	for i, s := range resp.Results {
		faces += s.Faces
		if s.Skipped != "" {
			skipped++
		}
		if s.Error != nil {
			resp.Failed = append(resp.Failed, s.Key)
		}
		if errs[i] != nil {
			retry = append(retry, s.Key)
		}
	}
	log.Info("invocation done",
		"records", len(records), "faces", faces, "skipped", skipped,
		"failed", len(resp.Failed), "retryable", len(retry),
		"margin_ms", margin.Milliseconds(), "duration_ms", msSince(start))
	if err := h.metrics.invocation(time.Now(), resp.Results, len(retry)); err != nil {
		log.Warn("EMF metrics not written", "error", err)
	}
	if len(retry) > 0 {
		return resp, fmt.Errorf("%w: %d of %d records (%q): %w",
			ErrRetryable, len(retry), len(records), retry, errors.Join(errs...))
	}
	return resp, nil
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// settingsID fingerprints everything that decides a result besides the
// source bytes: detector, upsampling, jitter, max side, the limits, the
// recognizer and the BLAS kernel set. A result stored under other settings
// is redone.
func settingsID(p face.Params, blas string) string {
	m := p.Model()
	m.BLAS = blas
	sum := sha256.Sum256([]byte(fmt.Sprintf("%+v %+v", p, m)))
	return hex.EncodeToString(sum[:8])
}
