package s3svc

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// ErrNotFound is wrapped by ReadObject when the bucket or key does not exist.
var ErrNotFound = errors.New("no such bucket or key")

// apiError is an S3 error response for the requests this package answers
// itself (gofakes3 answers the rest).
type apiError struct {
	status        int
	Code          string
	Message       string
	BucketName    string
	ArgumentName  string
	ArgumentValue string
	// For EntityTooLarge.
	ProposedSize, MaxSizeAllowed int64
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errNoSuchBucket(bucket string) *apiError {
	return &apiError{status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist", BucketName: bucket}
}

func errMalformedXML(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "MalformedXML",
		Message: "The XML you provided was not well-formed or did not validate against our published schema: " + detail}
}

func errInvalidArgument(message, name, value string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "InvalidArgument", Message: message, ArgumentName: name, ArgumentValue: value}
}

func errNotImplemented(message string) *apiError {
	return &apiError{status: http.StatusNotImplemented, Code: "NotImplemented", Message: message}
}

func errMethodNotAllowed() *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "The specified method is not allowed against this resource."}
}

func errSlowDown() *apiError {
	return &apiError{status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."}
}

type errorXML struct {
	XMLName        xml.Name `xml:"Error"`
	Code           string
	Message        string
	BucketName     string `xml:",omitempty"`
	ArgumentName   string `xml:",omitempty"`
	ArgumentValue  string `xml:",omitempty"`
	ProposedSize   int64  `xml:",omitempty"`
	MaxSizeAllowed int64  `xml:",omitempty"`
	RequestID      string `xml:"RequestId"`
	HostID         string `xml:"HostId"`
}

// writeError writes e as S3 does: XML body (none for HEAD) and the request
// IDs that writeIDs set.
func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	h := w.Header()
	if r.Method == http.MethodHead {
		w.WriteHeader(e.status)
		return
	}
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	body, err := xml.Marshal(errorXML{
		Code: e.Code, Message: e.Message, BucketName: e.BucketName,
		ArgumentName: e.ArgumentName, ArgumentValue: e.ArgumentValue,
		ProposedSize: e.ProposedSize, MaxSizeAllowed: e.MaxSizeAllowed,
		RequestID: h.Get("x-amz-request-id"), HostID: h.Get("x-amz-id-2"),
	})
	if err != nil { // cannot happen with string fields; keep the status anyway
		return
	}
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
