package handler

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/facevec/facevec/result"
)

func TestMargin(t *testing.T) {
	tests := []struct {
		remaining, want time.Duration
	}{
		{0, time.Second},
		{500 * time.Millisecond, time.Second},
		{3 * time.Second, time.Second},
		{20 * time.Second, time.Second},
		{60 * time.Second, 3 * time.Second},
		{15 * time.Minute, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := margin(tt.remaining, DefaultMinMargin, DefaultMarginFraction); got != tt.want {
			t.Errorf("margin(%v) = %v, want %v", tt.remaining, got, tt.want)
		}
	}
}

// sdkError builds an error shaped like the SDK's for an HTTP answer.
func sdkError(status int, code string) error {
	resp := &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "m"},
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "GetObject",
		Err: &awshttp.ResponseError{ResponseError: resp, RequestID: "r"}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  result.Code
		retry bool
	}{
		{"no such key", sdkError(404, "NoSuchKey"), result.CodeNotFound, false},
		{"head 404", sdkError(404, "NotFound"), result.CodeNotFound, false},
		{"no such bucket", sdkError(404, "NoSuchBucket"), result.CodeNotFound, false},
		{"access denied", sdkError(403, "AccessDenied"), result.CodeAccessDenied, false},
		{"head 403", sdkError(403, "Forbidden"), result.CodeAccessDenied, false},
		{"glacier", sdkError(403, "InvalidObjectState"), result.CodeAccessDenied, false},
		{"slow down", sdkError(503, "SlowDown"), result.CodeInternal, true},
		{"internal", sdkError(500, "InternalError"), result.CodeInternal, true},
		{"bad gateway without code", sdkError(502, ""), result.CodeInternal, true},
		{"throttled 429", sdkError(429, "TooManyRequests"), result.CodeInternal, true},
		{"bad request", sdkError(400, "InvalidRequest"), result.CodeInternal, false},
		{"range", sdkError(416, "InvalidRange"), result.CodeInternal, false},
		{"connection refused", fmt.Errorf("get: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), result.CodeInternal, true},
	}
	for _, tt := range tests {
		code, retry := classify(tt.err)
		if code != tt.code || retry != tt.retry {
			t.Errorf("%s: classify = %s, %v; want %s, %v", tt.name, code, retry, tt.code, tt.retry)
		}
	}
}

func TestPreviousCovers(t *testing.T) {
	const set = "s1"
	done := func(code result.Code) previous {
		return previous{found: true, etag: "e", code: code, settings: set}
	}
	tests := []struct {
		p        previous
		etag     string
		settings string
		want     bool
	}{
		{previous{}, "e", set, false},
		{done(""), "e", set, true},
		{done(""), "f", set, false},
		{done(""), "", set, false},
		{done(""), "e", "s2", false},                        // other settings: DETECTOR=cnn after hog
		{previous{found: true, etag: "e"}, "e", set, false}, // no settings recorded (older result)
		{done(result.CodeDecodeFailed), "e", set, true},
		{done(result.CodeUnsupportedFormat), "e", set, true},
		{done(result.CodeTooLarge), "e", set, true},
		{done(result.CodeTooLarge), "e", "s2", false}, // MAX_OBJECT_BYTES raised
		{done(result.CodeNotFound), "e", set, false},  // deleted, then uploaded again
		{done(result.CodeAccessDenied), "e", set, false},
		{done(result.CodeTimeout), "e", set, false},
		{done(result.CodeInternal), "e", set, false},
	}
	for _, tt := range tests {
		if got := tt.p.covers(tt.etag, tt.settings); got != tt.want {
			t.Errorf("%+v.covers(%q, %q) = %v, want %v", tt.p, tt.etag, tt.settings, got, tt.want)
		}
	}
}

func TestTrimETag(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", "abc": "abc", `"`: `"`, "": "", `"a-3"`: "a-3"} {
		if got := trimETag(in); got != want {
			t.Errorf("trimETag(%q) = %q, want %q", in, got, want)
		}
	}
}
