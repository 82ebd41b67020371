package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objectCreated is the event the function handles; objectRemoved too when
// it keeps a vector index.
const (
	objectCreated = types.Event("s3:ObjectCreated:*")
	objectRemoved = types.Event("s3:ObjectRemoved:*")
)

// configPrefix starts the Id of every notification configuration Apply
// owns for a function, so Apply and Destroy can tell them from configurations
// someone else put on the bucket (which are kept).
func configPrefix(function string) string { return "facevec-" + function + "-" }

// configID names the configuration of one suffix. The readable part keeps
// the suffix's letters; the hash keeps ".jpg" and ".JPG" apart even if a
// backend compared Ids without regard to case.
func configID(function, suffix string) string {
	sum := sha256.Sum256([]byte(suffix))
	readable := idUnsafe.ReplaceAllString(strings.TrimPrefix(suffix, "."), "_")
	return configPrefix(function) + readable + "-" + hex.EncodeToString(sum[:4])
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// desiredConfigs is one Lambda configuration per suffix: a filter holds at
// most one suffix rule, so N suffixes need N configurations.
func desiredConfigs(spec Spec, functionARN string) []types.LambdaFunctionConfiguration {
	out := make([]types.LambdaFunctionConfiguration, 0, len(spec.Suffixes))
	events := []types.Event{objectCreated}
	if spec.VectorIndex != "" {
		events = append(events, objectRemoved)
	}
	for _, sfx := range spec.Suffixes {
		out = append(out, types.LambdaFunctionConfiguration{
			Id:                aws.String(configID(spec.FunctionName, sfx)),
			LambdaFunctionArn: aws.String(functionARN),
			Events:            events,
			Filter: &types.NotificationConfigurationFilter{Key: &types.S3KeyFilter{
				FilterRules: []types.FilterRule{{Name: types.FilterRuleNameSuffix, Value: aws.String(sfx)}},
			}},
		})
	}
	return out
}

// owned reports whether c belongs to this deployment: by Id, or because it
// targets the function (left over from a spec with other suffixes).
func owned(c types.LambdaFunctionConfiguration, function, functionARN string) bool {
	return strings.HasPrefix(aws.ToString(c.Id), configPrefix(function)) ||
		(functionARN != "" && aws.ToString(c.LambdaFunctionArn) == functionARN)
}

// canonical renders a configuration for comparison. S3 echoes filter rule
// names capitalised ("Suffix") whatever was sent, so names are lower-cased.
func canonical(c types.LambdaFunctionConfiguration) string {
	events := make([]string, 0, len(c.Events))
	for _, e := range c.Events {
		events = append(events, string(e))
	}
	slices.Sort(events)
	var rules []string
	if c.Filter != nil && c.Filter.Key != nil {
		for _, r := range c.Filter.Key.FilterRules {
			rules = append(rules, strings.ToLower(string(r.Name))+"="+aws.ToString(r.Value))
		}
	}
	slices.Sort(rules)
	return aws.ToString(c.Id) + "|" + aws.ToString(c.LambdaFunctionArn) + "|" + strings.Join(events, ",") + "|" + strings.Join(rules, ",")
}

func sameConfigs(a, b []types.LambdaFunctionConfiguration) bool {
	ca := make([]string, 0, len(a))
	for _, c := range a {
		ca = append(ca, canonical(c))
	}
	cb := make([]string, 0, len(b))
	for _, c := range b {
		cb = append(cb, canonical(c))
	}
	slices.Sort(ca)
	slices.Sort(cb)
	return slices.Equal(ca, cb)
}

// reconcileNotifications replaces this deployment's Lambda configurations
// on bucket with want (nil: remove them), keeping every other configuration
// (queues, topics, EventBridge, other functions) as it is. changed is false
// when the bucket already had exactly want.
func reconcileNotifications(ctx context.Context, s3c *s3.Client, bucket, function, functionARN string, want []types.LambdaFunctionConfiguration) (changed bool, err error) {
	got, err := s3c.GetBucketNotificationConfiguration(ctx, &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		return false, fmt.Errorf("get notification configuration of %s: %w", bucket, err)
	}
	var mine, others []types.LambdaFunctionConfiguration
	for _, c := range got.LambdaFunctionConfigurations {
		if owned(c, function, functionARN) {
			mine = append(mine, c)
		} else {
			others = append(others, c)
		}
	}
	if sameConfigs(mine, want) {
		return false, nil
	}
	conf := &types.NotificationConfiguration{
		LambdaFunctionConfigurations: append(others, want...),
		QueueConfigurations:          got.QueueConfigurations,
		TopicConfigurations:          got.TopicConfigurations,
		EventBridgeConfiguration:     got.EventBridgeConfiguration,
	}
	if err := putNotifications(ctx, s3c, bucket, conf); err != nil {
		return false, err
	}
	return true, nil
}

// putNotifications writes the configuration. S3 test-invokes every
// destination while validating it; right after AddPermission on real AWS
// that can fail for a few seconds ("Unable to validate the following
// destination configurations"), so that one error is retried.
func putNotifications(ctx context.Context, s3c *s3.Client, bucket string, conf *types.NotificationConfiguration) error {
	delay := time.Second
	for attempt := 0; ; attempt++ {
		_, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
			Bucket:                    aws.String(bucket),
			NotificationConfiguration: conf,
		})
		if err == nil {
			return nil
		}
		if attempt >= 6 || !isCode(err, "InvalidArgument") || !strings.Contains(err.Error(), "Unable to validate") {
			return fmt.Errorf("put notification configuration of %s: %w", bucket, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("put notification configuration of %s: %w", bucket, err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 8*time.Second)
	}
}
