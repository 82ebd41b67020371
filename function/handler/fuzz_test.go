package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/result"
)

// The fuzz targets run the handler's whole record path (key decoding, the
// skip rules, result-key construction, idempotency lookup, read, S3 error
// classification, encode, write) against in-memory fakes, so that many
// events can be tried without S3 or dlib. They look for panics (which
// Handle turns into "panic:" summaries, so those are checked explicitly),
// for records that disappear from the response, for a wrong error code or
// retry decision, for writes that recurse into the output prefix or land
// anywhere but OUTPUT_PREFIX+key+".json", and for results that are not
// valid facevec.result/v1 documents.

const (
	fuzzInputBucket = "in"
	fuzzPrefix      = "encodings/"
	// fuzzFaceMagic starts the bodies the fake encoder "finds a face" in.
	fuzzFaceMagic = "FACE"
)

// FuzzS3Event: arbitrary JSON as the Lambda runtime would hand it to
// Handle. The seed corpus (testdata/fuzz/FuzzS3Event) holds real S3
// notification shapes: AWS's documented event, the embedded stack's,
// form-encoded unicode keys, results (recursion), folder markers, deletes,
// bad escapes, an over-long key, several records.
func FuzzS3Event(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload []byte) {
		var ev events.S3Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return // the runtime would fail the invocation before Handle
		}
		if len(ev.Records) > 64 {
			// More than S3 ever batches; keeps one execution cheap.
			ev.Records = ev.Records[:64]
		}
		checkHandle(t, ev)
	})
}

// FuzzS3Record: one record built from its fields, which reaches the key
// decoding and skip rules far faster than mutating JSON does. key is the
// event's form-encoded key, as S3 writes it.
func FuzzS3Record(f *testing.F) {
	f.Add("ObjectCreated:Put", fuzzInputBucket, "people/grace+hopper+%C3%A9.jpg", int64(1234))
	f.Add("s3:ObjectCreated:CompleteMultipartUpload", fuzzInputBucket, "a%2Bb+c.png", int64(5))
	f.Add("ObjectCreated:Put", fuzzInputBucket, "encodings/x.jpg.json", int64(90))
	f.Add("ObjectCreated:Put", fuzzInputBucket, "encodings%2Fx.jpg", int64(90))
	f.Add("ObjectCreated:Put", fuzzInputBucket, "photos/", int64(0))
	f.Add("ObjectRemoved:Delete", fuzzInputBucket, "gone.jpg", int64(0))
	f.Add("ObjectCreated:Copy", "other", "missing.jpg", int64(10))
	f.Add("ObjectCreated:Put", fuzzInputBucket, "bad%zzescape.jpg", int64(1))
	f.Add("ObjectCreated:Put", fuzzInputBucket, "%ff%fe.jpg", int64(1))
	f.Add("ObjectCreated:Put", "", "", int64(-1))
	f.Add("ObjectCreated:Put", fuzzInputBucket, strings.Repeat("k", 1010), int64(1))
	f.Fuzz(func(t *testing.T, name, bucket, key string, size int64) {
		var rec events.S3EventRecord
		rec.EventVersion, rec.EventSource, rec.AWSRegion, rec.EventName = "2.1", "aws:s3", "us-east-1", name
		rec.S3.Bucket.Name = bucket
		rec.S3.Object.Key, rec.S3.Object.Size = key, size
		rec.S3.Object.ETag = "0123456789abcdef0123456789abcdef"
		checkHandle(t, events.S3Event{Records: []events.S3EventRecord{rec}})
	})
}

// checkHandle runs ev through a Handler on fakes and checks every
// invariant the contract states.
func checkHandle(t *testing.T, ev events.S3Event) {
	t.Helper()
	fs3 := newFakeS3()
	cfg := handler.DefaultConfig() // OUTPUT_BUCKET unset: results go next to the inputs
	h, err := handler.New(cfg, fakeEncoder{}, fs3, handler.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), ev)

	if len(ev.Records) == 0 {
		if !errors.Is(err, handler.ErrNoRecords) {
			t.Fatalf("event without records: error %v, want ErrNoRecords", err)
		}
		return
	}
	if len(resp.Results) != len(ev.Records) || resp.Failed == nil {
		t.Fatalf("%d records, %d summaries (failed %v)", len(ev.Records), len(resp.Results), resp.Failed)
	}

	wantPuts := map[objectID]int{}
	var failed []string
	retry := false
	for i, s := range resp.Results {
		rec := ev.Records[i]
		if strings.HasPrefix(s.Message, "panic:") {
			t.Fatalf("record %d panicked: %s", i, s.Message)
		}
		if s.Bucket != rec.S3.Bucket.Name {
			t.Fatalf("summary %d is for bucket %q, record for %q", i, s.Bucket, rec.S3.Bucket.Name)
		}
		if s.Error != nil {
			failed = append(failed, s.Key)
			if !validCode(*s.Error) || s.Message == "" {
				t.Fatalf("summary %d: error %q with message %q", i, *s.Error, s.Message)
			}
		}
		decoded, derr := url.QueryUnescape(rec.S3.Object.Key)
		if derr != nil {
			if s.Error == nil || *s.Error != result.CodeInternal || s.ResultKey != "" {
				t.Fatalf("undecodable key %q: summary %+v, want an internal error and no result", rec.S3.Object.Key, s)
			}
			continue
		}
		if s.Key != decoded {
			t.Fatalf("summary key %q, want the decoded key %q", s.Key, decoded)
		}
		switch s.Skipped {
		case "":
		case handler.SkipOutputPrefix:
			if !strings.HasPrefix(decoded, fuzzPrefix) {
				t.Fatalf("key %q skipped as a result but is not under %q", decoded, fuzzPrefix)
			}
			continue
		case handler.SkipNotCreated:
			if strings.HasPrefix(strings.TrimPrefix(rec.EventName, "s3:"), "ObjectCreated:") {
				t.Fatalf("ObjectCreated event %q skipped as not created", rec.EventName)
			}
			continue
		case handler.SkipAlreadyEncoded:
			// Only a duplicate record of the same event can have written
			// the result this one found.
			if !hasDuplicate(ev.Records, i) {
				t.Fatalf("record %d (%q) found a result nobody wrote", i, decoded)
			}
			continue
		case handler.SkipFolderMarker:
			if !strings.HasSuffix(decoded, "/") || rec.S3.Object.Size != 0 {
				t.Fatalf("key %q (size %d) skipped as a folder marker", decoded, rec.S3.Object.Size)
			}
			continue
		default:
			t.Fatalf("summary %d skipped for reason %q, which no record here can have", i, s.Skipped)
		}
		if s.ResultKey == "" {
			// Rejected before any I/O (no bucket, no key, key too long).
			if s.Error == nil {
				t.Fatalf("record %q processed without a result key or an error", decoded)
			}
			continue
		}
		if strings.HasPrefix(decoded, fuzzPrefix) {
			t.Fatalf("key %q under the output prefix was processed: the function would trigger itself", decoded)
		}
		if want, _ := result.Key(fuzzPrefix, rec.S3.Bucket.Name, decoded); s.ResultKey != want || s.ResultBucket != rec.S3.Bucket.Name {
			t.Fatalf("result at %s/%s, want %s/%s", s.ResultBucket, s.ResultKey, rec.S3.Bucket.Name, want)
		}
		o := outcomeMissing
		if rec.S3.Bucket.Name == fuzzInputBucket {
			o = outcomeFor(decoded)
		}
		if got, want := codeOf(s), outcomeCodes[o]; got != want || s.Retryable != (o == outcomeSlowDown) {
			t.Fatalf("%q (outcome %d): code %q retryable %v, want %q retryable %v (%s)", decoded, o, got, s.Retryable, want, o == outcomeSlowDown, s.Message)
		}
		if s.Retryable {
			retry = true // nothing written: Lambda will deliver the event again
			continue
		}
		wantPuts[objectID{s.ResultBucket, s.ResultKey}]++
	}
	// Only a transient failure fails the invocation, so that Lambda retries.
	if retry != errors.Is(err, handler.ErrRetryable) || (!retry && err != nil) {
		t.Fatalf("Handle error %v; a record failed transiently: %v", err, retry)
	}
	if !slices.Equal(failed, resp.Failed) {
		t.Fatalf("failed = %q, want the keys of the error summaries %q", resp.Failed, failed)
	}

	puts := fs3.putCounts()
	if len(puts) != len(wantPuts) {
		t.Fatalf("wrote %v, want %v", puts, wantPuts)
	}
	for k, n := range wantPuts {
		if puts[k] != n {
			t.Fatalf("wrote %+v %d times, want %d (all writes %v)", k, puts[k], n, puts)
		}
	}
	fs3.checkResults(t)
}

// hasDuplicate reports whether another record names the same object as
// record i.
func hasDuplicate(recs []events.S3EventRecord, i int) bool {
	for j, r := range recs {
		if j != i && r.S3.Bucket.Name == recs[i].S3.Bucket.Name && r.S3.Object.Key == recs[i].S3.Object.Key {
			return true
		}
	}
	return false
}

func validCode(c result.Code) bool {
	switch c {
	case result.CodeUnsupportedFormat, result.CodeDecodeFailed, result.CodeTooLarge, result.CodeNotFound,
		result.CodeAccessDenied, result.CodeTimeout, result.CodeInternal:
		return true
	}
	return false
}

// fakeEncoder "finds" one face in bodies starting with fuzzFaceMagic and
// calls everything else an unsupported format, like the real encoder's
// two kinds of outcome.
type fakeEncoder struct{}

func (fakeEncoder) Workers() int { return 2 }

func (fakeEncoder) Encode(_ context.Context, data []byte, p face.Params) (*result.Result, error) {
	res := result.New(result.Source{})
	res.Model = result.Model{Detector: p.Detector, Upsample: p.Upsample, Jitter: p.Jitter}
	if !bytes.HasPrefix(data, []byte(fuzzFaceMagic)) {
		err := result.Errorf(result.CodeUnsupportedFormat, "not an image the fake knows")
		return res.Fail(err), err
	}
	res.Image = result.ImageInfo{Width: 10, Height: 10, Format: "fake", EXIFOrientation: 1}
	res.Faces = []result.Face{{
		Box:        result.Box{Right: 5, Bottom: 5},
		Landmarks:  make([][2]int, 5),
		Descriptor: make([]float32, result.DescriptorLen),
	}}
	return res, nil
}

// objectID names an S3 object; bucket and key are kept apart because a
// fuzzed bucket name may contain any byte, '/' included.
type objectID struct{ bucket, key string }

// outcome is what reading an input key gives: an image with a face, junk,
// or one of the S3 errors the handler classifies. It is decided by a hash
// of the key, so a record's outcome is reproducible.
type outcome uint32

const (
	outcomeFace outcome = iota
	outcomeJunk
	outcomeMissing    // 404 NoSuchKey
	outcomeDenied     // 403 AccessDenied
	outcomeBadRequest // 400, which a retry does not fix
	outcomeSlowDown   // 503 SlowDown after the SDK's retries: retryable
	outcomes
)

// outcomeCodes is the result code each outcome must end in.
var outcomeCodes = map[outcome]result.Code{
	outcomeFace:       "",
	outcomeJunk:       result.CodeUnsupportedFormat,
	outcomeMissing:    result.CodeNotFound,
	outcomeDenied:     result.CodeAccessDenied,
	outcomeBadRequest: result.CodeInternal,
	outcomeSlowDown:   result.CodeInternal,
}

func outcomeFor(key string) outcome {
	h := fnv.New32a()
	h.Write([]byte(key))
	return outcome(h.Sum32() % uint32(outcomes))
}

// s3Error is shaped like the SDK's error for an HTTP error answer.
func s3Error(status int, code string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject", Err: &awshttp.ResponseError{
		RequestID: "fuzz",
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: http.StatusText(status)},
		},
	}}
}

// fakeS3 serves the keys of fuzzInputBucket according to outcomeFor,
// answers NoSuchKey for other buckets, and keeps what is written.
type fakeS3 struct {
	mu      sync.Mutex
	results map[objectID]fakeObject
	puts    map[objectID]int
}

type fakeObject struct {
	body []byte
	meta map[string]string
}

func newFakeS3() *fakeS3 {
	return &fakeS3{results: map[objectID]fakeObject{}, puts: map[objectID]int{}}
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	bucket, key := aws.ToString(in.Bucket), aws.ToString(in.Key)
	f.mu.Lock()
	obj, isResult := f.results[objectID{bucket, key}]
	f.mu.Unlock()
	if isResult {
		return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(obj.body)), ContentLength: aws.Int64(int64(len(obj.body))),
			ETag: aws.String(`"r"`), Metadata: obj.meta}, nil
	}
	o := outcomeMissing
	if bucket == fuzzInputBucket {
		o = outcomeFor(key)
	}
	var body []byte
	switch o {
	case outcomeFace:
		body = []byte(fuzzFaceMagic + key)
	case outcomeJunk:
		body = []byte("junk")
	case outcomeMissing:
		return nil, s3Error(http.StatusNotFound, "NoSuchKey")
	case outcomeDenied:
		return nil, s3Error(http.StatusForbidden, "AccessDenied")
	case outcomeBadRequest:
		return nil, s3Error(http.StatusBadRequest, "InvalidRequest")
	default:
		return nil, s3Error(http.StatusServiceUnavailable, "SlowDown")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: aws.Int64(int64(len(body))),
		ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)}, nil
}

func (f *fakeS3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	bucket, key := aws.ToString(in.Bucket), aws.ToString(in.Key)
	f.mu.Lock()
	defer f.mu.Unlock()
	obj, ok := f.results[objectID{bucket, key}]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Not Found"}
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(obj.body))), Metadata: obj.meta}, nil
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	k := objectID{aws.ToString(in.Bucket), aws.ToString(in.Key)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results[k] = fakeObject{body: body, meta: in.Metadata}
	f.puts[k]++
	return &s3.PutObjectOutput{ETag: aws.String(`"w"`)}, nil
}

func (f *fakeS3) putCounts() map[objectID]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.puts)
}

// checkResults: every written object is a facevec.result/v1 document for
// the key it is stored under, consistent with its idempotency metadata.
func (f *fakeS3) checkResults(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, obj := range f.results {
		bucket, key := id.bucket, id.key
		if len(key) > 1024 || !strings.HasSuffix(key, ".json") || !strings.HasPrefix(key, fuzzPrefix) {
			t.Fatalf("result key %q: over 1024 bytes, or not %s….json", key, fuzzPrefix)
		}
		var r result.Result
		dec := json.NewDecoder(bytes.NewReader(obj.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s/%s is not a result: %v\n%s", bucket, key, err, obj.body)
		}
		if r.Schema != result.Schema || r.Faces == nil || r.Source.Bucket != jsonRoundTrip(bucket) {
			t.Fatalf("%s/%s: schema %q, faces %v, source %+v", bucket, key, r.Schema, r.Faces, r.Source)
		}
		// JSON replaces invalid UTF-8 (S3 keys are always valid UTF-8, a
		// fuzzed %ff is not), so compare after the same round trip.
		// A hashed (long) key of invalid UTF-8 hashes the bytes JSON could
		// not keep, so only the layout is checked for it.
		if want, _ := result.Key(fuzzPrefix, r.Source.Bucket, r.Source.Key); jsonRoundTrip(key) != want &&
			(utf8.ValidString(key) || !strings.Contains(key, result.LongKeyDir)) {
			t.Fatalf("%s/%s holds the result of key %q (its result key is %s)", bucket, key, r.Source.Key, want)
		}
		if r.Error != nil && (len(r.Faces) != 0 || !validCode(r.Error.Code) ||
			!strings.Contains(r.Error.Message, "s3://"+r.Source.Bucket+"/"+r.Source.Key)) {
			t.Fatalf("%s/%s: error %+v with %d faces; the message must name the object", bucket, key, r.Error, len(r.Faces))
		}
		if obj.meta[handler.MetaSourceETag] != r.Source.ETag || obj.meta[handler.MetaFaces] != fmt.Sprint(len(r.Faces)) {
			t.Fatalf("%s/%s: metadata %v does not match the body (etag %q, %d faces)", bucket, key, obj.meta, r.Source.ETag, len(r.Faces))
		}
	}
}

// jsonRoundTrip is s as it reads back from a JSON document.
func jsonRoundTrip(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}
