package handler_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/face"
	"github.com/facevec/facevec/function/face/dlib"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/result"
)

// TestMultiRecordEvent sends one event with three uploads (one face, a
// group, no face) under keys with spaces, unicode, '+' and '&', and checks
// each result against a direct encoding of the same bytes.
func TestMultiRecordEvent(t *testing.T) {
	one, group, noface := testImage(t, "one"), testImage(t, "group"), testImage(t, "noface")
	st := newStack(t, "faces-in", "faces-out")
	h, _ := newHandler(t, st, handler.Config{OutputBucket: "faces-out", OutputPrefix: "encodings/",
		Detector: "hog", Upsample: 1, MaxSide: 2000, MaxObjectBytes: 25 << 20, MaxPixels: 50e6})

	keys := []string{"people/grace hopper é.jpg", "groups/a+b (2008) & co.jpg", "cats/chelsea"}
	imgs := [][]byte{one, group, noface}
	ev := event(st.upload(t, "faces-in", keys[0], one), st.upload(t, "faces-in", keys[1], group),
		st.upload(t, "faces-in", keys[2], noface))
	if got := ev.Records[0].S3.Object.Key; got != "people/grace+hopper+%C3%A9.jpg" {
		t.Errorf("the stand-in encoded the key as %q, want S3's people/grace+hopper+%%C3%%A9.jpg", got)
	}

	resp, err := h.Handle(ctxT(t), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if len(resp.Results) != 3 || len(resp.Failed) != 0 {
		t.Fatalf("response = %+v, want 3 results and nothing failed", resp)
	}
	for i, key := range keys {
		s := resp.Results[i]
		wantKey := "encodings/faces-in/" + key + ".json"
		if s.Bucket != "faces-in" || s.Key != key || s.ResultKey != wantKey || s.ResultBucket != "faces-out" || s.Error != nil || s.Skipped != "" {
			t.Errorf("summary %d = %+v, want in/%q → out/%q without error", i, s, key, wantKey)
		}

		res, _ := st.result(t, "faces-out", wantKey)
		src := st.head(t, "faces-in", key)
		want := result.Source{Bucket: "faces-in", Key: key, ETag: strings.Trim(aws.ToString(src.ETag), `"`), Size: int64(len(imgs[i]))}
		if res.Source != want {
			t.Errorf("source = %+v, want %+v", res.Source, want)
		}
		if res.Error != nil {
			t.Fatalf("result %s has error %+v", key, res.Error)
		}
		direct, err := testEncoder(t).Encode(ctxT(t), imgs[i], face.Params{Detector: "hog", Upsample: 1, MaxSide: 2000})
		if err != nil {
			t.Fatalf("direct Encode: %v", err)
		}
		if wantFaces := len(direct.Faces); (wantFaces == 0) != (i == 2) || len(res.Faces) != wantFaces || s.Faces != wantFaces {
			t.Fatalf("%s: %d faces in result, %d in summary, %d encoding directly", key, len(res.Faces), s.Faces, len(direct.Faces))
		}
		for f := range res.Faces {
			if res.Faces[f].Box != direct.Faces[f].Box {
				t.Errorf("%s face %d box %+v, direct %+v", key, f, res.Faces[f].Box, direct.Faces[f].Box)
			}
			if d := result.Distance(res.Faces[f].Descriptor, direct.Faces[f].Descriptor); d != 0 {
				t.Errorf("%s face %d descriptor differs from a direct encoding by %g", key, f, d)
			}
		}
		if res.Model.Recognizer != face.RecognizerName || res.Model.Detector != "hog" || res.Image.Width == 0 {
			t.Errorf("model/image not filled: %+v %+v", res.Model, res.Image)
		}
		meta := st.head(t, "faces-out", wantKey).Metadata
		if meta[handler.MetaSourceETag] != want.ETag {
			t.Errorf("x-amz-meta-%s = %q, want %q", handler.MetaSourceETag, meta[handler.MetaSourceETag], want.ETag)
		}
	}
}

// TestRedeliveryWritesOnce delivers the same event twice: the second time
// the result must not be written again.
func TestRedeliveryWritesOnce(t *testing.T) {
	img := testImage(t, "one")
	st := newStack(t, "photos")
	h, logs := newHandler(t, st, handler.DefaultConfig())
	rec := st.upload(t, "photos", "a.jpg", img)

	if _, err := h.Handle(ctxT(t), event(rec)); err != nil {
		t.Fatalf("first Handle: %v", err)
	}
	first := st.head(t, "photos", "encodings/photos/a.jpg.json")
	// LastModified has one-second resolution; the ETag (an MD5 of a body
	// holding fresh timings) changes on any rewrite.
	time.Sleep(1100 * time.Millisecond)

	resp, err := h.Handle(ctxT(t), event(rec))
	if err != nil {
		t.Fatalf("second Handle: %v", err)
	}
	s := resp.Results[0]
	if s.Skipped != handler.SkipAlreadyEncoded || s.Faces != 1 || s.Error != nil {
		t.Errorf("redelivery summary = %+v, want skipped %q with 1 face", s, handler.SkipAlreadyEncoded)
	}
	second := st.head(t, "photos", "encodings/photos/a.jpg.json")
	if aws.ToString(second.ETag) != aws.ToString(first.ETag) || !aws.ToTime(second.LastModified).Equal(aws.ToTime(first.LastModified)) {
		t.Errorf("result rewritten: ETag %s→%s, LastModified %v→%v", aws.ToString(first.ETag), aws.ToString(second.ETag),
			aws.ToTime(first.LastModified), aws.ToTime(second.LastModified))
	}
	lines := logs.lines("record skipped")
	if len(lines) != 1 || lines[0]["reason"] != handler.SkipAlreadyEncoded || lines[0]["key"] != "a.jpg" {
		t.Errorf("want one %q log line for a.jpg, got %v", handler.SkipAlreadyEncoded, lines)
	}
}

// TestDecoderWarningsLogged: a JPEG with bytes libjpeg skips still gets
// its faces, and libjpeg's warning lands in the JSON "result written" line
// with the key, not on stderr.
func TestDecoderWarningsLogged(t *testing.T) {
	img, err := fixtures.SloppyJPEG(testImage(t, "one"))
	if err != nil {
		t.Fatal(err)
	}
	st := newStack(t, "photos")
	h, logs := newHandler(t, st, handler.DefaultConfig())
	rec := st.upload(t, "photos", "sloppy.jpg", img)
	resp, err := h.Handle(ctxT(t), event(rec))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if s := resp.Results[0]; s.Faces != 1 || s.Error != nil {
		t.Errorf("summary = %+v, want 1 face and no error", s)
	}
	lines := logs.lines("result written")
	if len(lines) != 1 || lines[0]["key"] != "sloppy.jpg" ||
		!strings.Contains(fmt.Sprint(lines[0]["decoder_warnings"]), fixtures.SloppyJPEGWarning) {
		t.Errorf("want one \"result written\" line for sloppy.jpg with libjpeg's warning, got %v", lines)
	}
}

// TestNewerUploadReplacesResult uploads a second image under the same key:
// its event replaces the result; the first upload's late event changes
// nothing, because the object it names is now the second image.
func TestNewerUploadReplacesResult(t *testing.T) {
	one, group := testImage(t, "one"), testImage(t, "group")
	st := newStack(t, "photos")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	const key, rkey = "me.jpg", "encodings/photos/me.jpg.json"

	old := st.upload(t, "photos", key, one)
	if _, err := h.Handle(ctxT(t), event(old)); err != nil {
		t.Fatal(err)
	}
	r1, _ := st.result(t, "photos", rkey)

	newer := st.upload(t, "photos", key, group)
	if newer.S3.Object.ETag == old.S3.Object.ETag {
		t.Fatal("both uploads have the same ETag")
	}
	resp, err := h.Handle(ctxT(t), event(newer))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := st.result(t, "photos", rkey)
	if resp.Results[0].Skipped != "" || r2.Source.ETag != newer.S3.Object.ETag || len(r2.Faces) == len(r1.Faces) {
		t.Fatalf("after the newer upload: summary %+v, result etag %s with %d faces; want etag %s and a different face count than %d",
			resp.Results[0], r2.Source.ETag, len(r2.Faces), newer.S3.Object.ETag, len(r1.Faces))
	}

	before := st.head(t, "photos", rkey)
	resp, err = h.Handle(ctxT(t), event(old))
	if err != nil {
		t.Fatal(err)
	}
	if s := resp.Results[0]; s.Skipped != handler.SkipAlreadyEncoded || s.ETag != newer.S3.Object.ETag {
		t.Errorf("late event of the old upload: %+v, want skipped as already encoded with the current ETag", s)
	}
	if after := st.head(t, "photos", rkey); aws.ToString(after.ETag) != aws.ToString(before.ETag) {
		t.Error("late event of the old upload rewrote the result")
	}
}

// TestSkips covers the records that must not be processed.
func TestSkips(t *testing.T) {
	st := newStack(t, "faces-in", "faces-out")
	tests := []struct {
		name   string
		output string // OUTPUT_BUCKET
		event  string
		bucket string
		key    string
		want   string // Skipped; "" = processed
	}{
		{name: "own result in the same bucket", bucket: "faces-in", key: "encodings/a.jpg.json", event: "ObjectCreated:Put", want: handler.SkipOutputPrefix},
		{name: "nested result", bucket: "faces-in", key: "encodings/encodings/a.jpg.json.json", event: "ObjectCreated:Put", want: handler.SkipOutputPrefix},
		{name: "result in the output bucket", output: "faces-out", bucket: "faces-out", key: "encodings/x.png.json", event: "ObjectCreated:Copy", want: handler.SkipOutputPrefix},
		{name: "removal", bucket: "faces-in", key: "a.jpg", event: "ObjectRemoved:Delete", want: handler.SkipNotCreated},
		{name: "restore", bucket: "faces-in", key: "a.jpg", event: "ObjectRestore:Completed", want: handler.SkipNotCreated},
		{name: "folder marker", bucket: "faces-in", key: "people/", event: "ObjectCreated:Put", want: handler.SkipFolderMarker},
		// With a separate output bucket, a key under the prefix in the
		// input bucket is an ordinary input: it gets processed (here: it
		// does not exist, so a not_found result).
		{name: "prefix in another bucket", output: "faces-out", bucket: "faces-in", key: "encodings/a.jpg", event: "ObjectCreated:Put"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := handler.DefaultConfig()
			cfg.OutputBucket = tt.output
			h, logs := newHandler(t, st, cfg)
			resp, err := h.Handle(ctxT(t), event(eventFor(tt.event, tt.bucket, tt.key, "0123", 0)))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			s := resp.Results[0]
			if s.Skipped != tt.want {
				t.Fatalf("summary = %+v, want skipped %q", s, tt.want)
			}
			out := cmp.Or(tt.output, tt.bucket)
			_, _, written := st.get(t, out, "encodings/"+tt.bucket+"/"+tt.key+".json")
			if tt.want != "" {
				if written || s.Error != nil || len(resp.Failed) != 0 || s.Message == "" {
					t.Errorf("skipped record: written=%v summary=%+v failed=%v; want nothing written, no error, a message", written, s, resp.Failed)
				}
				if l := logs.lines("record skipped"); len(l) != 1 || l[0]["reason"] != tt.want {
					t.Errorf("log lines %v, want one with reason %q", l, tt.want)
				}
				return
			}
			if !written || codeOf(s) != result.CodeNotFound {
				t.Errorf("processed record: written=%v summary=%+v; want a not_found result", written, s)
			}
		})
	}
}

// TestErrorResults: inputs that cannot be encoded get an error result and
// do not stop the other records of the event.
func TestErrorResults(t *testing.T) {
	img := testImage(t, "one")
	st := newStack(t, "faces-in")
	cfg := handler.DefaultConfig()
	cfg.MaxObjectBytes = int64(len(img)) // the good image just fits
	h, _ := newHandler(t, st, cfg)

	corrupt := append([]byte(nil), img[:len(img)/3]...) // a JPEG cut short
	for i := 600; i < len(corrupt); i++ {
		corrupt[i] = 0xFF
	}
	tests := []struct {
		key  string
		data []byte // nil: never uploaded
		want result.Code
	}{
		{key: "ok.jpg", data: img},
		{key: "missing/gone é.jpg", want: result.CodeNotFound},
		{key: "big.jpg", data: append(append([]byte(nil), img...), 0), want: result.CodeTooLarge},
		{key: "corrupt.jpg", data: corrupt, want: result.CodeDecodeFailed},
		{key: "notes.txt", data: []byte("not an image at all\n"), want: result.CodeUnsupportedFormat},
	}
	var ev = event()
	for _, tt := range tests {
		if tt.data == nil {
			ev.Records = append(ev.Records, eventFor("ObjectCreated:Put", "faces-in", tt.key, "d41d8cd98f00b204e9800998ecf8427e", 1234))
		} else {
			ev.Records = append(ev.Records, st.upload(t, "faces-in", tt.key, tt.data))
		}
	}
	resp, err := h.Handle(ctxT(t), ev)
	if err != nil {
		t.Fatalf("Handle: %v (error results are not retryable failures)", err)
	}
	var wantFailed []string
	for i, tt := range tests {
		s := resp.Results[i]
		res, _ := st.result(t, "faces-in", "encodings/faces-in/"+tt.key+".json")
		if tt.want == "" {
			if s.Error != nil || res.Error != nil || len(res.Faces) != 1 {
				t.Errorf("%s: summary %+v, result error %+v, %d faces; want 1 face", tt.key, s, res.Error, len(res.Faces))
			}
			continue
		}
		wantFailed = append(wantFailed, tt.key)
		if codeOf(s) != tt.want || res.Error == nil || res.Error.Code != tt.want || len(res.Faces) != 0 {
			t.Errorf("%s: summary %+v, result error %+v with %d faces; want %s and no faces", tt.key, s, res.Error, len(res.Faces), tt.want)
			continue
		}
		if !strings.Contains(res.Error.Message, tt.key) {
			t.Errorf("%s: message %q does not name the object", tt.key, res.Error.Message)
		}
		if res.Source.Key != tt.key || res.Source.Bucket != "faces-in" || res.Source.ETag == "" {
			t.Errorf("%s: source %+v", tt.key, res.Source)
		}
		if tt.want == result.CodeTooLarge && res.Source.Size != int64(len(tt.data)) {
			t.Errorf("too large: source size %d, want %d", res.Source.Size, len(tt.data))
		}
		if meta := st.head(t, "faces-in", "encodings/faces-in/"+tt.key+".json").Metadata; meta[handler.MetaErrorCode] != string(tt.want) {
			t.Errorf("%s: x-amz-meta-%s = %q", tt.key, handler.MetaErrorCode, meta[handler.MetaErrorCode])
		}
	}
	if strings.Join(resp.Failed, "|") != strings.Join(wantFailed, "|") {
		t.Errorf("failed = %q, want %q", resp.Failed, wantFailed)
	}

	// A redelivery does not redo final error results either; not_found is
	// not final (the object may be uploaded again under the same ETag),
	// so it is tried again, and still missing.
	resp, err = h.Handle(ctxT(t), ev)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range resp.Results {
		final := tests[i].want != result.CodeNotFound
		if skipped := s.Skipped == handler.SkipAlreadyEncoded; skipped != final || codeOf(s) != tests[i].want {
			t.Errorf("redelivered %s: %+v, want skipped %v with error %q", tests[i].key, s, final, tests[i].want)
		}
	}
}

// TestNearDeadline: a record that cannot finish before the deadline minus
// the safety margin gets a timeout result, written within the deadline;
// a timeout result is not final, so a redelivery encodes the image.
func TestNearDeadline(t *testing.T) {
	img := testImage(t, "one")
	tests := []struct {
		name   string
		budget time.Duration // time from the start of Handle to the Lambda deadline
		margin time.Duration // minimum safety margin; 0 = the default
		when   string        // what the result says
	}{
		// Less than the 1 s minimum margin: no time to start at all.
		{"inside the margin", 700 * time.Millisecond, 0, "ran out of time before reading it"},
		// 10 ms of work time: not enough to read, decode, detect and
		// describe the photo (about 57 ms here since the exact HOG scanner
		// sped it up; the 60 ms this case had once let it finish). The
		// wide margin absorbs the running dlib call, which cannot be
		// interrupted, even on a loaded machine.
		{"during the work", 3010 * time.Millisecond, 3 * time.Second, "ran out of time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t, "faces-in")
			var opts []handler.Option
			if tt.margin > 0 {
				opts = append(opts, handler.WithSafetyMargin(tt.margin, handler.DefaultMarginFraction))
			}
			h, _ := newHandler(t, st, handler.DefaultConfig(), opts...)
			rec := st.upload(t, "faces-in", "slow.jpg", img)

			start := time.Now()
			ctx, cancel := context.WithDeadline(ctxT(t), start.Add(tt.budget))
			defer cancel()
			// The invocation fails, so Lambda retries it and then sends it
			// to the failure destination: a timeout is never only a log line.
			resp, err := h.Handle(ctx, event(rec))
			if !errors.Is(err, handler.ErrRetryable) || !strings.Contains(err.Error(), "slow.jpg") || !resp.Results[0].Retryable {
				t.Fatalf("Handle: %v (summary %+v), want ErrRetryable naming slow.jpg", err, resp.Results[0])
			}
			if took := time.Since(start); took > tt.budget {
				t.Errorf("Handle took %v, past the %v deadline", took, tt.budget)
			}
			res, _ := st.result(t, "faces-in", "encodings/faces-in/slow.jpg.json")
			if codeOf(resp.Results[0]) != result.CodeTimeout || res.Error == nil || res.Error.Code != result.CodeTimeout {
				t.Fatalf("summary %+v, result error %+v; want timeout", resp.Results[0], res.Error)
			}
			if !strings.Contains(res.Error.Message, "slow.jpg") || !strings.Contains(res.Error.Message, tt.when) || res.Source.ETag != rec.S3.Object.ETag {
				t.Errorf("timeout result: message %q (want %q), source %+v", res.Error.Message, tt.when, res.Source)
			}

			resp, err = h.Handle(ctxT(t), event(rec))
			if err != nil {
				t.Fatal(err)
			}
			if s := resp.Results[0]; s.Skipped != "" || s.Error != nil || s.Faces != 1 {
				t.Errorf("redelivery after a timeout: %+v, want the image encoded", s)
			}

			// Out of time again, but the result is complete now: it must
			// stay, not be replaced by a timeout.
			ctx, cancel = context.WithTimeout(ctxT(t), tt.budget)
			defer cancel()
			resp, err = h.Handle(ctx, event(rec))
			if err != nil {
				t.Fatal(err)
			}
			res, _ = st.result(t, "faces-in", "encodings/faces-in/slow.jpg.json")
			if s := resp.Results[0]; s.Skipped != handler.SkipAlreadyEncoded || res.Error != nil || len(res.Faces) != 1 {
				t.Errorf("late redelivery of an encoded image: %+v, result error %+v; want skipped, result kept", s, res.Error)
			}
		})
	}
}

// TestRetryableFailures: S3 throttling that outlasts the client's retries
// makes Handle fail (so Lambda retries) without stopping the other records;
// the retry then completes the work.
func TestRetryableFailures(t *testing.T) {
	img := testImage(t, "one")
	tests := []struct {
		name  string
		fault s3svc.Fault
	}{
		{"read throttled", s3svc.Fault{Op: s3svc.OpGetObject, Bucket: "faces-in", KeyPrefix: "flaky/", Times: 3, SlowDown: true}},
		{"write throttled", s3svc.Fault{Op: s3svc.OpPutObject, Bucket: "faces-in", KeyPrefix: "encodings/faces-in/flaky/", Times: 3, SlowDown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStack(t, "faces-in")
			h, _ := newHandler(t, st, handler.DefaultConfig())
			ev := event(st.upload(t, "faces-in", "flaky/a.jpg", img), st.upload(t, "faces-in", "fine/b.jpg", img))
			if err := st.faults.Add(tt.fault); err != nil {
				t.Fatal(err)
			}
			resp, err := h.Handle(ctxT(t), ev)
			if !errors.Is(err, handler.ErrRetryable) || !strings.Contains(err.Error(), "flaky/a.jpg") {
				t.Fatalf("Handle error = %v, want ErrRetryable naming flaky/a.jpg", err)
			}
			if s := resp.Results[0]; !s.Retryable || s.Error == nil {
				t.Errorf("throttled record summary %+v, want retryable", s)
			}
			if _, _, ok := st.get(t, "faces-in", "encodings/faces-in/flaky/a.jpg.json"); ok {
				t.Error("a result was written for the throttled record")
			}
			if s := resp.Results[1]; s.Error != nil || s.Faces != 1 {
				t.Errorf("the other record: %+v, want encoded", s)
			}
			if st.faults.Pending() != 0 {
				t.Fatalf("%d faults unused: the client did not retry as configured", st.faults.Pending())
			}

			fine := st.head(t, "faces-in", "encodings/faces-in/fine/b.jpg.json")
			resp, err = h.Handle(ctxT(t), ev)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if s := resp.Results[0]; s.Error != nil || s.Faces != 1 {
				t.Errorf("retried record: %+v", s)
			}
			if s := resp.Results[1]; s.Skipped != handler.SkipAlreadyEncoded {
				t.Errorf("retry redid the record that had succeeded: %+v", s)
			}
			if again := st.head(t, "faces-in", "encodings/faces-in/fine/b.jpg.json"); aws.ToString(again.ETag) != aws.ToString(fine.ETag) {
				t.Error("retry rewrote the result that had succeeded")
			}
		})
	}
}

// TestBadRecords: malformed records get a clear error summary, never a
// crash, and do not stop the others.
func TestBadRecords(t *testing.T) {
	img := testImage(t, "one")
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())

	bad := eventFor("ObjectCreated:Put", "faces-in", "x", "", 1)
	bad.S3.Object.Key = "bad%zzkey.jpg"
	noBucket := eventFor("ObjectCreated:Put", "", "y.jpg", "", 1)
	// A key of 1020+ bytes has no room for prefix, bucket and ".json":
	// its result goes under its hash, not nowhere.
	longKey := strings.Repeat("k", 1020) + ".jpg"
	long := st.upload(t, "faces-in", longKey, img)
	resp, err := h.Handle(ctxT(t), event(bad, noBucket, long, st.upload(t, "faces-in", "good.jpg", img)))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	for i, s := range resp.Results[:2] {
		if codeOf(s) != result.CodeInternal || s.Message == "" || s.Retryable {
			t.Errorf("bad record %d: %+v, want a non-retryable error with a message", i, s)
		}
	}
	for _, s := range resp.Results[2:] {
		if s.Error != nil || s.Faces != 1 {
			t.Errorf("good record: %+v", s)
		}
	}
	wantLong, _ := result.Key("encodings/", "faces-in", longKey)
	if res, _ := st.result(t, "faces-in", wantLong); res.Source.Key != longKey || len(res.Faces) != 1 {
		t.Errorf("the long key's result at %s: source %.40q…, %d faces", wantLong, res.Source.Key, len(res.Faces))
	}
	if len(resp.Failed) != 2 {
		t.Errorf("failed = %q, want the two bad keys", resp.Failed)
	}

	if _, err := h.Handle(ctxT(t), event()); !errors.Is(err, handler.ErrNoRecords) {
		t.Errorf("empty event: err = %v, want ErrNoRecords", err)
	}
}

// TestHashedResultKeyNotTakeable: an upload whose key is literally
// "_long/<SHA-256 of a long key>" gets a result of its own and leaves the
// long key's result alone.
func TestHashedResultKeyNotTakeable(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	longKey := strings.Repeat("k", 1020) + ".jpg"
	sum := sha256.Sum256([]byte(longKey))
	lookalike := result.LongKeyDir + hex.EncodeToString(sum[:])
	for _, rec := range []events.S3EventRecord{
		st.upload(t, "faces-in", longKey, testImage(t, "one")),
		st.upload(t, "faces-in", lookalike, testImage(t, "noface")),
	} {
		if _, err := h.Handle(ctxT(t), event(rec)); err != nil {
			t.Fatal(err)
		}
	}
	longResult, _ := result.Key("encodings/", "faces-in", longKey)
	if res, _ := st.result(t, "faces-in", longResult); res.Source.Key != longKey || len(res.Faces) != 1 {
		t.Errorf("the long key's result at %s now describes %.40q… with %d faces; want the long key's one face", longResult, res.Source.Key, len(res.Faces))
	}
	own, _ := result.Key("encodings/", "faces-in", lookalike)
	if res, _ := st.result(t, "faces-in", own); res.Source.Key != lookalike || len(res.Faces) != 0 {
		t.Errorf("the result at %s describes %.40q… with %d faces; want %q with none", own, res.Source.Key, len(res.Faces), lookalike)
	}
}

// TestConcurrentRecords: records of one event are encoded in parallel up
// to the pool size, and every result still lands under its own key.
func TestConcurrentRecords(t *testing.T) {
	img := testImage(t, "one")
	st := newStack(t, "faces-in")
	log, logs := newLog(t)
	enc := &countingEncoder{Encoder: testEncoder(t)}
	cfg := handler.DefaultConfig()
	cfg.ModelsDir = modelsDir(t)
	h, err := handler.New(cfg, enc, st.client, handler.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	ev := event()
	for _, k := range []string{"c/1.jpg", "c/2.jpg", "c/3.jpg", "c/4.jpg", "c/5.jpg"} {
		ev.Records = append(ev.Records, st.upload(t, "faces-in", k, img))
	}
	resp, err := h.Handle(ctxT(t), ev)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range resp.Results {
		if s.Key != ev.Records[i].S3.Object.Key || s.Faces != 1 {
			t.Errorf("result %d: %+v", i, s)
		}
		r, _ := st.result(t, "faces-in", "encodings/faces-in/"+s.Key+".json")
		if r.Source.Key != s.Key {
			t.Errorf("result for %s holds source %s", s.Key, r.Source.Key)
		}
	}
	if l := logs.lines("invocation done"); len(l) != 1 || l[0]["faces"] != float64(5) {
		t.Errorf("summary log lines: %v", l)
	}
	if got, want := enc.maxInFlight(), testEncoder(t).Workers(); got != want {
		t.Errorf("at most %d records were encoding at once, want the pool size %d", got, want)
	}
}

// countingEncoder is the real encoder, recording how many Encode calls
// overlap.
type countingEncoder struct {
	*dlib.Encoder
	mu           sync.Mutex
	inFlight, hi int
}

func (c *countingEncoder) Encode(ctx context.Context, data []byte, p face.Params) (*result.Result, error) {
	c.mu.Lock()
	c.inFlight++
	c.hi = max(c.hi, c.inFlight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	return c.Encoder.Encode(ctx, data, p)
}

func (c *countingEncoder) maxInFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hi
}
