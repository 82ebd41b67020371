// Package defaults is the one place the embedded stand-in's account and
// region facts live, shared by its S3 and Lambda services.
package defaults

import "regexp"

const (
	// Region is the region when none is configured (LocalStack's too).
	Region = "us-east-1"
	// AccountID is the account every emulated ARN names (LocalStack's too).
	AccountID = "000000000000"
)

var (
	// RegionPattern accepts AWS region names: us-east-1, ap-southeast-5,
	// us-gov-west-1, and a multi-digit suffix should AWS ever need one.
	RegionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// AccountPattern accepts a 12-digit account id.
	AccountPattern = regexp.MustCompile(`^\d{12}$`)
)
