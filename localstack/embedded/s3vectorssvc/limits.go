package s3vectorssvc

import (
	"fmt"
	"regexp"
)

// The service's documented limits (S3 User Guide, "Limitations and
// restrictions" of S3 Vectors; API reference of each operation).
const (
	MaxDimension         = 4096
	MaxKeyBytes          = 1024
	MaxPutVectors        = 500
	MaxDeleteVectors     = 500
	MaxGetVectors        = 100
	MaxTopK              = 100
	MaxListPage          = 1000
	MaxSegments          = 16
	MaxRequestBytes      = 20 << 20
	MaxMetadataBytes     = 40 << 10
	MaxFilterableBytes   = 2 << 10
	MaxMetadataKeys      = 50
	MaxNonFilterableKeys = 10
)

var (
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	indexNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// indexARNRE is arn:<partition>:s3vectors:<region>:<account>:bucket/<bucket>/index/<index>.
	indexARNRE  = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:\d{12}:bucket/([^/]+)/index/([^/]+)$`)
	bucketARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:\d{12}:bucket/([^/]+)$`)
)

func checkBucketName(name string) *apiError {
	if !bucketNameRE.MatchString(name) {
		return errValidation("Invalid vector bucket name %q: 3 to 63 characters, lower-case letters, numbers and hyphens, beginning and ending with a letter or number", name)
	}
	return nil
}

func checkIndexName(name string) *apiError {
	if !indexNameRE.MatchString(name) {
		return errValidation("Invalid index name %q: 3 to 63 characters, lower-case letters, numbers, hyphens and dots, beginning and ending with a letter or number", name)
	}
	return nil
}

func checkCount(what string, n, limit int) *apiError {
	if n < 1 || n > limit {
		return errValidation("%s: %d given, must be between 1 and %d", what, n, limit)
	}
	return nil
}

func checkKey(k string) *apiError {
	if len(k) < 1 || len(k) > MaxKeyBytes {
		return errValidation("Invalid vector key of %d bytes: a key has 1 to %d", len(k), MaxKeyBytes)
	}
	return nil
}

func (s *Service) bucketARN(bucket string) string {
	return fmt.Sprintf("arn:aws:s3vectors:%s:%s:bucket/%s", s.region, s.accountID, bucket)
}

func (s *Service) indexARN(bucket, index string) string {
	return s.bucketARN(bucket) + "/index/" + index
}
