package s3svc

import (
	"strings"

	"github.com/rclone/gofakes3"
)

// S3's general purpose bucket naming rules reserve these prefixes and
// suffixes (AWS's "General purpose bucket naming rules": IDN names, S3's
// own configurator buckets, documentation examples, access point and
// Object Lambda aliases, Multi-Region Access Points, directory buckets and
// table buckets). gofakes3 checks length, characters, labels and IP
// addresses but not these.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// checkReservedBucketName refuses a name S3 reserves, with S3's
// InvalidBucketName.
func checkReservedBucketName(name string) error {
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return gofakes3.ErrorMessage(gofakes3.ErrInvalidBucketName, "Bucket names must not start with the prefix "+p+".")
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return gofakes3.ErrorMessage(gofakes3.ErrInvalidBucketName, "Bucket names must not end with the suffix "+s+".")
		}
	}
	return nil
}
