//go:build e2e

package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// maxObjectBytes is the MAX_OBJECT_BYTES the bad-input deployment runs
// with: above every fixture used here but formats/hopper.tiff (160 kB).
const maxObjectBytes = 120_000

// badInputCase is one upload and the result it must get.
type badInputCase struct {
	name string
	key  string
	data func(t *testing.T) []byte
	// code is the expected error code; "" means a good result.
	code result.Code
	// reason must appear in the error message (which must also name the
	// object); for good results, faces is the number of faces.
	reason string
	faces  int
	check  func(t *testing.T, r *result.Result)
}

// TestBadInput uploads broken, hostile and unusual objects through the
// whole pipeline (S3 upload → notification → function process → result
// object) and checks that each gets exactly one result with the right
// code and a message a person can act on, that no function process
// crashed, and that Lambda gave up on no event.
func TestBadInput(t *testing.T) {
	st := newStack(t, stackConfig{spec: provision.Spec{
		Env: map[string]string{"MAX_OBJECT_BYTES": "120000"},
		// PDF (and, in older specs, HEIC) is not among the default trigger
		// suffixes; it is added so that the function's answer to it is
		// tested rather than S3's silence.
		Suffixes: withSuffixes(".heic", ".pdf"),
	}})
	fix := func(rel string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return fixture(t, rel) }
	}
	cases := []badInputCase{
		{name: "zero bytes", key: "bad/empty.jpg", data: func(*testing.T) []byte { return nil },
			code: result.CodeDecodeFailed, reason: "empty"},
		{name: "truncated JPEG", key: "bad/truncated.jpg", data: fix("bad/truncated.jpg"),
			code: result.CodeDecodeFailed, reason: "truncated"},
		{name: "corrupt JPEG scan (stray marker)", key: "bad/stray marker.jpg", data: strayMarkerJPEG,
			code: result.CodeDecodeFailed, reason: "JPEG"},
		{name: "JPEG with stray bytes in its header", key: "sloppy/stray bytes.jpg", data: sloppyJPEG, faces: 1,
			check: func(t *testing.T, r *result.Result) { wantImage(t, r, "jpeg", 512, 600, 1) }},
		{name: "text named .jpg", key: "bad/not an image.jpg", data: fix("bad/not an image.jpg"),
			code: result.CodeUnsupportedFormat, reason: "text"},
		{name: "PDF", key: "bad/document.pdf", data: fix("bad/document.pdf"),
			code: result.CodeUnsupportedFormat, reason: "PDF"},
		{name: "50000x50000 PNG header", key: "bad/huge dimensions.png", data: fix("bad/huge dimensions.png"),
			code: result.CodeTooLarge, reason: "50000x50000"},
		{name: "HEIC", key: "bad/fake.heic", data: fix("bad/fake.heic"),
			code: result.CodeUnsupportedFormat, reason: "HEIC"},
		{name: "over MAX_OBJECT_BYTES", key: "big/hopper.tiff", data: fix("formats/hopper.tiff"),
			code: result.CodeTooLarge, reason: "MAX_OBJECT_BYTES"},
		{name: "16-bit PNG", key: "formats/hopper-16bit.png", data: fix("formats/hopper-16bit.png"), faces: 1,
			check: func(t *testing.T, r *result.Result) { wantImage(t, r, "png", 200, 200, 1) }},
		{name: "CMYK JPEG", key: "formats/hopper-cmyk.jpg", data: fix("formats/hopper-cmyk.jpg"), faces: 1,
			check: func(t *testing.T, r *result.Result) { wantImage(t, r, "jpeg", 200, 200, 1) }},
		{name: "animated GIF, face in the first frame only", key: "formats/animated.gif", data: animatedGIF, faces: 1,
			check: func(t *testing.T, r *result.Result) { wantImage(t, r, "gif", 200, 200, 1) }},
		{name: "60 kB EXIF block", key: "bad/oversized exif.jpg", data: fix("bad/oversized exif.jpg"), faces: 1,
			check: func(t *testing.T, r *result.Result) { wantImage(t, r, "jpeg", 180, 216, 6) }},
		{name: "key with spaces, unicode and URL-special characters", key: "people/ä ö/Grace Hopper 😀 (1) +&=%.jpg",
			data: fix("people/hopper-crop.jpg"), faces: 1},
	}

	// Every upload at once, as a user's batch would arrive.
	ctx := ctxFor(t, 2*time.Minute)
	etags := make([]string, len(cases))
	datas := make([][]byte, len(cases))
	var wg sync.WaitGroup
	errs := make([]error, len(cases))
	for i, c := range cases {
		datas[i] = c.data(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			etags[i], errs[i] = st.put(ctx, c.key, datas[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// The object deleted between the notification and the read: the
	// function's GetObject is held back until the test has deleted it.
	const vanishing = "deleted/vanishing.jpg"
	deletedReason := "does not exist"
	if err := st.faults.Add(s3svc.Fault{Op: s3svc.OpGetObject, Bucket: inBucket, KeyPrefix: vanishing, Times: 1, Delay: 3 * time.Second}); err != nil {
		t.Fatal(err)
	}
	before := st.faults.Injected()
	if _, err := st.put(ctx, vanishing, fixture(t, "people/hopper-crop.jpg")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "the function's GetObject of "+vanishing, func() bool { return st.faults.Injected() > before })
	if _, err := st.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(inBucket), Key: aws.String(vanishing)}); err != nil {
		t.Fatalf("delete %s: %v", vanishing, err)
	}

	st.settle(t)
	st.noDeadLetters(t)
	logs := st.functionLogs()
	assertNoCrash(t, logs)
	assertJSONLogs(t, logs)
	lines := parseLines(logs)
	written := writes(lines)
	// libjpeg's warning about the sloppy JPEG is in its JSON line, with the key.
	warned := false
	for _, l := range lines {
		if l.str("msg") == msgWritten && l.str("key") == "sloppy/stray bytes.jpg" {
			warned = strings.Contains(fmt.Sprint(l["decoder_warnings"]), fixtures.SloppyJPEGWarning)
		}
	}
	if !warned {
		t.Error("no \"result written\" line for sloppy/stray bytes.jpg with libjpeg's warning in decoder_warnings")
	}

	all := st.list(t, prefix)
	if want := len(cases) + 1; len(all) != want {
		t.Errorf("%d result objects, want %d (one per upload): %v", len(all), want, keysOf(all))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := st.result(t, c.key)
			if _, ok := all[resultKey(c.key)]; !ok {
				t.Errorf("result %q missing from the listing", resultKey(c.key))
			}
			if n := written[c.key]; n != 1 {
				t.Errorf("function logged %d result writes for %q, want exactly 1", n, c.key)
			}
			if r.Source.Bucket != inBucket || r.Source.Key != c.key || r.Source.ETag != etags[i] || r.Source.Size != int64(len(datas[i])) {
				t.Errorf("source = %+v, want bucket %s key %q etag %s size %d", r.Source, inBucket, c.key, etags[i], len(datas[i]))
			}
			if c.code == "" {
				if r.Error != nil {
					t.Fatalf("error %s: %s, want a good result", r.Error.Code, r.Error.Message)
				}
				if len(r.Faces) != c.faces {
					t.Errorf("%d faces, want %d", len(r.Faces), c.faces)
				}
				for _, f := range r.Faces {
					if len(f.Descriptor) != result.DescriptorLen {
						t.Errorf("descriptor has %d values", len(f.Descriptor))
					}
				}
				if c.check != nil {
					c.check(t, r)
				}
				return
			}
			wantError(t, r, c.key, c.code, c.reason)
		})
	}
	t.Run("object deleted before the read", func(t *testing.T) {
		r := st.result(t, vanishing)
		wantError(t, r, vanishing, result.CodeNotFound, deletedReason)
		if n := written[vanishing]; n != 1 {
			t.Errorf("function logged %d result writes for %q, want exactly 1", n, vanishing)
		}
	})
	assertLogHygiene(t, "function logs", logs, []string{st.secret},
		[]string{"facevec must answer unsupported_format", "/Type /Catalog"})
	assertLogHygiene(t, "stack log", st.log.String(), []string{st.secret}, nil)
}

// wantError checks an error result: code, and a message that names the
// object (s3://bucket/key) and the reason.
func wantError(t *testing.T, r *result.Result, key string, code result.Code, reason string) {
	t.Helper()
	if r.Error == nil {
		t.Fatalf("no error, %d faces; want %s", len(r.Faces), code)
	}
	if r.Error.Code != code {
		t.Errorf("code %s, want %s (message %q)", r.Error.Code, code, r.Error.Message)
	}
	if where := "s3://" + inBucket + "/" + key; !strings.Contains(r.Error.Message, where) {
		t.Errorf("message %q does not name the object %s", r.Error.Message, where)
	}
	if !strings.Contains(strings.ToLower(r.Error.Message), strings.ToLower(reason)) {
		t.Errorf("message %q does not give the reason (%q)", r.Error.Message, reason)
	}
	t.Logf("%s: %s", r.Error.Code, r.Error.Message)
}

func wantImage(t *testing.T, r *result.Result, format string, w, h, orientation int) {
	t.Helper()
	if r.Image.Format != format || r.Image.Width != w || r.Image.Height != h || r.Image.EXIFOrientation != orientation {
		t.Errorf("image %+v, want %s %dx%d orientation %d", r.Image, format, w, h, orientation)
	}
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up after %v waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// withSuffixes is the default trigger suffixes plus extra ones they lack.
func withSuffixes(extra ...string) []string {
	out := slices.Clone(provision.DefaultSuffixes)
	for _, e := range extra {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
