package s3svc

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
)

// op is what a request does, as far as notifications and faults care.
type op int

const (
	opOther op = iota
	opGetObject
	opPutObject
	opCopyObject
	opPostObject
	opCompleteMultipartUpload
	opNotification
	opDeleteObject
	opDeleteObjects
)

// eventName is the S3 event type a successful write of this kind emits.
func (o op) eventName() string {
	switch o {
	case opPutObject:
		return "s3:ObjectCreated:Put"
	case opCopyObject:
		return "s3:ObjectCreated:Copy"
	case opPostObject:
		return "s3:ObjectCreated:Post"
	case opCompleteMultipartUpload:
		return "s3:ObjectCreated:CompleteMultipartUpload"
	case opDeleteObject, opDeleteObjects:
		return "s3:ObjectRemoved:Delete"
	}
	return ""
}

// objectSubresources select an operation other than the plain object
// GET/PUT; a request naming one is neither GetObject nor PutObject.
var objectSubresources = []string{
	"acl", "attributes", "legal-hold", "partNumber", "restore", "retention",
	"select", "tagging", "torrent", "uploadId", "uploads",
}

type request struct {
	op          op
	bucket, key string
}

// classify parses a path-style S3 request the way gofakes3 routes it:
// /<bucket>/<key>, the key keeping any leading or trailing '/'.
func classify(r *http.Request) request {
	path := strings.TrimLeft(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	req := request{bucket: bucket, key: key}
	if bucket == "" {
		return req
	}
	q := r.URL.Query()
	if key == "" {
		if _, ok := q["notification"]; ok {
			req.op = opNotification
		} else if _, ok := q["delete"]; ok && r.Method == http.MethodPost {
			req.op = opDeleteObjects
		} else if r.Method == http.MethodPost && len(q) == 0 {
			req.op = opPostObject
		}
		return req
	}
	if r.Method == http.MethodPost {
		if q.Get("uploadId") != "" {
			req.op = opCompleteMultipartUpload
		}
		return req
	}
	for _, sub := range objectSubresources {
		if _, ok := q[sub]; ok {
			return req
		}
	}
	switch r.Method {
	case http.MethodGet:
		req.op = opGetObject
	case http.MethodDelete:
		req.op = opDeleteObject
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			req.op = opCopyObject
		} else {
			req.op = opPutObject
		}
	}
	return req
}

// setRequestIDs gives a response this package writes itself the same
// x-amz-request-id / x-amz-id-2 pair S3 (and gofakes3) sends.
func setRequestIDs(w http.ResponseWriter) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := strings.ToUpper(hex.EncodeToString(b[:]))
	w.Header().Set("x-amz-request-id", id)
	w.Header().Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(id+id+id+id)))
}
