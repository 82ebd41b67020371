package provision

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestConfigIDs(t *testing.T) {
	seen := map[string]string{}
	for _, sfx := range append(DefaultSuffixes, ".jpg.bak", "-x y") {
		id := configID("facevec", sfx)
		if !strings.HasPrefix(id, configPrefix("facevec")) {
			t.Errorf("configID(%q) = %q lacks the prefix", sfx, id)
		}
		low := strings.ToLower(id)
		if prev, dup := seen[low]; dup {
			t.Errorf("configID(%q) = configID(%q) ignoring case: %q", sfx, prev, id)
		}
		seen[low] = sfx
		if id != configID("facevec", sfx) {
			t.Errorf("configID(%q) is not stable", sfx)
		}
	}
}

func TestSameConfigsIgnoresEchoedRuleCaseAndOrder(t *testing.T) {
	spec := Spec{FunctionName: "f", Suffixes: []string{".jpg", ".JPG"}}
	want := desiredConfigs(spec, "arn:aws:lambda:us-east-1:000000000000:function:f")
	// What S3 sends back: "Suffix" capitalised, reverse order.
	echo := []types.LambdaFunctionConfiguration{want[1], want[0]}
	for i := range echo {
		c := echo[i]
		c.Filter = &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
			{Name: "Suffix", Value: c.Filter.Key.FilterRules[0].Value},
		}}}
		echo[i] = c
	}
	if !sameConfigs(echo, want) {
		t.Error("echoed configuration not recognised as the same")
	}
	changed := append([]types.LambdaFunctionConfiguration(nil), echo...)
	changed[0].Events = []types.Event{"s3:ObjectCreated:Put"}
	if sameConfigs(changed, want) {
		t.Error("different events compared equal")
	}
	if sameConfigs(echo[:1], want) {
		t.Error("missing configuration compared equal")
	}
	other := desiredConfigs(Spec{FunctionName: "f", Suffixes: []string{".jpg", ".JPG"}}, "arn:aws:lambda:us-east-1:000000000000:function:g")
	if sameConfigs(other, want) {
		t.Error("configurations for another function compared equal")
	}
}

func TestOwned(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	tests := []struct {
		c    types.LambdaFunctionConfiguration
		arn  string
		want bool
	}{
		{types.LambdaFunctionConfiguration{Id: aws.String(configID("f", ".jpg"))}, "", true},
		{types.LambdaFunctionConfiguration{Id: aws.String("hand-made"), LambdaFunctionArn: aws.String(arn)}, arn, true},
		{types.LambdaFunctionConfiguration{Id: aws.String("hand-made"), LambdaFunctionArn: aws.String(arn)}, "", false},
		{types.LambdaFunctionConfiguration{Id: aws.String(configID("fx", ".jpg"))}, arn, false},
		{types.LambdaFunctionConfiguration{Id: aws.String("other"), LambdaFunctionArn: aws.String(arn + "x")}, arn, false},
	}
	for i, tt := range tests {
		if got := owned(tt.c, "f", tt.arn); got != tt.want {
			t.Errorf("%d: owned = %v, want %v", i, got, tt.want)
		}
	}
}

func TestPermissionNames(t *testing.T) {
	if got := statementID("faces.in-2"); got != "facevec-s3-faces_in-2" {
		t.Errorf("statementID = %q", got)
	}
	if got := bucketARN("arn:aws-cn:lambda:cn-north-1:123456789012:function:f", "b"); got != "arn:aws-cn:s3:::b" {
		t.Errorf("bucketARN = %q", got)
	}
	if got := bucketARN("garbage", "b"); got != "arn:aws:s3:::b" {
		t.Errorf("bucketARN = %q", got)
	}
}
