package stssvc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"

	"github.com/facevec/facevec/localstack/embedded/internal/queryerr"
)

// xmlns is the namespace of STS answers.
const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxRequestBytes bounds a request body; GetCallerIdentity has no input.
const maxRequestBytes = 64 << 10

// Service answers STS calls for one account.
type Service struct{ account string }

// New makes the service for account.
func New(account string) *Service { return &Service{account: account} }

type metadata struct{ RequestId string }

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := requestID()
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := r.ParseForm(); err != nil {
		queryerr.Write(w, xmlns, reqID, http.StatusBadRequest, "InvalidInput", "cannot read the request: "+err.Error())
		return
	}
	if action := r.Form.Get("Action"); action != "GetCallerIdentity" {
		queryerr.Write(w, xmlns, reqID, http.StatusBadRequest, "InvalidAction",
			"Could not find operation "+action+" for version 2011-06-15 (the stand-in serves GetCallerIdentity only)")
		return
	}
	type result struct {
		Arn, UserId, Account string
	}
	body, _ := xml.Marshal(struct {
		XMLName  xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns    string   `xml:"xmlns,attr"`
		Result   result   `xml:"GetCallerIdentityResult"`
		Metadata metadata `xml:"ResponseMetadata"`
	}{Xmlns: xmlns, Result: result{Arn: "arn:aws:iam::" + s.account + ":root", UserId: s.account, Account: s.account},
		Metadata: metadata{RequestId: reqID}})
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(body)
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
