package handler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/facevec/facevec/result"
)

// maxRuns bounds how often one record is encoded again because its object
// was replaced while it was being written (see job.run).
const maxRuns = 3

// record processes one event record. The error is non-nil only for a
// failure that a retry of the invocation may fix; every other outcome,
// errors included, is in the summary (and, where possible, in a result
// object).
func (h *Handler) record(ctx, workCtx context.Context, log *slog.Logger, rec eventRecord, slot *indexSlot) (Summary, error) {
	start := time.Now()
	bucket := rec.S3.Bucket.Name
	sum := Summary{Bucket: bucket, Key: rec.S3.Object.Key}

	readings, err := keyReadings(rec)
	if err != nil {
		sum.setError(result.CodeInternal, err.Error())
		log.Error("record rejected", "bucket", bucket, "key", rec.S3.Object.Key, "error", sum.Message)
		return sum, nil
	}
	sum.Key = readings[0]
	if bucket == "" || sum.Key == "" {
		sum.setError(result.CodeInternal, "event record names no bucket or no key")
		log.Error("record rejected", "bucket", bucket, "key", sum.Key, "error", sum.Message)
		return sum, nil
	}

	if name := strings.TrimPrefix(rec.EventName, "s3:"); !strings.HasPrefix(name, "ObjectCreated:") {
		log = log.With("bucket", bucket, "key", sum.Key)
		if strings.HasPrefix(name, "ObjectRemoved:") && h.index != nil {
			return h.removed(ctx, log, sum, readings)
		}
		return h.skip(log, sum, SkipNotCreated, fmt.Sprintf("event %q is not an ObjectCreated event", rec.EventName))
	}
	key, err := h.existingReading(ctx, bucket, readings)
	log = log.With("bucket", bucket, "key", cmp.Or(key, sum.Key))
	if err != nil {
		sum.setError(result.CodeInternal, err.Error())
		sum.Retryable = true
		log.Error("record failed; the invocation will be retried", "error", err)
		return sum, err
	}
	sum.Key = key
	outBucket := h.cfg.OutputBucket
	if outBucket == "" {
		outBucket = bucket
	}
	if outBucket == bucket && strings.HasPrefix(key, h.cfg.OutputPrefix) {
		return h.skip(log, sum, SkipOutputPrefix, fmt.Sprintf(
			"key is under the output prefix %q of the output bucket: it is a result, and encoding it would recurse", h.cfg.OutputPrefix))
	}
	if strings.HasSuffix(key, "/") && rec.S3.Object.Size == 0 {
		return h.skip(log, sum, SkipFolderMarker, "zero-byte key ending in '/' is a folder marker, not an image")
	}

	sum.ResultBucket = outBucket
	resultKey, ok := result.Key(h.cfg.OutputPrefix, bucket, key)
	if !ok {
		// Config validation bounds OUTPUT_PREFIX so that this cannot
		// happen; if it does, Lambda must retry and report, not drop.
		err := fmt.Errorf("result key for s3://%s/%s would pass S3's %d bytes even hashed; shorten OUTPUT_PREFIX", bucket, key, result.MaxKeyBytes)
		sum.setError(result.CodeInternal, err.Error())
		sum.Retryable = true
		log.Error("record failed; the invocation will be retried", "error", err)
		return sum, err
	}
	sum.ResultKey = resultKey
	log = log.With("result_key", sum.ResultKey)

	src := result.Source{
		Bucket:    bucket,
		Key:       key,
		ETag:      trimETag(rec.S3.Object.ETag),
		VersionID: rec.S3.Object.VersionID,
		Size:      rec.S3.Object.Size,
	}
	sum.ETag = src.ETag
	j := &job{h: h, ctx: ctx, workCtx: workCtx, log: log, sum: sum, src: src, start: start, slot: slot}
	return j.run()
}

// job is one record past the checks that need no I/O.
type job struct {
	h            *Handler
	ctx, workCtx context.Context
	log          *slog.Logger
	sum          Summary
	src          result.Source
	start        time.Time
	prev         previous // the result object as last looked up
	runs         int
	slot         *indexSlot // non-nil: the invocation indexes the faces (indexbatch.go)
}

// run does the record, and does it again when the object was replaced
// while its result was being written: a result written after the newer
// upload's own invocation had found the old result final would otherwise
// stay, describing an object that is gone.
func (j *job) run() (Summary, error) {
	for {
		j.runs++
		sum, err := j.once()
		if err != nil || sum.Skipped != "" || j.runs >= maxRuns {
			return sum, err
		}
		current, err := j.currentETag()
		if err != nil {
			return j.retryable(err)
		}
		if current == "" || current == j.src.ETag {
			return sum, nil
		}
		j.log.Warn("object replaced while its result was written; encoding the current object",
			"written_etag", j.src.ETag, "current_etag", current)
		j.src.ETag, j.src.VersionID, j.sum.Error, j.sum.Message = current, "", nil, ""
	}
}

// currentETag is the source object's ETag now, "" when it is gone or may
// not be read.
func (j *job) currentETag() (string, error) {
	head, err := j.h.s3.HeadObject(j.ctx, &s3.HeadObjectInput{Bucket: aws.String(j.src.Bucket), Key: aws.String(j.src.Key)})
	if err != nil {
		if _, retry := classify(err); retry {
			return "", fmt.Errorf("head s3://%s/%s: %w", j.src.Bucket, j.src.Key, err)
		}
		return "", nil
	}
	return trimETag(aws.ToString(head.ETag)), nil
}

func (j *job) once() (Summary, error) {
	h := j.h
	// Idempotency: a redelivered event must not write a second time. The
	// check runs under the Lambda context even when the work time is up:
	// a late redelivery must not replace a good result with "timeout".
	prev, err := lookup(j.ctx, h.s3, j.sum.ResultBucket, j.sum.ResultKey)
	if err != nil {
		if _, retry := classify(err); retry {
			return j.retryable(err)
		}
		// Without s3:ListBucket (the deploy template's least-privilege
		// role has none) S3 answers 403 for a missing object, so this is
		// the normal first-upload path there, not a warning; the write
		// will tell whether we may write at all.
		j.log.Debug("no readable existing result; encoding", "error", err)
	}
	j.prev = prev
	if prev.covers(j.src.ETag, h.settings) {
		return j.alreadyEncoded(prev)
	}
	if err := j.workCtx.Err(); err != nil {
		return j.timedOut("before reading it", err)
	}

	obj, err := fetch(j.workCtx, h.s3, j.src.Bucket, j.src.Key, h.cfg.MaxObjectBytes)
	if obj != nil {
		j.src.ETag = cmp.Or(obj.etag, j.src.ETag)
		j.src.VersionID = cmp.Or(obj.versionID, j.src.VersionID)
		j.src.Size = obj.size
		j.sum.ETag = j.src.ETag
	}
	if err != nil {
		return j.readFailed(err)
	}
	// The object may have been replaced since the event was sent by a
	// version whose result is already there.
	if prev.covers(j.src.ETag, h.settings) {
		return j.alreadyEncoded(prev)
	}

	res, ok, err := j.encode(obj.data)
	obj.data = nil
	if !ok {
		return j.timedOut("before its encoding finished", j.workCtx.Err())
	}
	if res == nil {
		res = result.New(result.Source{})
		if err == nil {
			err = result.Errorf(result.CodeInternal, "encoder returned no result")
		}
	}
	res.Source = j.src
	if err != nil {
		// The encoder's message says what is wrong; name the object too.
		res.Fail(fmt.Errorf("s3://%s/%s: %w", j.src.Bucket, j.src.Key, err))
	}
	return j.write(res)
}

// encode runs the encoder but gives up at the work deadline: a dlib call
// cannot be interrupted, and without this a detection that outlasts the
// function's timeout would get the process killed mid-invocation and
// leave no result. ok is false when the deadline came first; the encode
// then finishes in the background and its result is dropped.
func (j *job) encode(data []byte) (res *result.Result, ok bool, err error) {
	type outcome struct {
		res *result.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, e := j.h.enc.Encode(j.workCtx, data, j.h.params)
		done <- outcome{r, e}
	}()
	select {
	case o := <-done:
		return o.res, true, o.err
	case <-j.workCtx.Done():
		return nil, false, nil
	}
}

// readFailed turns a failed GetObject (or an oversized object) into an
// error result, or into a retryable failure.
func (j *job) readFailed(err error) (Summary, error) {
	what := fmt.Sprintf("s3://%s/%s", j.src.Bucket, j.src.Key)
	if errors.Is(err, result.ErrTooLarge) {
		return j.write(j.failed(err))
	}
	if ctxErr := j.workCtx.Err(); ctxErr != nil {
		return j.timedOut("while reading it", ctxErr)
	}
	code, retry := classify(err)
	if retry {
		return j.retryable(err)
	}
	j.log.Warn("cannot read object", "code", code, "error", err)
	var msg string
	switch code {
	case result.CodeNotFound:
		msg = fmt.Sprintf("%s does not exist (deleted after the upload?)", what)
	case result.CodeAccessDenied:
		msg = fmt.Sprintf("the function may not read %s%s", what, apiMessage(err))
	default:
		msg = fmt.Sprintf("S3 refused to serve %s%s", what, apiMessage(err))
	}
	return j.write(j.failed(result.Errorf(code, "%s", msg)))
}

// timedOut writes a timeout result for a record the work deadline caught,
// and makes the invocation fail, so that Lambda retries it (the records
// already done are skipped then) and, once its retries are used up, sends
// the event to the failure destination: a timed-out upload is never just a
// log line. The result says the same to anyone reading the output bucket.
func (j *job) timedOut(when string, cause error) (Summary, error) {
	err := result.Errorf(result.CodeTimeout,
		"s3://%s/%s: ran out of time %s (%v); the deadline keeps a safety margin for writing this result",
		j.src.Bucket, j.src.Key, when, cause)
	sum, werr := j.write(j.failed(err))
	if werr != nil || sum.Skipped != "" {
		return sum, werr
	}
	sum.Retryable = true
	return sum, err
}

// failed is an error result for the record's source.
func (j *job) failed(err error) *result.Result {
	res := result.New(j.src)
	res.Model = j.h.params.Model()
	res.Model.BLAS = j.h.blas
	return res.Fail(err)
}

// maxWriteAttempts bounds the conditional writes of one result that lose a
// race with another invocation's.
const maxWriteAttempts = 5

// write stores res and completes the summary. It runs under the Lambda
// context, not the work context: the safety margin exists for it.
//
// The result must describe the object as it is now: when the object was
// replaced since it was read, the newer upload's invocation writes the
// result instead. The write is conditional on the result object lookup
// saw, so an older invocation's write cannot land over a newer one's; a
// lost race looks again.
func (j *job) write(res *result.Result) (Summary, error) {
	for attempt := 1; ; attempt++ {
		current, err := j.currentETag()
		if err != nil {
			return j.retryable(err)
		}
		if current != "" && current != j.src.ETag {
			return j.h.skip(j.log, j.sum, SkipSuperseded, fmt.Sprintf(
				"the object was replaced (ETag %s) after it was read (ETag %s); the newer upload's event writes its result", current, j.src.ETag))
		}
		err = store(j.ctx, j.h.s3, j.sum.ResultBucket, j.sum.ResultKey, res, j.h.settings, j.prev)
		if err == nil {
			break
		}
		if !errors.Is(err, errConflict) || attempt >= maxWriteAttempts {
			return j.retryable(err)
		}
		j.log.Info("result written by another invocation meanwhile; looking again", "attempt", attempt)
		prev, lerr := lookup(j.ctx, j.h.s3, j.sum.ResultBucket, j.sum.ResultKey)
		if lerr != nil {
			if _, retry := classify(lerr); retry {
				return j.retryable(lerr)
			}
		}
		j.prev = prev
		if prev.covers(j.src.ETag, j.h.settings) {
			return j.alreadyEncoded(prev)
		}
	}
	if err := j.syncIndex(res); err != nil {
		return j.retryable(err)
	}
	j.sum.Faces = len(res.Faces)
	j.sum.encodeMS = res.TimingsMS.Total
	attrs := []any{"etag", j.src.ETag, "size", j.src.Size, "faces", len(res.Faces),
		"image_width", res.Image.Width, "image_height", res.Image.Height,
		"decode_ms", res.TimingsMS.Decode, "detect_ms", res.TimingsMS.Detect,
		"landmarks_ms", res.TimingsMS.Landmarks, "encode_ms", res.TimingsMS.Encode,
		"record_ms", msSince(j.start)}
	if w := res.Image.DecoderWarnings; len(w) > 0 {
		// libjpeg's complaints about data it decoded around: with the
		// request and key here, not as bare text on stderr.
		attrs = append(attrs, "decoder_warnings", w)
	}
	if res.Error != nil {
		j.sum.setError(res.Error.Code, res.Error.Message)
		j.log.Warn("error result written", append(attrs, "code", res.Error.Code, "error", res.Error.Message)...)
	} else {
		j.log.Info("result written", attrs...)
	}
	return j.sum, nil
}

// retryable records a failure that Lambda should retry.
func (j *job) retryable(err error) (Summary, error) {
	j.sum.setError(result.CodeInternal, err.Error())
	j.sum.Retryable = true
	j.log.Error("record failed; the invocation will be retried", "error", err, "record_ms", msSince(j.start))
	return j.sum, err
}

func (j *job) alreadyEncoded(prev previous) (Summary, error) {
	if err := j.ensureIndexed(prev); err != nil {
		return j.retryable(err)
	}
	j.sum.Faces = prev.faces
	if prev.code != "" {
		code := prev.code
		j.sum.Error = &code
	}
	return j.h.skip(j.log, j.sum, SkipAlreadyEncoded,
		fmt.Sprintf("the result already holds source ETag %s", j.src.ETag))
}

func (h *Handler) skip(log *slog.Logger, sum Summary, reason, msg string) (Summary, error) {
	sum.Skipped = reason
	sum.Message = msg
	log.Info("record skipped", "reason", reason, "why", msg)
	return sum, nil
}

// apiMessage is S3's own explanation, if it gave one.
func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorMessage() != "" {
		return fmt.Sprintf(" (%s: %s)", api.ErrorCode(), api.ErrorMessage())
	}
	return ""
}
