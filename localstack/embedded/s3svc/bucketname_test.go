package s3svc

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestCreateBucketRefusesReservedNames: S3 refuses the prefixes and
// suffixes its naming rules reserve (as well as the rules gofakes3 already
// checks) with InvalidBucketName; names that merely contain them are fine.
func TestCreateBucketRefusesReservedNames(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{
		"xn--abc", "sthree-x", "sthree-configurator-x", "amzn-s3-demo-bucket",
		"photos-s3alias", "photos--ol-s3", "photos.mrap", "photos--x-s3", "photos--table-s3",
		// Rules gofakes3 already enforces; kept so a regression shows.
		"ab", "Photos", "a..b", "192.168.5.4", "-photos",
	} {
		// Unsigned, as the SDK would treat "--x-s3" as a directory bucket
		// and ask for a session first.
		status, body := rawRequest(t, http.MethodPut, h.url+"/"+name, "")
		if status != http.StatusBadRequest || !strings.Contains(body, "<Code>InvalidBucketName</Code>") {
			t.Errorf("CreateBucket %q: %d %.200s, want 400 InvalidBucketName", name, status, body)
		}
	}
	for _, name := range []string{"photos-xn--a", "my-sthree-x", "s3alias", "photos-mrap", "x-s3-photos", "abc.mrap1"} {
		if _, err := h.client.CreateBucket(ctxT(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("CreateBucket %q: %v, want it created", name, err)
		}
	}
}
