package s3svc

import (
	"encoding/json"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestEncodeEventKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"plain/key.jpg", "plain/key.jpg"},
		{"a b.jpg", "a+b.jpg"},
		{"1+1=2", "1%2B1%3D2"},
		{"Zoë/日本.png", "Zo%C3%AB/%E6%97%A5%E6%9C%AC.png"},
		{"dt=2025-01-01/x:y", "dt%3D2025-01-01/x%3Ay"},
		{"(1)&[2]~#?%", "%281%29%26%5B2%5D%7E%23%3F%25"},
		{"keep-._*", "keep-._*"},
		{"", ""},
	}
	for _, tt := range tests {
		got := encodeEventKey(tt.key)
		if got != tt.want {
			t.Errorf("encodeEventKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
		// aws-lambda-go consumers decode with url.QueryUnescape.
		if back, err := url.QueryUnescape(got); err != nil || back != tt.key {
			t.Errorf("QueryUnescape(%q) = %q, %v; want %q", got, back, err, tt.key)
		}
	}
}

// TestEventJSON checks every field of a Put event as aws-lambda-go decodes it.
func TestEventJSON(t *testing.T) {
	h := newHarness(t, WithRegion("eu-central-1"), WithAccountID("123456789012"))
	const arn = "arn:aws:lambda:eu-central-1:123456789012:function:encode"
	const key = "people/a b/Zoë 1+1=2.jpg"
	const body = "not really a jpeg"
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("encode-jpegs", arn, []types.Event{"s3:ObjectCreated:*"}, rule("suffix", ".jpg")))

	before := time.Now().UTC().Truncate(time.Millisecond)
	out := h.put(t, "photos", key, body)
	after := time.Now().UTC()
	h.waitIdle(t)

	invs := h.inv.invocations()
	if len(invs) != 1 {
		t.Fatalf("%d invocations, want 1", len(invs))
	}
	if invs[0].arn != arn {
		t.Errorf("invoked %q, want %q", invs[0].arn, arn)
	}
	ev := h.inv.events(t)[0]
	reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	hostID, _ := s3.GetHostIDMetadata(out.ResultMetadata)

	checks := []struct {
		field     string
		got, want any
	}{
		{"eventVersion", ev.EventVersion, "2.1"},
		{"eventSource", ev.EventSource, "aws:s3"},
		{"awsRegion", ev.AWSRegion, "eu-central-1"},
		{"eventName", ev.EventName, "ObjectCreated:Put"},
		{"userIdentity.principalId", ev.PrincipalID.PrincipalID, "AWS:" + testAKID},
		{"requestParameters.sourceIPAddress", ev.RequestParameters.SourceIPAddress, "127.0.0.1"},
		{"responseElements.x-amz-request-id", ev.ResponseElements["x-amz-request-id"], reqID},
		{"responseElements.x-amz-id-2", ev.ResponseElements["x-amz-id-2"], hostID},
		{"s3.s3SchemaVersion", ev.S3.SchemaVersion, "1.0"},
		{"s3.configurationId", ev.S3.ConfigurationID, "encode-jpegs"},
		{"s3.bucket.name", ev.S3.Bucket.Name, "photos"},
		{"s3.bucket.ownerIdentity.principalId", ev.S3.Bucket.OwnerIdentity.PrincipalID, "123456789012"},
		{"s3.bucket.arn", ev.S3.Bucket.Arn, "arn:aws:s3:::photos"},
		{"s3.object.key", ev.S3.Object.Key, "people/a+b/Zo%C3%AB+1%2B1%3D2.jpg"},
		{"s3.object.urlDecodedKey", ev.S3.Object.URLDecodedKey, key},
		{"s3.object.size", ev.S3.Object.Size, int64(len(body))},
		{"s3.object.eTag", ev.S3.Object.ETag, strings.Trim(aws.ToString(out.ETag), `"`)},
		{"s3.object.versionId", ev.S3.Object.VersionID, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
	if reqID == "" || hostID == "" {
		t.Errorf("response had no request IDs (%q, %q)", reqID, hostID)
	}
	if ev.EventTime.Before(before) || ev.EventTime.After(after) {
		t.Errorf("eventTime %v not within the request [%v, %v]", ev.EventTime, before, after)
	}
	if !regexp.MustCompile(`^[0-9A-F]{18}$`).MatchString(ev.S3.Object.Sequencer) {
		t.Errorf("sequencer = %q, want 18 upper-case hex digits", ev.S3.Object.Sequencer)
	}

	// The raw JSON: time with milliseconds and Z, no versionId for an
	// unversioned bucket, no fields aws-lambda-go derives itself.
	var raw struct {
		Records []struct {
			EventTime string `json:"eventTime"`
			S3        struct {
				Object map[string]json.RawMessage `json:"object"`
			} `json:"s3"`
		}
	}
	if err := json.Unmarshal(invs[0].payload, &raw); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(raw.Records[0].EventTime) {
		t.Errorf("eventTime %q is not RFC 3339 with milliseconds", raw.Records[0].EventTime)
	}
	var fields []string
	for k := range raw.Records[0].S3.Object {
		fields = append(fields, k)
	}
	if len(fields) != 4 {
		t.Errorf("object fields = %v, want key, size, eTag, sequencer", fields)
	}
}

func TestEventVersionID(t *testing.T) {
	h := newHarness(t)
	ctx := ctxT(t)
	h.mkBucket(t, "versioned")
	if _, err := h.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String("versioned"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	h.notify(t, "versioned", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	out := h.put(t, "versioned", "k", "v1")
	h.waitIdle(t)
	evs := h.inv.events(t)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	if v := aws.ToString(out.VersionId); v == "" || evs[0].S3.Object.VersionID != v {
		t.Fatalf("versionId = %q, want the PutObject version %q", evs[0].S3.Object.VersionID, v)
	}
}

func TestSequencerIncreases(t *testing.T) {
	h := newHarness(t)
	h.mkBucket(t, "photos")
	h.notify(t, "photos", lambdaConfig("all", testARN, []types.Event{"s3:ObjectCreated:*"}))
	for i := range 5 {
		h.put(t, "photos", "same-key", strings.Repeat("x", i))
	}
	h.waitIdle(t)
	evs := h.inv.events(t)
	if len(evs) != 5 {
		t.Fatalf("%d events, want 5", len(evs))
	}
	prev := new(big.Int)
	prevStr := ""
	for i, ev := range evs {
		n, ok := new(big.Int).SetString(ev.S3.Object.Sequencer, 16)
		if !ok {
			t.Fatalf("sequencer %q is not hex", ev.S3.Object.Sequencer)
		}
		if i > 0 && (n.Cmp(prev) <= 0 || ev.S3.Object.Sequencer <= prevStr) {
			t.Fatalf("sequencer %s does not follow %s", ev.S3.Object.Sequencer, prevStr)
		}
		prev, prevStr = n, ev.S3.Object.Sequencer
	}
}
