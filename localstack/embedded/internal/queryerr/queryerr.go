// Package queryerr writes errors in the AWS query protocol's shape
// (<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>),
// which the SDKs and the CLI of query services (CloudFormation, STS, ...)
// decode into the error code and message.
package queryerr

import (
	"encoding/xml"
	"net/http"
)

// Write answers status with the error; xmlns is the service's namespace.
// Type is "Sender" for 4xx and "Receiver" for 5xx, as AWS answers.
func Write(w http.ResponseWriter, xmlns, requestID string, status int, code, message string) {
	type errorBody struct{ Type, Code, Message string }
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestId string
	}{Xmlns: xmlns, Error: errorBody{Type: typ, Code: code, Message: message}, RequestId: requestID})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
