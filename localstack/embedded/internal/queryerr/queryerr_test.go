package queryerr

import (
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{400, `<ErrorResponse xmlns="urn:x"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>a &lt;b&gt;</Message></Error><RequestId>r1</RequestId></ErrorResponse>`},
		{500, `<ErrorResponse xmlns="urn:x"><Error><Type>Receiver</Type><Code>ValidationError</Code><Message>a &lt;b&gt;</Message></Error><RequestId>r1</RequestId></ErrorResponse>`},
	} {
		rr := httptest.NewRecorder()
		Write(rr, "urn:x", "r1", tc.status, "ValidationError", "a <b>")
		if rr.Code != tc.status || rr.Body.String() != tc.want || rr.Header().Get("Content-Type") != "text/xml" {
			t.Fatalf("%d: got %d %s", tc.status, rr.Code, rr.Body.String())
		}
	}
}
