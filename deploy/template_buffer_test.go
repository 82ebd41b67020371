package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/provision"
)

// The buffering path (BufferWithQueue) and the backfill role (issue #20).
const (
	condBuffered     = "Buffered"
	idIngestQueue    = "IngestQueue"
	idIngestDLQ      = "IngestDeadLetterQueue"
	idIngestPolicy   = "IngestQueuePolicy"
	idIngestMapping  = "IngestEventSourceMapping"
	idBatchRole      = "BatchOperationsRole"
	batchPrincipal   = "batchoperations.s3.amazonaws.com"
	noValue          = "AWS::NoValue"
	reportBatchItems = "ReportBatchItemFailures"
)

// ingestQueueActions are what the event source mapping needs of the
// function's role to drain the queue: Lambda's documented three (and what
// AWSLambdaSQSQueueExecutionRole grants); the mapping does not change a
// message's visibility, and neither does the function (issue #28).
var ingestQueueActions = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}

// bufferParam is one parameter of the buffering path: Number with a
// default and bounds, or String with allowed values.
type bufferParam struct {
	def      any
	min, max int64
	allowed  []string
}

// bufferParams are the buffering path's parameters; the limits are
// Lambda's and SQS's own (BatchSize ≤ 10,000, MaximumConcurrency 2–1,000,
// visibility ≤ 12 h, batching window ≤ 300 s).
var bufferParams = map[string]*bufferParam{
	"BufferWithQueue":            {def: "false", allowed: []string{"false", "true"}},
	"QueueBatchSize":             {def: int64(10), min: 1, max: 10000},
	"QueueBatchingWindowSeconds": {def: int64(0), min: 0, max: 300},
	"QueueMaxConcurrency":        {def: int64(10), min: 2, max: 1000},
	"QueueMaxReceiveCount":       {def: int64(5), min: 1, max: 1000},
	"QueueVisibilityTimeout":     {def: int64(720), min: 1, max: 43200},
	"BackfillRole":               {def: "false", allowed: []string{"false", "true"}},
}

func init() {
	maps.Copy(wantResources, map[string]string{
		idIngestQueue:   "AWS::SQS::Queue",
		idIngestDLQ:     "AWS::SQS::Queue",
		idIngestPolicy:  "AWS::SQS::QueuePolicy",
		idIngestMapping: "AWS::Lambda::EventSourceMapping",
		idBatchRole:     "AWS::IAM::Role",
	})
	templateChecks = append(templateChecks, check{"buffering", checkBuffering}, check{"batch-operations-role", checkBatchRole})
}

// unlessBuffered is the list v holds when the stack is not buffered: v
// must be {"Fn::If": [Buffered, NoValue, list]}.
func unlessBuffered(p *problems, what string, v any) []any {
	args := list(at(v, "Fn::If"))
	if len(args) != 3 || args[0] != condBuffered || !same(args[1], ref(noValue)) {
		p.addf("%s = %s, want !If [%s, !Ref %s, [...]]", what, canon(v), condBuffered, noValue)
		return nil
	}
	return list(args[2])
}

// ifBuffered unwraps {"Fn::If": [Buffered, x, NoValue]} to x; anything
// else is returned as it is.
func ifBuffered(p *problems, what string, v any) any {
	args := list(at(v, "Fn::If"))
	if args == nil {
		return v
	}
	if len(args) != 3 || args[0] != condBuffered || !same(args[2], ref(noValue)) {
		p.addf("%s = %s, want !If [%s, ..., !Ref %s]", what, canon(v), condBuffered, noValue)
	}
	return args[1]
}

func checkBuffering(_ *testing.T, tpl map[string]any) (p problems) {
	p.expect("Conditions."+condBuffered, at(tpl, "Conditions", condBuffered),
		map[string]any{"Fn::Equals": []any{ref("BufferWithQueue"), "true"}})
	params := mapping(tpl["Parameters"])
	for _, name := range slices.Sorted(maps.Keys(bufferParams)) {
		w, got := bufferParams[name], mapping(params[name])
		switch {
		case got == nil:
			p.addf("parameter %s is missing", name)
		case w.allowed != nil:
			p.expect(name+".Type", got["Type"], "String")
			p.expect(name+".Default", got["Default"], w.def)
			p.expect(name+".AllowedValues", strs(got["AllowedValues"]), w.allowed)
		default:
			p.expect(name+".Type", got["Type"], "Number")
			for k, want := range map[string]int64{"Default": w.def.(int64), "MinValue": w.min, "MaxValue": w.max} {
				if n, ok := num(got[k]); !ok || n != want {
					p.addf("%s.%s = %v, want %d", name, k, got[k], want)
				}
			}
		}
	}
	for _, id := range []string{idIngestQueue, idIngestDLQ, idIngestPolicy, idIngestMapping} {
		p.expect(id+".Condition", at(tpl, "Resources", id, "Condition"), condBuffered)
	}

	q := props(tpl, idIngestQueue)
	p.expect("IngestQueue.RedrivePolicy", q["RedrivePolicy"], map[string]any{
		"deadLetterTargetArn": getAtt(idIngestDLQ, "Arn"), "maxReceiveCount": ref("QueueMaxReceiveCount")})
	p.expect("IngestQueue.VisibilityTimeout", q["VisibilityTimeout"], ref("QueueVisibilityTimeout"))

	m := props(tpl, idIngestMapping)
	p.expect("IngestEventSourceMapping.EventSourceArn", m["EventSourceArn"], getAtt(idIngestQueue, "Arn"))
	p.expect("IngestEventSourceMapping.FunctionName", m["FunctionName"], ref(idFunction))
	p.expect("IngestEventSourceMapping.BatchSize", m["BatchSize"], ref("QueueBatchSize"))
	p.expect("IngestEventSourceMapping.MaximumBatchingWindowInSeconds", m["MaximumBatchingWindowInSeconds"], ref("QueueBatchingWindowSeconds"))
	p.expect("IngestEventSourceMapping.ScalingConfig", m["ScalingConfig"], map[string]any{"MaximumConcurrency": ref("QueueMaxConcurrency")})
	// Without it the function's batchItemFailures are ignored and a
	// failed message takes its whole batch back to the queue.
	p.expect("IngestEventSourceMapping.FunctionResponseTypes", strs(m["FunctionResponseTypes"]), []string{reportBatchItems})

	st := list(at(props(tpl, idIngestPolicy), "PolicyDocument", "Statement"))
	p.expect("IngestQueuePolicy.Queues", at(props(tpl, idIngestPolicy), "Queues"), []any{ref(idIngestQueue)})
	if len(st) != 1 {
		p.addf("IngestQueuePolicy has %d statements, want 1", len(st))
	} else {
		p.expect("IngestQueuePolicy principal", at(st[0], "Principal"), map[string]any{"Service": "s3.amazonaws.com"})
		p.expect("IngestQueuePolicy action", strs(at(st[0], "Action")), []string{"sqs:SendMessage"})
		p.expect("IngestQueuePolicy resource", at(st[0], "Resource"), getAtt(idIngestQueue, "Arn"))
		p.expect("IngestQueuePolicy source bucket", at(st[0], "Condition", "ArnEquals", "aws:SourceArn"),
			subVars("arn:${AWS::Partition}:s3:::${Bucket}", map[string]any{"Bucket": inputBucketName}))
		p.expect("IngestQueuePolicy source account", at(st[0], "Condition", "StringEquals", "aws:SourceAccount"), ref("AWS::AccountId"))
	}

	// The same suffixes as the direct path, to the queue.
	in := props(tpl, idInputBucket)
	qc := list(at(in, "NotificationConfiguration", "QueueConfigurations", "Fn::If"))
	if len(qc) != 3 || qc[0] != condBuffered || !same(qc[2], ref(noValue)) {
		p.addf("QueueConfigurations = %s, want !If [%s, [...], !Ref %s]", canon(at(in, "NotificationConfiguration", "QueueConfigurations")), condBuffered, noValue)
		return p
	}
	var suffixes []string
	for i, c := range list(qc[1]) {
		if at(c, "Fn::If") != nil {
			continue // the vector index's removal events: checkVectorIndex
		}
		p.expect(fmt.Sprintf("QueueConfigurations[%d].Event", i), at(c, "Event"), "s3:ObjectCreated:*")
		p.expect(fmt.Sprintf("QueueConfigurations[%d].Queue", i), at(c, "Queue"), getAtt(idIngestQueue, "Arn"))
		rules := list(at(c, "Filter", "S3Key", "Rules"))
		if len(rules) != 1 || at(rules[0], "Name") != "suffix" {
			p.addf("QueueConfigurations[%d] filter rules %s: want exactly one suffix rule", i, canon(rules))
			continue
		}
		suffixes = append(suffixes, fmt.Sprint(at(rules[0], "Value")))
	}
	if got, want := slices.Sorted(slices.Values(suffixes)), slices.Sorted(slices.Values(provision.DefaultSuffixes)); !slices.Equal(got, want) {
		p.addf("queue notification suffixes %v, want %v (provision.DefaultSuffixes)", got, want)
	}
	// S3 checks it may send to the queue when the notification is written.
	if !strings.Contains(canon(in["Tags"]), canon(ref(idIngestPolicy))) {
		p.addf("InputBucket does not refer to %s: S3 could validate the queue notification before it may send", idIngestPolicy)
	}
	return p
}

// checkBatchRole: S3 Batch Operations alone, for jobs of this account,
// assumes the backfill role, which exists only when asked for
// (BackfillRole), may invoke the function and touch nothing but backfill/
// in the output bucket.
func checkBatchRole(_ *testing.T, tpl map[string]any) (p problems) {
	p.expect(idBatchRole+".Condition", at(tpl, "Resources", idBatchRole, "Condition"), "Backfill")
	p.expect("Conditions.Backfill", at(tpl, "Conditions", "Backfill"), map[string]any{"Fn::Equals": []any{ref("BackfillRole"), "true"}})
	p.expect("Outputs.BatchOperationsRoleArn.Condition", at(tpl, "Outputs", "BatchOperationsRoleArn", "Condition"), "Backfill")
	role := props(tpl, idBatchRole)
	trust := list(at(role, "AssumeRolePolicyDocument", "Statement"))
	if len(trust) != 1 || at(trust[0], "Effect") != "Allow" ||
		!slices.Equal(strs(at(trust[0], "Principal", "Service")), []string{batchPrincipal}) ||
		!slices.Equal(strs(at(trust[0], "Action")), []string{"sts:AssumeRole"}) {
		p.addf("%s trust policy %s: want %s alone to assume it", idBatchRole, canon(trust), batchPrincipal)
	}
	if len(trust) == 1 {
		p.expect(idBatchRole+" trust Condition", at(trust[0], "Condition"),
			map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}})
	}
	// Its permissions boundary is checked with the other roles' (organisation-knobs).
	if role["ManagedPolicyArns"] != nil {
		p.addf("%s has ManagedPolicyArns: every grant must be in its inline policy", idBatchRole)
	}
	out := "arn:${AWS::Partition}:s3:::${" + idOutputBucket + "}"
	want := []string{
		"lambda:InvokeFunction on " + canon(getAtt(idFunction, "Arn")),
		"lambda:InvokeFunction on " + canon(sub("${"+idFunction+".Arn}:*")),
		"s3:GetObject on " + canon(sub(out+"/backfill/*")),
		"s3:GetObjectVersion on " + canon(sub(out+"/backfill/*")),
		"s3:PutObject on " + canon(sub(out+"/backfill/reports/*")),
		"s3:GetBucketLocation on " + canon(sub(out)),
		"kms:Decrypt on " + canon(ref("KmsKeyArn")),
		"kms:GenerateDataKey on " + canon(ref("KmsKeyArn")),
	}
	var got []string
	for _, pol := range list(role["Policies"]) {
		for _, st := range list(at(pol, "PolicyDocument", "Statement")) {
			st = whenTrue(&p, idBatchRole+" statement", st)
			if at(st, "Effect") != "Allow" || at(st, "NotAction") != nil || at(st, "NotResource") != nil {
				p.addf("%s statement %s: want a plain Allow", idBatchRole, canon(st))
			}
			for _, a := range strs(at(st, "Action")) {
				for _, r := range list(at(st, "Resource")) {
					got = append(got, a+" on "+canon(r))
				}
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		p.addf("%s grants %q, want %q", idBatchRole, got, want)
	}
	p.expect("Outputs.BatchOperationsRoleArn.Value", at(tpl, "Outputs", "BatchOperationsRoleArn", "Value"), getAtt(idBatchRole, "Arn"))
	return p
}

// TestBufferChecksCatchBrokenTemplates: the buffering and backfill checks
// fail on a template broken the way they guard against.
func TestBufferChecksCatchBrokenTemplates(t *testing.T) {
	src := string(readTemplate(t))
	checksCatch(t, src, []templateMutation{
		{"no partial batch responses", "buffering", "FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []"},
		{"no dead-letter queue", "buffering", "maxReceiveCount: !Ref QueueMaxReceiveCount", "maxReceiveCount: 1000"},
		{"unbounded concurrency", "buffering", "        MaximumConcurrency: !Ref QueueMaxConcurrency\n", "        MaximumConcurrency: 1000\n"},
		{"queue misses a suffix", "buffering", "Queue: !GetAtt IngestQueue.Arn, Filter: {S3Key: {Rules: [{Name: suffix, Value: .png}]}}}\n", "Queue: !GetAtt IngestQueue.Arn, Filter: {S3Key: {Rules: [{Name: prefix, Value: .png}]}}}\n"},
		{"queue open to any bucket", "buffering", "              ArnEquals:\n", "              ArnLike:\n"},
		{"bucket before policy", "buffering", "Value: !Ref IngestQueuePolicy", "Value: policy"},
		{"direct path while buffered", "notifications", "          - !Ref AWS::NoValue\n          -\n              - Event:", "          - []\n          -\n              - Event:"},
		{"batch role reads everything", "batch-operations-role", "${OutputBucket}/backfill/*", "${OutputBucket}/*"},
		{"batch role for lambda", "batch-operations-role", "Service: batchoperations.s3.amazonaws.com", "Service: lambda.amazonaws.com"},
		{"batch role without boundary", "organisation-knobs", "                aws:SourceAccount: !Ref AWS::AccountId\n      PermissionsBoundary: !If [HasPermissionsBoundary, !Ref PermissionsBoundary, !Ref AWS::NoValue]\n", "                aws:SourceAccount: !Ref AWS::AccountId\n"},
		{"batch role without path", "organisation-knobs", "      Path: !Ref RolePath\n      RoleName: !If [NameRoles, !Sub \"${RoleNamePrefix}${AWS::StackName}-backfill\"", "      RoleName: !If [NameRoles, !Sub \"${RoleNamePrefix}${AWS::StackName}-backfill\""},
		{"encoder role unnamed", "organisation-knobs", "      RoleName: !If [NameRoles, !Sub \"${RoleNamePrefix}${AWS::StackName}-encoder\", !Ref AWS::NoValue]\n", ""},
		{"role cannot drain", "iam", "                    - sqs:DeleteMessage\n", ""},
		{"role changes visibility", "iam", "                    - sqs:GetQueueAttributes\n", "                    - sqs:GetQueueAttributes\n                    - sqs:ChangeMessageVisibility\n"},
		{"batch role for any account", "batch-operations-role", "                aws:SourceAccount: !Ref AWS::AccountId\n      PermissionsBoundary", "                aws:SourceArn: x\n      PermissionsBoundary"},
		{"batch role always", "batch-operations-role", "    Type: AWS::IAM::Role\n    Condition: Backfill\n", "    Type: AWS::IAM::Role\n"},
	})
}
