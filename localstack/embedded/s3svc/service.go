package s3svc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rclone/gofakes3"
	"github.com/rclone/gofakes3/s3mem"

	"github.com/facevec/facevec/localstack/embedded/internal/defaults"
	"github.com/facevec/facevec/localstack/embedded/internal/sigv4"
)

// Service is the S3 API: gofakes3 over an in-memory backend, plus bucket
// notifications and fault injection.
type Service struct {
	region    string
	accountID string
	log       *slog.Logger
	faults    *Faults
	invoker   Invoker

	backend *backend
	fake    http.Handler
	notif   notifications
	seq     *sequencer
	disp    *dispatcher

	closeOnce sync.Once
}

var (
	regionRE  = defaults.RegionPattern
	accountRE = defaults.AccountPattern
)

// New returns a running Service. Close it to stop notification delivery.
func New(opts ...Option) (*Service, error) {
	cfg := config{region: DefaultRegion, accountID: DefaultAccountID}
	for _, o := range opts {
		o(&cfg)
	}
	if !regionRE.MatchString(cfg.region) {
		return nil, fmt.Errorf("s3svc: invalid region %q", cfg.region)
	}
	if !accountRE.MatchString(cfg.accountID) {
		return nil, fmt.Errorf("s3svc: invalid account ID %q: want 12 digits", cfg.accountID)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	log := cfg.logger.With("service", "s3")

	s := &Service{
		region:    cfg.region,
		accountID: cfg.accountID,
		log:       log,
		faults:    cfg.faults,
		invoker:   cfg.invoker,
		seq:       newSequencer(time.Now()),
	}
	dir, err := bodyDir(cfg.dataDir, log)
	if err != nil {
		return nil, fmt.Errorf("s3svc: directory for object bodies: %w", err)
	}
	s.backend = &backend{Backend: s3mem.New(), blobs: newBlobStore(dir), onBucketDeleted: s.notif.drop}
	s.fake = gofakes3.New(s.backend, gofakes3.WithLogger(slogAdapter{log})).Server()
	inv := cfg.invoker
	if inv == nil {
		// Configurations are refused without an invoker, so this only
		// catches a bug; it fails loudly through the dispatcher's log.
		inv = InvokerFunc(func(context.Context, string, []byte) error {
			return fmt.Errorf("no Invoker configured")
		})
	}
	s.disp = newDispatcher(inv, log)
	return s, nil
}

// Region is the region of the buckets.
func (s *Service) Region() string { return s.region }

// ServeHTTP serves one path-style S3 request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := classify(r)
	if req.op == opNotification {
		setRequestIDs(w)
		s.serveNotification(w, r, req.bucket)
		return
	}
	if e := checkUploadSize(r, req); e != nil {
		// The body is not read: the connection cannot carry another request.
		setRequestIDs(w)
		w.Header().Set("Connection", "close")
		writeError(w, r, e)
		return
	}
	if s.injectFault(w, r, req) {
		return
	}

	c := &capture{}
	sw := &statusWriter{ResponseWriter: w}
	s.fake.ServeHTTP(sw, r.WithContext(withCapture(r.Context(), c)))
	if sw.code() >= 300 {
		// A write refused before its body was read (a failed If-None-Match,
		// a missing bucket): read (a bounded part of) the rest, so the
		// client, still sending, gets the answer instead of a reset.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxFaultDrain))
	}

	writes := c.list()
	if len(writes) == 0 || sw.code() >= 300 {
		return
	}
	event := req.op.eventName()
	if event == "" {
		s.log.Warn("object written by a request that emits no event", "method", r.Method, "url", r.URL.String())
		return
	}
	info := eventInfo{
		event:       event,
		principalID: principalOf(r),
		sourceIP:    sourceIP(r),
		requestID:   w.Header().Get("x-amz-request-id"),
		hostID:      w.Header().Get("x-amz-id-2"),
	}
	for _, wr := range writes {
		s.emit(info, wr)
	}
}

// emit queues one event per configuration of wr.bucket that matches.
func (s *Service) emit(info eventInfo, wr written) {
	configs := s.notif.get(wr.bucket)
	if len(configs) == 0 {
		return
	}
	rec := s.newRecord(info, wr, s.seq.next())
	var ds []delivery
	for _, c := range configs {
		if !c.matches(info.event, rec.S3.Object.Key) {
			continue
		}
		rec.S3.ConfigurationID = c.ID
		payload, err := marshalEvent(rec)
		if err != nil {
			s.log.Error("S3 notification not sent", "bucket", wr.bucket, "key", wr.key, "err", err)
			continue
		}
		ds = append(ds, delivery{functionARN: c.FunctionARN, payload: payload, bucket: wr.bucket, key: wr.key, event: info.event})
	}
	s.disp.enqueue(ds...)
}

// maxFaultDrain bounds how much of a refused upload is read.
const maxFaultDrain = 64 << 20

// injectFault applies a pending fault to r; true means the response is done.
func (s *Service) injectFault(w http.ResponseWriter, r *http.Request, req request) bool {
	var op Op
	switch req.op {
	case opGetObject:
		op = OpGetObject
	case opPutObject:
		op = OpPutObject
	default:
		return false
	}
	ft, ok := s.faults.take(op, req.bucket, req.key)
	if !ok {
		return false
	}
	s.log.Info("injecting fault", "op", op, "bucket", req.bucket, "key", req.key, "delay", ft.Delay, "slowdown", ft.SlowDown)
	if ft.Delay > 0 {
		t := time.NewTimer(ft.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true // the client is gone; nothing to answer
		}
	}
	if !ft.SlowDown {
		return false
	}
	// Read (a bounded part of) an upload's body so the client sees the 503
	// rather than a reset connection while it is still sending.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxFaultDrain))
	setRequestIDs(w)
	writeError(w, r, errSlowDown())
	return true
}

// serveNotification answers GET and PUT ?notification on a bucket.
func (s *Service) serveNotification(w http.ResponseWriter, r *http.Request, bucket string) {
	if r.Method != http.MethodGet && r.Method != http.MethodPut {
		writeError(w, r, errMethodNotAllowed())
		return
	}
	exists, err := s.backend.BucketExists(r.Context(), bucket)
	if err != nil {
		writeError(w, r, &apiError{status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()})
		return
	}
	if !exists {
		writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	if r.Method == http.MethodGet {
		body, err := marshalNotification(s.notif.get(bucket))
		if err != nil {
			writeError(w, r, &apiError{status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(body)
		return
	}

	body, apiErr := readBody(r, maxNotificationBody)
	if apiErr != nil {
		writeError(w, r, apiErr)
		return
	}
	configs, apiErr := parseNotification(body, s.region)
	if apiErr != nil {
		writeError(w, r, apiErr)
		return
	}
	if len(configs) > 0 && s.invoker == nil {
		writeError(w, r, errInvalidArgument("Unable to validate the following destination configurations: no Lambda service is attached to this S3",
			configs[0].FunctionARN, "no Invoker"))
		return
	}
	// A bucket deleted while the body was read must not get a configuration.
	if ok, _ := s.backend.BucketExists(r.Context(), bucket); !ok {
		writeError(w, r, errNoSuchBucket(bucket))
		return
	}
	s.notif.set(bucket, configs)
	s.log.Info("bucket notification configured", "bucket", bucket, "configurations", len(configs))
	w.WriteHeader(http.StatusOK)
}

// Notification returns bucket's Lambda notification configurations.
func (s *Service) Notification(bucket string) []LambdaConfiguration {
	return append([]LambdaConfiguration(nil), s.notif.get(bucket)...)
}

// ReadObject returns the bytes of bucket/key straight from the backend; the
// embedded stack uses it to fetch function code. A missing bucket or key
// wraps ErrNotFound.
func (s *Service) ReadObject(ctx context.Context, bucket, key string) ([]byte, error) {
	obj, err := s.backend.GetObject(ctx, bucket, key, nil)
	if err != nil {
		if gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchKey) || gofakes3.HasErrorCode(err, gofakes3.ErrNoSuchBucket) {
			return nil, fmt.Errorf("read s3://%s/%s: %w: %w", bucket, key, ErrNotFound, err)
		}
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	defer obj.Contents.Close()
	b, err := gofakes3.ReadAll(obj.Contents, obj.Size)
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return b, nil
}

// WaitIdle blocks until every notification queued so far has been handed
// to the Invoker (or has failed), or ctx is done. Events are queued before
// the S3 response is sent, so after a write returns, WaitIdle covers it.
func (s *Service) WaitIdle(ctx context.Context) error { return s.disp.waitIdle(ctx) }

// Stats counts notification deliveries.
func (s *Service) Stats() DeliveryStats { return s.disp.stats() }

// Close stops notification delivery after draining what is queued (for a
// few seconds at most). Stop serving HTTP first. It is idempotent.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.disp.close()
		if rerr := s.backend.blobs.removeAll(); rerr != nil {
			err = fmt.Errorf("s3svc: remove object bodies: %w", rerr)
		}
	})
	return err
}

// principalOf names the caller the way events do: "AWS:<access key ID>"
// for signed requests, "Anonymous" otherwise.
func principalOf(r *http.Request) string {
	if c, ok := sigv4.FromRequest(r); ok {
		return "AWS:" + c.AccessKeyID
	}
	return "Anonymous"
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
