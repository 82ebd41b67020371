package deploy

import (
	"maps"
	"slices"
	"testing"
)

// The alarms of the platform team's list (issue #28): each dead-letter
// queue, the function's errors and throttles, and the ingest queue's
// oldest message, to the SNS topic AlarmTopicArn; none without it.
type alarmSpec struct {
	cond, namespace, metric, dimension, stat string
	dimValue, threshold                      any
}

var wantAlarms = map[string]alarmSpec{
	"FailedEventsAlarm":      {"Alarms", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "Maximum", getAtt(idQueue, "QueueName"), int64(1)},
	"IngestDeadLetterAlarm":  {"BufferedAlarms", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "Maximum", getAtt(idIngestDLQ, "QueueName"), int64(1)},
	"FunctionErrorsAlarm":    {"Alarms", "AWS/Lambda", "Errors", "FunctionName", "Sum", ref(idFunction), int64(1)},
	"FunctionThrottlesAlarm": {"Alarms", "AWS/Lambda", "Throttles", "FunctionName", "Sum", ref(idFunction), int64(1)},
	"IngestAgeAlarm":         {"BufferedAlarms", "AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "Maximum", getAtt(idIngestQueue, "QueueName"), ref("AlarmMaxMessageAgeSeconds")},
}

func init() {
	for id := range wantAlarms {
		wantResources[id] = "AWS::CloudWatch::Alarm"
	}
	templateChecks = append(templateChecks, check{"alarms", checkAlarms})
}

func checkAlarms(_ *testing.T, tpl map[string]any) (p problems) {
	p.expect("Conditions.Alarms", at(tpl, "Conditions", "Alarms"),
		map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("AlarmTopicArn"), ""}}}})
	p.expect("Conditions.BufferedAlarms", at(tpl, "Conditions", "BufferedAlarms"),
		map[string]any{"Fn::And": []any{map[string]any{"Condition": "Alarms"}, map[string]any{"Condition": condBuffered}}})
	for _, id := range slices.Sorted(maps.Keys(wantAlarms)) {
		w := wantAlarms[id]
		a := props(tpl, id)
		p.expect(id+".Condition", at(tpl, "Resources", id, "Condition"), w.cond)
		p.expect(id+".Namespace", a["Namespace"], w.namespace)
		p.expect(id+".MetricName", a["MetricName"], w.metric)
		p.expect(id+".Dimensions", a["Dimensions"], []any{map[string]any{"Name": w.dimension, "Value": w.dimValue}})
		p.expect(id+".Statistic", a["Statistic"], w.stat)
		p.expect(id+".Threshold", a["Threshold"], w.threshold)
		p.expect(id+".ComparisonOperator", a["ComparisonOperator"], "GreaterThanOrEqualToThreshold")
		// No data (an idle queue, a function not invoked) is not an alarm.
		p.expect(id+".TreatMissingData", a["TreatMissingData"], "notBreaching")
		p.expect(id+".AlarmActions", a["AlarmActions"], []any{ref("AlarmTopicArn")})
	}
	return p
}

func TestAlarmChecksCatchBrokenTemplates(t *testing.T) {
	checksCatch(t, string(readTemplate(t)), []templateMutation{
		{"errors alarm always", "alarms", "  FunctionErrorsAlarm:\n    Type: AWS::CloudWatch::Alarm\n    Condition: Alarms\n", "  FunctionErrorsAlarm:\n    Type: AWS::CloudWatch::Alarm\n"},
		{"throttles unnoticed", "alarms", "      MetricName: Throttles\n", "      MetricName: Invocations\n"},
		{"idle queue alarms", "alarms", "      TreatMissingData: notBreaching\n", "      TreatMissingData: breaching\n"},
		{"dead letters elsewhere", "alarms", "Value: !GetAtt IngestDeadLetterQueue.QueueName", "Value: !GetAtt IngestQueue.QueueName"},
	})
}
