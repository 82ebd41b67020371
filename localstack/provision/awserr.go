package provision

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// apiCode is the AWS error code of err ("" when err is not an API error).
// Codes are compared as strings rather than with the typed exceptions
// because emulators do not always send the modelled shape, and HeadBucket
// has no body at all.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus is the HTTP status of a failed AWS call, 0 if unknown.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func isCode(err error, codes ...string) bool {
	c := apiCode(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// isNotFound covers Lambda's ResourceNotFoundException and S3's NoSuchBucket
// / bodiless 404s.
func isNotFound(err error) bool {
	return isCode(err, "ResourceNotFoundException", "NoSuchBucket", "NotFound") ||
		(err != nil && httpStatus(err) == http.StatusNotFound)
}
