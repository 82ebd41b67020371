package s3svc

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
)

// readBody reads a small XML request body, refusing oversized ones and
// checking Content-MD5 when sent.
func readBody(r *http.Request, limit int64) ([]byte, *apiError) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return nil, errNotImplemented("aws-chunked request bodies are only supported for object uploads")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{status: http.StatusBadRequest, Code: "MaxMessageLengthExceeded", Message: "Your request was too big."}
		}
		return nil, &apiError{status: http.StatusBadRequest, Code: "IncompleteBody", Message: "reading the request body: " + err.Error()}
	}
	if want := r.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		got, err := base64.StdEncoding.DecodeString(want)
		if err != nil || len(got) != md5.Size {
			return nil, &apiError{status: http.StatusBadRequest, Code: "InvalidDigest", Message: "The Content-MD5 you specified was invalid."}
		}
		if !bytes.Equal(got, sum[:]) {
			return nil, &apiError{status: http.StatusBadRequest, Code: "BadDigest", Message: "The Content-MD5 you specified did not match what we received."}
		}
	}
	return body, nil
}
