package s3svc

import (
	"net/http"
	"strconv"
	"strings"
)

// maxSinglePut is the most S3 takes in one PUT, of an object or of a part
// of a multipart upload: 5 GiB. Larger objects need multipart uploads.
const maxSinglePut = 5 << 30

// checkUploadSize refuses an object or part upload whose declared length
// is over maxSinglePut, as S3 does from the length alone, before the body
// is read. A copy (X-Amz-Copy-Source) has no body and is not checked here.
func checkUploadSize(r *http.Request, req request) *apiError {
	if r.Method != http.MethodPut || req.key == "" || r.Header.Get("X-Amz-Copy-Source") != "" {
		return nil
	}
	size := r.ContentLength
	if d := r.Header.Get("X-Amz-Decoded-Content-Length"); d != "" && strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		if n, err := strconv.ParseInt(d, 10, 64); err == nil {
			size = n
		}
	}
	if size <= maxSinglePut {
		return nil
	}
	return &apiError{status: http.StatusBadRequest, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size",
		ProposedSize: size, MaxSizeAllowed: maxSinglePut}
}
