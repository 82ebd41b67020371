package localstack

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// maxLogPages bounds how much FunctionLogs pulls from CloudWatch Logs.
const maxLogPages = 20

// filterLogEvents reads every event of a CloudWatch Logs group, one message
// a line, through the SDK's FilterLogEvents paginator. A token the service
// repeats ends the paging: on a live group it means "no more for now".
func filterLogEvents(ctx context.Context, cfg aws.Config, group string) (string, error) {
	p := cloudwatchlogs.NewFilterLogEventsPaginator(cloudwatchlogs.NewFromConfig(cfg),
		&cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)},
		func(o *cloudwatchlogs.FilterLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var out strings.Builder
	for page := 0; page < maxLogPages && p.HasMorePages(); page++ {
		resp, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("logs %s: %w", group, err)
		}
		for _, e := range resp.Events {
			msg := aws.ToString(e.Message)
			out.WriteString(msg)
			if !strings.HasSuffix(msg, "\n") {
				out.WriteByte('\n')
			}
		}
	}
	return out.String(), nil
}
