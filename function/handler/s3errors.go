package handler

import (
	"errors"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/facevec/facevec/result"
)

// classify maps an S3 error to the result code it gets and whether a retry
// of the invocation could succeed. The SDK has already retried throttling
// and 5xx answers by the time an error gets here; it stays retryable so that
// Lambda's own, slower retries get a chance.
func classify(err error) (code result.Code, retryable bool) {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "NoSuchVersion":
			return result.CodeNotFound, false
		case "AccessDenied", "Forbidden", "AllAccessDisabled", "InvalidObjectState":
			// InvalidObjectState: an archived (Glacier) object may not be
			// read until it is restored, which a retry will not do.
			return result.CodeAccessDenied, false
		case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
			"InternalError", "ServiceUnavailable":
			return result.CodeInternal, true
		}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		switch s := resp.HTTPStatusCode(); {
		case s == http.StatusNotFound:
			return result.CodeNotFound, false
		case s == http.StatusForbidden:
			return result.CodeAccessDenied, false
		case s == http.StatusTooManyRequests, s == http.StatusRequestTimeout, s >= 500:
			return result.CodeInternal, true
		default:
			// Other 4xx answers say the request itself is wrong; sending it
			// again changes nothing.
			return result.CodeInternal, false
		}
	}
	// No HTTP answer at all: a refused connection, a reset, a DNS failure,
	// a client-side timeout. All are worth another try.
	return result.CodeInternal, true
}

// isNotFound reports whether err is S3 saying the object does not exist.
func isNotFound(err error) bool {
	code, _ := classify(err)
	return code == result.CodeNotFound
}

// isConflict reports whether a conditional PutObject lost: 412
// PreconditionFailed (If-Match or If-None-Match did not hold) or 409
// ConditionalRequestConflict (another conditional write was in flight).
func isConflict(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		s := resp.HTTPStatusCode()
		return s == http.StatusPreconditionFailed || s == http.StatusConflict
	}
	return false
}
