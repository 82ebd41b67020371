package handler_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/function/handler"
	"github.com/facevec/facevec/result"
)

// TestPayloadDecodedRecordByRecord: a record whose key is not valid URL
// encoding, or that is not a record at all, gets its own error naming it;
// the other records of the event are still processed. (aws-lambda-go's
// events.S3Event fails the whole event on "%zz", naming nothing.)
func TestPayloadDecodedRecordByRecord(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	good := st.upload(t, "faces-in", "good one.jpg", testImage(t, "one"))
	badKey := eventFor("ObjectCreated:Put", "faces-in", "x", "", 1)
	badKey.S3.Object.Key = "%zz.jpg"
	goodJSON, _ := json.Marshal(good)
	badJSON, _ := json.Marshal(badKey)
	payload := `{"Records":[` + string(badJSON) + `,` + string(goodJSON) + `,7]}`

	var probe struct{ Records []json.RawMessage }
	if err := json.Unmarshal([]byte(payload), &probe); err != nil || len(probe.Records) != 3 {
		t.Fatalf("test payload: %v", err)
	}
	resp, err := h.HandlePayload(ctxT(t), json.RawMessage(payload))
	if err != nil {
		t.Fatalf("HandlePayload: %v", err)
	}
	if len(resp.Results) != 3 {
		t.Fatalf("%d summaries, want one per record: %+v", len(resp.Results), resp.Results)
	}
	byKey := map[string]handler.Summary{}
	for _, s := range resp.Results {
		byKey[s.Key] = s
	}
	if s := byKey["good one.jpg"]; s.Error != nil || s.Faces != 1 {
		t.Errorf("the good record: %+v, want 1 face", s)
	}
	if s := byKey["%zz.jpg"]; codeOf(s) != result.CodeInternal || s.Bucket != "faces-in" || !strings.Contains(s.Message, "%zz.jpg") {
		t.Errorf("the bad key: %+v, want an error naming bucket and key", s)
	}
	if s := byKey["(record 2)"]; codeOf(s) != result.CodeInternal || !strings.Contains(s.Message, "record 2") {
		t.Errorf("the non-record: %+v, want an error naming its index", s)
	}
	if len(resp.Failed) != 2 {
		t.Errorf("failed = %q, want the two bad records", resp.Failed)
	}
	if _, err := h.HandlePayload(ctxT(t), json.RawMessage(`[1,2]`)); err == nil {
		t.Error("a payload that is not an event was accepted")
	}
}

// TestStoredResultKeepsDecoderWarnings: a JPEG libjpeg decoded around
// damage says so in its stored result, so it does not read like a clean
// photo.
func TestStoredResultKeepsDecoderWarnings(t *testing.T) {
	st := newStack(t, "faces-in")
	h, _ := newHandler(t, st, handler.DefaultConfig())
	sloppy, err := fixtures.SloppyJPEG(testImage(t, "one"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(ctxT(t), event(st.upload(t, "faces-in", "sloppy.jpg", sloppy))); err != nil {
		t.Fatal(err)
	}
	res, _ := st.result(t, "faces-in", "encodings/faces-in/sloppy.jpg.json")
	if len(res.Image.DecoderWarnings) != 1 || !strings.Contains(res.Image.DecoderWarnings[0], fixtures.SloppyJPEGWarning) {
		t.Errorf("stored decoder_warnings %q, want libjpeg's %q", res.Image.DecoderWarnings, fixtures.SloppyJPEGWarning)
	}
}

// TestTwoInputBucketsOneOutput: the same key in two input buckets wired to
// one output bucket gives two results, neither overwriting the other; an
// event naming a bucket that does not exist leaves a good result alone.
func TestTwoInputBucketsOneOutput(t *testing.T) {
	st := newStack(t, "in-a", "in-b", "faces-out")
	cfg := handler.DefaultConfig()
	cfg.OutputBucket = "faces-out"
	h, _ := newHandler(t, st, cfg)
	a := st.upload(t, "in-a", "same.jpg", testImage(t, "one"))
	b := st.upload(t, "in-b", "same.jpg", testImage(t, "group"))
	ghost := eventFor("ObjectCreated:Put", "no-such-bucket", "same.jpg", a.S3.Object.ETag, 1)
	if _, err := h.Handle(ctxT(t), event(a, b, ghost)); err != nil {
		t.Fatal(err)
	}
	for bucket, faces := range map[string]int{"in-a": 1, "in-b": 4} {
		res, _ := st.result(t, "faces-out", "encodings/"+bucket+"/same.jpg.json")
		if res.Source.Bucket != bucket || len(res.Faces) != faces || res.Error != nil {
			t.Errorf("result of %s: source %s, %d faces, error %+v; want %d faces", bucket, res.Source.Bucket, len(res.Faces), res.Error, faces)
		}
	}
}
