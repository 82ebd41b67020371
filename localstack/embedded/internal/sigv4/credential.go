// Package sigv4 reads the credential scope of an AWS Signature Version 4
// request. It does not verify signatures: the embedded stack accepts any
// credentials, as LocalStack does, and only needs the scope to route a
// request (service) and to name its caller (access key ID).
package sigv4

import (
	"net/http"
	"strings"
)

// Credential is the scope of a SigV4 credential:
// AKID/20250101/us-east-1/s3/aws4_request.
type Credential struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
}

// FromRequest returns the credential of r, from the Authorization header or,
// for presigned URLs, the X-Amz-Credential query parameter. ok is false when
// the request is not SigV4-signed or the scope is malformed.
func FromRequest(r *http.Request) (c Credential, ok bool) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return fromAuthorization(auth)
	}
	if q := r.URL.Query().Get("X-Amz-Credential"); q != "" {
		return Parse(q)
	}
	return Credential{}, false
}

// fromAuthorization finds Credential=... in an Authorization header such as
// "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=...".
func fromAuthorization(auth string) (Credential, bool) {
	scheme, rest, found := strings.Cut(auth, " ")
	if !found || !strings.HasPrefix(scheme, "AWS4-") {
		return Credential{}, false
	}
	for _, field := range strings.Split(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(field), "=")
		if found && k == "Credential" {
			return Parse(v)
		}
	}
	return Credential{}, false
}

// Parse splits a credential scope "AKID/DATE/REGION/SERVICE/aws4_request".
// The access key ID is taken as everything before the last four fields, so
// it may itself contain '/'.
func Parse(scope string) (Credential, bool) {
	parts := strings.Split(scope, "/")
	n := len(parts)
	if n < 5 || parts[n-1] != "aws4_request" {
		return Credential{}, false
	}
	c := Credential{
		AccessKeyID: strings.Join(parts[:n-4], "/"),
		Date:        parts[n-4],
		Region:      parts[n-3],
		Service:     parts[n-2],
	}
	if c.AccessKeyID == "" || c.Service == "" {
		return Credential{}, false
	}
	return c, true
}
