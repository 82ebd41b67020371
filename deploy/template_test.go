package deploy

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/provision"
)

const templateFile = "template.yaml"

// templateFiles are every template deploy.sh deploys.
var templateFiles = []string{templateFile, vectorsTemplateFile}

// maxTemplateBody is CloudFormation's limit for a template passed inline
// (TemplateBody); the e2e test and small deployments rely on it.
const maxTemplateBody = 51_200

// Logical IDs the checks, the scripts and the e2e test rely on.
const (
	idInputBucket  = "InputBucket"
	idOutputBucket = "OutputBucket"
	idFunction     = "EncoderFunction"
	idRole         = "EncoderRole"
	idLogGroup     = "EncoderLogGroup"
	idPermission   = "S3InvokePermission"
	idQueue        = "DeadLetterQueue"
	idInvokeConfig = "EncoderEventInvokeConfig"
	condCreateIn   = "CreateInputBucket"
)

// wantResources is every resource of the template, and nothing else: an
// extra IAM policy or bucket is a change these tests must be told about.
var wantResources = map[string]string{
	idInputBucket:  "AWS::S3::Bucket",
	idOutputBucket: "AWS::S3::Bucket",
	idFunction:     "AWS::Lambda::Function",
	idRole:         "AWS::IAM::Role",
	idLogGroup:     "AWS::Logs::LogGroup",
	idPermission:   "AWS::Lambda::Permission",
	idQueue:        "AWS::SQS::Queue",
	idInvokeConfig: "AWS::Lambda::EventInvokeConfig",
	// The vector bucket and index are in the nested vectors.yaml.
	idFaceIndexStack: "AWS::CloudFormation::Stack",
	idOutputPolicy:   "AWS::S3::BucketPolicy",
	idInputPolicy:    "AWS::S3::BucketPolicy",
}

const (
	idOutputPolicy = "OutputBucketPolicy"
	idInputPolicy  = "InputBucketPolicy"
)

// inputBucketNameSub is the deterministic input bucket name. The
// permission and the role name the bucket by it instead of referring to
// the bucket resource (see checkPermission).
const inputBucketNameSub = "${AWS::StackName}-${AWS::AccountId}-${AWS::Region}-in"

// inputBucketName is the input bucket's name wherever it is needed.
var inputBucketName = ifFn(condCreateIn, sub(inputBucketNameSub), ref("ExistingInputBucket"))

// problems collects a check's findings.
type problems []error

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// expect records a problem unless got equals want.
func (p *problems) expect(what string, got, want any) {
	if !same(got, want) {
		p.addf("%s = %s, want %s", what, canon(got), canon(want))
	}
}

type check struct {
	name string
	fn   func(t *testing.T, tpl map[string]any) problems
}

// templateChecks are the template's properties, each a function of the
// parsed template so that TestChecksCatchBrokenTemplates can run it on a
// broken copy.
var templateChecks = []check{
	{"resources", checkResources},
	{"function", checkFunction},
	{"parameters", checkParameters},
	{"notifications", checkNotifications},
	{"output-exclusion", checkOutputExclusion},
	{"permission", checkPermission},
	{"dependencies", checkDependencies},
	{"iam", checkIAM},
	{"log-group", checkLogGroup},
	{"failure-destination", checkFailureDestination},
	{"environment", checkEnvironment},
	{"outputs", checkOutputs},
	{"organisation-knobs", checkOrganisationKnobs},
	{"vector-index", checkVectorIndex},
	{"data-retention", checkDataRetention},
	{"tls-only", checkTLSOnly},
}

// checkTLSOnly: both buckets the stack creates refuse plain HTTP, on the
// bucket and on every object (issue #28).
func checkTLSOnly(_ *testing.T, tpl map[string]any) (p problems) {
	for policy, bucket := range map[string]string{idOutputPolicy: idOutputBucket, idInputPolicy: idInputBucket} {
		p.expect(policy+".Condition", at(tpl, "Resources", policy, "Condition"), at(tpl, "Resources", bucket, "Condition"))
		p.expect(policy+".Bucket", props(tpl, policy)["Bucket"], ref(bucket))
		p.expect(policy+".Statement", at(props(tpl, policy), "PolicyDocument", "Statement"), []any{map[string]any{
			"Sid": "DenyPlainHTTP", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
			"Resource":  []any{getAtt(bucket, "Arn"), sub("${" + bucket + ".Arn}/*")},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		}})
	}
	return p
}

// checkDataRetention: deleting the stack (from the console too) or a
// replacement never deletes the user's photos or results; undeploy.sh
// deletes them, after the stack, unless KEEP_DATA=1 (issue #28). Not on
// the create that made them (RetainExceptOnCreate): a failed first deploy
// leaves no empty bucket behind to block the next. Nothing else is
// retained: it would outlive the stack unnoticed.
func checkDataRetention(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	for _, id := range slices.Sorted(maps.Keys(rs)) {
		del, repl := any(nil), any(nil)
		if id == idInputBucket || id == idOutputBucket {
			del, repl = retainDeletion, "Retain"
		}
		p.expect(id+".DeletionPolicy", at(rs, id, "DeletionPolicy"), del)
		p.expect(id+".UpdateReplacePolicy", at(rs, id, "UpdateReplacePolicy"), repl)
	}
	return p
}

// retainDeletion keeps a data resource when its stack is deleted, except
// when the operation that created it rolls back.
const retainDeletion = "RetainExceptOnCreate"

func readTemplate(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(templateFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func props(tpl map[string]any, id string) map[string]any {
	return mapping(at(tpl, "Resources", id, "Properties"))
}

func TestTemplate(t *testing.T) {
	data := readTemplate(t)
	if len(data) > maxTemplateBody {
		t.Errorf("template is %d bytes, over CloudFormation's inline limit of %d", len(data), maxTemplateBody)
	}
	tpl, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range templateChecks {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range c.fn(t, tpl) {
				t.Error(p)
			}
		})
	}
}

func checkResources(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	for id, typ := range wantResources {
		p.expect(id+".Type", at(rs, id, "Type"), typ)
	}
	for _, id := range slices.Sorted(maps.Keys(rs)) {
		if _, ok := wantResources[id]; !ok {
			p.addf("unexpected resource %s (%v)", id, at(rs, id, "Type"))
		}
	}
	return p
}

func checkFunction(_ *testing.T, tpl map[string]any) (p problems) {
	fn := props(tpl, idFunction)
	p.expect("Runtime", fn["Runtime"], provision.Runtime)
	p.expect("Handler", fn["Handler"], provision.Handler)
	p.expect("Architectures", fn["Architectures"], []any{provision.DefaultArchitecture})
	p.expect("MemorySize", fn["MemorySize"], ref("MemorySize"))
	p.expect("Timeout", fn["Timeout"], ref("Timeout"))
	p.expect("Role", fn["Role"], getAtt(idRole, "Arn"))
	p.expect("FunctionName", fn["FunctionName"], sub("${AWS::StackName}-encoder"))
	if pt, ok := fn["PackageType"]; ok && pt != "Zip" {
		p.addf("PackageType %v: the function is a zip", pt)
	}
	// `aws cloudformation package` resolves Code relative to the template;
	// it must land on what `make package` writes.
	code, ok := fn["Code"].(string)
	if !ok {
		p.addf("Code = %s, want the local path of the zip (for aws cloudformation package)", canon(fn["Code"]))
	} else if got := filepath.ToSlash(filepath.Join(filepath.Dir(templateFile), "deploy", code)); got != "dist/function.zip" {
		p.addf("Code %q resolves to %s from deploy/, want dist/function.zip", code, got)
	}
	return p
}

func checkParameters(t *testing.T, tpl map[string]any) (p problems) {
	ev := facts(t).consts
	iv := func(pkg, name string) int64 {
		n, err := ev.intConst(pkg, name)
		if err != nil {
			p.addf("%v", err)
		}
		return n
	}
	sv := func(pkg, name string) string {
		s, err := ev.strConst(pkg, name)
		if err != nil {
			p.addf("%v", err)
		}
		return s
	}
	type param struct {
		typ      string
		def      any
		min, max int64
		allowed  []string
	}
	numParam := func(def, lo, hi int64) param { return param{typ: "Number", def: def, min: lo, max: hi} }
	want := map[string]param{
		"Detector": {typ: "String", def: sv("handler", "DefaultDetector"),
			allowed: []string{sv("face", "DetectorHOG"), sv("face", "DetectorCNN")}},
		"Upsample":       numParam(iv("handler", "DefaultUpsample"), 0, iv("face", "MaxUpsample")),
		"Jitter":         numParam(iv("handler", "DefaultJitter"), 0, iv("face", "MaxJitter")),
		"MaxSide":        numParam(iv("handler", "DefaultMaxSide"), 0, iv("handler", "maxMaxSide")),
		"MaxObjectBytes": numParam(iv("handler", "DefaultMaxObjectBytes"), 1, iv("handler", "maxObjectBytesLimit")),
		"MaxPixels":      numParam(iv("handler", "DefaultMaxPixels"), 1, iv("handler", "maxPixelsLimit")),
		"MemorySize":     numParam(int64(provision.DefaultMemoryMB), 128, 10240),
		"Timeout":        numParam(int64(provision.DefaultTimeoutS), 1, 900),
		"LogRetentionInDays": {typ: "Number", def: int64(14), allowed: strs([]any{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180,
			365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653})},
		"OutputPrefix":        {typ: "String", def: sv("handler", "DefaultOutputPrefix")},
		"ExistingInputBucket": {typ: "String", def: ""},
		"PermissionsBoundary": {typ: "String", def: ""},
		"ReservedConcurrency": numParam(0, 0, noMax),
		"MaxEventAgeSeconds":  numParam(21600, 60, 21600), // Lambda's limits; its default is the maximum
	}
	// The alarms (template_alarms_test.go).
	want["AlarmTopicArn"] = param{typ: "String", def: ""}
	want["RolePath"] = param{typ: "String", def: "/"}
	want["KmsKeyArn"] = param{typ: "String", def: ""}
	want["MetricsNamespace"] = param{typ: "String", def: ""}
	want["RoleNamePrefix"] = param{typ: "String", def: ""}
	want["AlarmMaxMessageAgeSeconds"] = numParam(3600, 60, 1209600) // SQS keeps a message at most 14 days
	// The faces' S3 Vectors index (template_vectors_test.go).
	want["VectorIndex"] = param{typ: "String", def: "faces"}
	want["ExistingVectorBucket"] = param{typ: "String", def: ""}
	params := mapping(tpl["Parameters"])
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if _, ok := want[name]; !ok && bufferParams[name] == nil {
			p.addf("unexpected parameter %s", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w, got := want[name], mapping(params[name])
		if got == nil {
			p.addf("parameter %s is missing", name)
			continue
		}
		p.expect(name+".Type", got["Type"], w.typ)
		if w.typ == "Number" {
			d, ok := num(got["Default"])
			if !ok || d != w.def.(int64) {
				p.addf("%s.Default = %v, want %d", name, got["Default"], w.def)
			}
			if w.allowed == nil {
				if lo, ok := num(got["MinValue"]); !ok || lo != w.min {
					p.addf("%s.MinValue = %v, want %d", name, got["MinValue"], w.min)
				}
				if hi, ok := num(got["MaxValue"]); w.max == noMax && got["MaxValue"] != nil {
					p.addf("%s.MaxValue = %v, want none (the account's quota is the limit)", name, got["MaxValue"])
				} else if w.max != noMax && (!ok || hi != w.max) {
					p.addf("%s.MaxValue = %v, want %d (the function's limit)", name, got["MaxValue"], w.max)
				}
			}
		} else if got["Default"] != w.def {
			p.addf("%s.Default = %q, want %q (the function's default)", name, got["Default"], w.def)
		}
		if w.allowed != nil && !slices.Equal(strs(got["AllowedValues"]), w.allowed) {
			p.addf("%s.AllowedValues = %v, want %v", name, strs(got["AllowedValues"]), w.allowed)
		}
	}
	// The prefix is pasted into an IAM resource ARN: a '*', '?' or '$'
	// would widen the grant or be read as a policy variable.
	patternCases := map[string]map[string]bool{
		"OutputPrefix": {
			"encodings/": true, "results/v1/": true, "faces": true,
			"": false, "/encodings/": false, "enc*": false, "enc?/": false, "${aws:username}/": false, "a b/": false,
		},
		"ExistingInputBucket": {
			"": true, "my-photos": true, "photos.example.com": true,
			"My_Photos": false, "ab": false, "-photos": false,
		},
	}
	for name, cases := range patternCases {
		pat, _ := at(params, name, "AllowedPattern").(string)
		re, err := regexp.Compile(`^(?:` + pat + `)$`) // CloudFormation matches the whole value
		if pat == "" || err != nil {
			p.addf("%s.AllowedPattern %q: %v", name, pat, err)
			continue
		}
		for v, ok := range cases {
			if re.MatchString(v) != ok {
				p.addf("%s.AllowedPattern %q: accepts %q = %v, want %v", name, pat, v, !ok, ok)
			}
		}
	}
	return p
}

func checkNotifications(_ *testing.T, tpl map[string]any) (p problems) {
	in := props(tpl, idInputBucket)
	p.expect("InputBucket.Condition", at(tpl, "Resources", idInputBucket, "Condition"), condCreateIn)
	p.expect("Conditions."+condCreateIn, at(tpl, "Conditions", condCreateIn),
		map[string]any{"Fn::Equals": []any{ref("ExistingInputBucket"), ""}})
	p.expect("InputBucket.BucketName", in["BucketName"], sub(inputBucketNameSub))
	nc := mapping(in["NotificationConfiguration"])
	for k := range nc {
		if k != "LambdaConfigurations" && k != "QueueConfigurations" {
			p.addf("input bucket NotificationConfiguration has %s; only the function (or its queue) is notified", k)
		}
	}
	// Unless buffered; checkBuffering checks the queue's configurations.
	direct := unlessBuffered(&p, "LambdaConfigurations", nc["LambdaConfigurations"])
	var suffixes []string
	for i, c := range direct {
		if at(c, "Fn::If") != nil {
			continue // the vector index's removal events: checkVectorIndex
		}
		p.expect(fmt.Sprintf("LambdaConfigurations[%d].Event", i), at(c, "Event"), "s3:ObjectCreated:*")
		p.expect(fmt.Sprintf("LambdaConfigurations[%d].Function", i), at(c, "Function"), getAtt(idFunction, "Arn"))
		rules := list(at(c, "Filter", "S3Key", "Rules"))
		if len(rules) != 1 || !strings.EqualFold(fmt.Sprint(at(rules[0], "Name")), "suffix") {
			p.addf("LambdaConfigurations[%d] filter rules %s: want exactly one suffix rule", i, canon(rules))
			continue
		}
		s := fmt.Sprint(at(rules[0], "Value"))
		if slices.Contains(suffixes, s) {
			p.addf("suffix %q configured twice", s)
		}
		suffixes = append(suffixes, s)
	}
	want := slices.Sorted(slices.Values(provision.DefaultSuffixes))
	if got := slices.Sorted(slices.Values(suffixes)); !slices.Equal(got, want) {
		p.addf("notification suffixes %v, want %v (provision.DefaultSuffixes)", got, want)
	}
	return p
}

// checkOutputExclusion: results must never trigger the function. S3
// filters cannot exclude a prefix, so the template keeps results in a
// bucket of their own that notifies nothing; in a shared bucket the
// function's recursion guard would have to do it.
func checkOutputExclusion(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	for _, id := range slices.Sorted(maps.Keys(rs)) {
		if id != idInputBucket && at(rs, id, "Properties", "NotificationConfiguration") != nil {
			p.addf("%s has a NotificationConfiguration: only the input bucket may notify", id)
		}
	}
	p.expect("OUTPUT_BUCKET", at(props(tpl, idFunction), "Environment", "Variables", "OUTPUT_BUCKET"), ref(idOutputBucket))
	out := at(props(tpl, idOutputBucket), "BucketName")
	if same(out, at(props(tpl, idInputBucket), "BucketName")) {
		p.addf("output bucket name %s is the input bucket's", canon(out))
	}
	for _, s := range provision.DefaultSuffixes {
		if strings.HasSuffix(".json", s) {
			p.addf("suffix %q matches result keys", s)
		}
	}
	return p
}

// checkPermission: S3 may invoke the function for the input bucket of
// this account only. The permission names the bucket by its deterministic
// name, not the resource: the bucket DependsOn the permission (S3
// validates the target when the notification is written), so a reference
// back would be a cycle.
func checkPermission(_ *testing.T, tpl map[string]any) (p problems) {
	perm := props(tpl, idPermission)
	// Only when S3 invokes the function: with the queue nothing needs it.
	p.expect("Condition", at(tpl, "Resources", idPermission, "Condition"), "Direct")
	p.expect("Conditions.Direct", at(tpl, "Conditions", "Direct"), map[string]any{"Fn::Not": []any{map[string]any{"Condition": condBuffered}}})
	p.expect("Action", perm["Action"], "lambda:InvokeFunction")
	p.expect("Principal", perm["Principal"], "s3.amazonaws.com")
	p.expect("FunctionName", perm["FunctionName"], getAtt(idFunction, "Arn"))
	p.expect("SourceArn", perm["SourceArn"], subVars("arn:${AWS::Partition}:s3:::${Bucket}", map[string]any{"Bucket": inputBucketName}))
	p.expect("SourceAccount", perm["SourceAccount"], ref("AWS::AccountId"))
	if r := refs(perm, mapping(tpl["Resources"])); slices.Contains(r, idInputBucket) {
		p.addf("the permission refers to %s (%v): a dependency cycle with the bucket's DependsOn", idInputBucket, r)
	}
	return p
}

// checkDependencies: the bucket waits for the permission, and the whole
// graph (Ref, GetAtt, Sub, DependsOn) has no cycle.
func checkDependencies(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	deps := map[string][]string{}
	for id, r := range rs {
		d := refs(at(r, "Properties"), rs)
		for _, x := range strs(at(r, "DependsOn")) {
			if _, ok := rs[x]; !ok {
				p.addf("%s DependsOn %s, which is not a resource", id, x)
			}
			d = append(d, x)
		}
		deps[id] = d
	}
	// Not DependsOn: the permission exists only when not buffered, and a
	// DependsOn on an absent resource fails the stack; a reference in the
	// unbuffered branch orders them.
	if direct := list(at(props(tpl, idInputBucket)["Tags"], "Fn::If")); len(direct) != 3 || !slices.Contains(refs(direct[2], rs), idPermission) {
		p.addf("%s does not refer to %s in its unbuffered branch: S3 could validate the notification before it may invoke the function", idInputBucket, idPermission)
	}
	if !slices.Contains(strs(at(rs, idFunction, "DependsOn")), idLogGroup) {
		p.addf("%s does not DependsOn %s: Lambda could create the log group itself, without retention", idFunction, idLogGroup)
	}
	if c := findCycle(deps); c != nil {
		p.addf("dependency cycle: %s", strings.Join(c, " -> "))
	}
	return p
}

// findCycle returns one cycle of the graph, or nil.
func findCycle(deps map[string][]string) []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		switch state[n] {
		case onPath:
			i := slices.Index(path, n)
			return append(slices.Clone(path[i:]), n)
		case done:
			return nil
		}
		state[n] = onPath
		path = append(path, n)
		for _, d := range deps[n] {
			if c := visit(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, n := range slices.Sorted(maps.Keys(deps)) {
		if c := visit(n); c != nil {
			return c
		}
	}
	return nil
}

// checkIAM: the role allows exactly what the handler does, on exactly its
// resources, and nothing else.
func checkIAM(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	for id, r := range rs {
		typ := fmt.Sprint(at(r, "Type"))
		if strings.HasPrefix(typ, "AWS::IAM::") && id != idRole && id != idBatchRole {
			p.addf("extra IAM resource %s (%s)", id, typ)
		}
	}
	role := props(tpl, idRole)
	// A permissions boundary only narrows the grants (checkOrganisationKnobs).
	if role["ManagedPolicyArns"] != nil {
		p.addf("role has ManagedPolicyArns: every grant must be in the inline policy checked here")
	}
	trust := list(at(role, "AssumeRolePolicyDocument", "Statement"))
	if len(trust) != 1 || at(trust[0], "Effect") != "Allow" ||
		!slices.Equal(strs(at(trust[0], "Principal", "Service")), []string{"lambda.amazonaws.com"}) ||
		!slices.Equal(strs(at(trust[0], "Action")), []string{"sts:AssumeRole"}) ||
		len(mapping(at(trust[0], "Principal"))) != 1 {
		p.addf("trust policy %s: want lambda.amazonaws.com alone to assume the role", canon(trust))
	}

	logGroupArn := getAtt(idLogGroup, "Arn")
	want := map[string]bool{}
	grant := func(action string, resource any) { want[action+" on "+canon(resource)] = true }
	grant("s3:GetObject", subVars("arn:${AWS::Partition}:s3:::${Bucket}/*", map[string]any{"Bucket": inputBucketName}))
	outputPrefix := sub("arn:${AWS::Partition}:s3:::${" + idOutputBucket + "}/${OutputPrefix}*")
	grant("s3:PutObject", outputPrefix)
	grant("s3:GetObject", outputPrefix)
	grant("logs:CreateLogStream", logGroupArn)
	grant("logs:PutLogEvents", logGroupArn)
	grant("sqs:SendMessage", getAtt(idQueue, "Arn"))
	for _, a := range ingestQueueActions {
		grant(a, getAtt(idIngestQueue, "Arn"))
	}
	// No QueryVectors: only `facevec search` queries, with the user's own
	// credentials (issue #28).
	for _, a := range []string{"s3vectors:PutVectors", "s3vectors:GetVectors", "s3vectors:DeleteVectors"} {
		grant(a, faceIndexARN)
	}
	for _, a := range kmsActions {
		grant(a, ref("KmsKeyArn"))
	}

	got := map[string]bool{}
	for _, pol := range list(role["Policies"]) {
		for i, st := range list(at(pol, "PolicyDocument", "Statement")) {
			where := fmt.Sprintf("policy %v statement %d", at(pol, "PolicyName"), i)
			if c := first(list(at(st, "Fn::If"))); c == condIndexFaces || c == condUseKms {
				st = whenTrue(&p, where, st)
			} else {
				st = ifBuffered(&p, where, st)
			}
			if at(st, "Effect") != "Allow" {
				p.addf("%s: Effect %v (a Deny here would hide nothing the checks need)", where, at(st, "Effect"))
			}
			for _, k := range []string{"NotAction", "NotResource", "Principal", "NotPrincipal"} {
				if at(st, k) != nil {
					p.addf("%s has %s: grants must be spelled out", where, k)
				}
			}
			for _, a := range list(at(st, "Action")) {
				as, ok := a.(string)
				if !ok || strings.ContainsAny(as, "*?") {
					p.addf("%s: action %s is a wildcard or not a plain name", where, canon(a))
					continue
				}
				for _, r := range list(at(st, "Resource")) {
					if r == "*" {
						p.addf("%s: %s on Resource \"*\"", where, as)
						continue
					}
					got[as+" on "+canon(r)] = true
				}
			}
		}
	}
	for _, g := range slices.Sorted(maps.Keys(got)) {
		if !want[g] {
			p.addf("role allows %s, which the function does not need", g)
		}
	}
	for _, w := range slices.Sorted(maps.Keys(want)) {
		if !got[w] {
			p.addf("role does not allow %s, which the function needs", w)
		}
	}
	return p
}

func checkLogGroup(_ *testing.T, tpl map[string]any) (p problems) {
	lg := props(tpl, idLogGroup)
	fnName, _ := at(props(tpl, idFunction), "FunctionName", "Fn::Sub").(string)
	p.expect("LogGroupName", lg["LogGroupName"], sub("/aws/lambda/"+fnName))
	p.expect("RetentionInDays", lg["RetentionInDays"], ref("LogRetentionInDays"))
	return p
}

func checkFailureDestination(_ *testing.T, tpl map[string]any) (p problems) {
	ic := props(tpl, idInvokeConfig)
	p.expect("EventInvokeConfig.FunctionName", ic["FunctionName"], ref(idFunction))
	p.expect("EventInvokeConfig.Qualifier", ic["Qualifier"], "$LATEST")
	if n, ok := num(ic["MaximumRetryAttempts"]); !ok || n != 2 {
		p.addf("MaximumRetryAttempts = %v, want 2", ic["MaximumRetryAttempts"])
	}
	p.expect("OnFailure.Destination", at(ic, "DestinationConfig", "OnFailure", "Destination"), getAtt(idQueue, "Arn"))
	// The queue is encrypted with KmsKeyArn only when it is set; the role's
	// kms: grant on it (checkIAM) lets Lambda send the failure record.
	p.expect("DeadLetterQueue.KmsMasterKeyId", props(tpl, idQueue)["KmsMasterKeyId"], ifFn(condUseKms, ref("KmsKeyArn"), ref("AWS::NoValue")))
	return p
}

// checkEnvironment: every variable the template sets is one the function
// reads (a rename on either side fails here), each from its parameter.
func checkEnvironment(t *testing.T, tpl map[string]any) (p problems) {
	read := facts(t).envNames
	vars := mapping(at(props(tpl, idFunction), "Environment", "Variables"))
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if !slices.Contains(read, name) {
			p.addf("template sets %s, which the function does not read (it reads %v)", name, read)
		}
	}
	want := map[string]any{
		"OUTPUT_BUCKET":    ref(idOutputBucket),
		"OUTPUT_PREFIX":    ref("OutputPrefix"),
		"DETECTOR":         ref("Detector"),
		"UPSAMPLE":         ref("Upsample"),
		"JITTER":           ref("Jitter"),
		"MAX_SIDE":         ref("MaxSide"),
		"MAX_OBJECT_BYTES": ref("MaxObjectBytes"),
		"MAX_PIXELS":       ref("MaxPixels"),
		"VECTOR_BUCKET":    ifFn(condIndexFaces, vectorBucketName, ref("AWS::NoValue")),
		"VECTOR_INDEX":     ifFn(condIndexFaces, ref("VectorIndex"), ref("AWS::NoValue")),
		// Empty (the default) is unset for the function: no metrics.
		"METRICS_NAMESPACE": ref("MetricsNamespace"),
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		p.expect("Environment "+name, vars[name], want[name])
	}
	// The models ship in the zip under LAMBDA_TASK_ROOT, which the runtime
	// sets; neither may be overridden.
	for _, name := range []string{"FACEVEC_MODELS", "LAMBDA_TASK_ROOT"} {
		if _, ok := vars[name]; ok {
			p.addf("template sets %s; the models are found under LAMBDA_TASK_ROOT", name)
		}
	}
	return p
}

// scriptOutputRE finds the stack outputs the scripts read: `output Name`
// calls and OutputKey == "Name" filters.
var scriptOutputRE = regexp.MustCompile(`\boutput ([A-Z][A-Za-z]+)\b|OutputKey == "([A-Za-z]+)"`)

func checkOutputs(t *testing.T, tpl map[string]any) (p problems) {
	outs := mapping(tpl["Outputs"])
	want := map[string]any{
		"InputBucketName":    ifFn(condCreateIn, ref(idInputBucket), ref("ExistingInputBucket")),
		"InputBucketCreated": ifFn(condCreateIn, "true", "false"),
		"OutputBucketName":   ref(idOutputBucket),
		"OutputPrefix":       ref("OutputPrefix"),
		"FunctionName":       ref(idFunction),
		"FunctionArn":        getAtt(idFunction, "Arn"),
		"LogGroupName":       ref(idLogGroup),
		"DeadLetterQueueUrl": ref(idQueue),
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		p.expect("Outputs."+name+".Value", at(outs, name, "Value"), want[name])
	}
	for _, script := range scripts {
		src, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scriptOutputRE.FindAllStringSubmatch(string(src), -1) {
			name := m[1] + m[2]
			if outs[name] == nil {
				p.addf("%s reads stack output %s, which the template does not have", script, name)
			}
		}
	}
	return p
}

// TestChecksCatchBrokenTemplates: each check fails on a copy of the
// template broken the way it guards against.
func TestChecksCatchBrokenTemplates(t *testing.T) {
	src := string(readTemplate(t))
	const oneSuffix = `              - Event: s3:ObjectCreated:*
                Function: !GetAtt EncoderFunction.Arn
                Filter: {S3Key: {Rules: [{Name: suffix, Value: .TIFF}]}}
`
	cases := []templateMutation{
		{"extra resource", "resources", "\nOutputs:", "\n  Extra:\n    Type: AWS::SNS::Topic\nOutputs:"},
		{"wrong runtime", "function", "Runtime: provided.al2023", "Runtime: provided.al2"},
		{"arm64", "function", "Architectures: [x86_64]", "Architectures: [arm64]"},
		{"wrong handler", "function", "Handler: bootstrap", "Handler: main"},
		{"code elsewhere", "function", "Code: ../dist/function.zip", "Code: function.zip"},
		{"memory default", "parameters", "    Default: 1769", "    Default: 2048"},
		{"no boundary", "organisation-knobs", "      PermissionsBoundary: !If [HasPermissionsBoundary, !Ref PermissionsBoundary, !Ref AWS::NoValue]\n", ""},
		{"boundary always set", "organisation-knobs", "!If [HasPermissionsBoundary, !Ref PermissionsBoundary, !Ref AWS::NoValue]", "!Ref PermissionsBoundary"},
		{"zero reserves nothing", "organisation-knobs", "!If [CapConcurrency, !Ref ReservedConcurrency, !Ref AWS::NoValue]", "!Ref ReservedConcurrency"},
		{"no event age", "organisation-knobs", "      MaximumEventAgeInSeconds: !Ref MaxEventAgeSeconds\n", ""},
		{"boundary pattern", "organisation-knobs", `policy/[A-Za-z0-9+=,.@_/-]+$"`, `.*"`},
		{"timeout default", "parameters", "    Default: 120", "    Default: 30"},
		{"upsample limit", "parameters", "    MaxValue: 4", "    MaxValue: 8"},
		{"detector values", "parameters", "AllowedValues: [hog, cnn]", "AllowedValues: [hog]"},
		{"prefix allows star", "parameters", `[A-Za-z0-9!_.'()/-]{0,511}`, `[A-Za-z0-9!_.'()/*-]{0,511}`},
		{"retention default", "parameters", "    Default: 14", "    Default: 30"},
		{"missing suffix", "notifications", oneSuffix, ""},
		{"wrong event", "notifications", "Event: s3:ObjectCreated:*", "Event: s3:ObjectRemoved:*"},
		{"prefix rule added", "notifications", "{Name: suffix, Value: .png}", "{Name: suffix, Value: .png}, {Name: prefix, Value: x/}"},
		{"output bucket notifies", "output-exclusion", "-out\"\n",
			"-out\"\n      NotificationConfiguration:\n        LambdaConfigurations: []\n"},
		{"results into input bucket", "output-exclusion", "OUTPUT_BUCKET: !Ref OutputBucket", "OUTPUT_BUCKET: !Ref InputBucket"},
		{"any principal", "permission", "Principal: s3.amazonaws.com", "Principal: '*'"},
		{"no source account", "permission", "      SourceAccount: !Ref AWS::AccountId\n", ""},
		{"permission refers to bucket", "permission", "      SourceArn: !Sub\n", "      SourceArn: !GetAtt InputBucket.Arn\n      Unused: !Sub\n"},
		{"bucket before permission", "dependencies", "!Ref S3InvokePermission]]", "s3]]"},
		{"permission while buffered", "permission", "    Type: AWS::Lambda::Permission\n    Condition: Direct\n", "    Type: AWS::Lambda::Permission\n"},
		{"query granted", "iam", "                    - s3vectors:DeleteVectors\n", "                    - s3vectors:DeleteVectors\n                    - s3vectors:QueryVectors\n"},
		{"output over HTTP", "tls-only", `Condition: {Bool: {aws:SecureTransport: "false"}}`, `Condition: {Bool: {aws:SecureTransport: "true"}}`},
		{"input objects over HTTP", "tls-only", `Resource: [!GetAtt InputBucket.Arn, !Sub "${InputBucket.Arn}/*"]`, `Resource: [!GetAtt InputBucket.Arn]`},
		{"cycle", "dependencies", "      SourceAccount: !Ref AWS::AccountId\n", "      SourceAccount: !Ref AWS::AccountId\n      X: !Ref InputBucket\n"},
		{"action wildcard", "iam", "                  - sqs:SendMessage\n", "                  - sqs:*\n"},
		{"resource star", "iam", "Resource: !GetAtt DeadLetterQueue.Arn", "Resource: '*'"},
		{"extra action", "iam", "                  - s3:PutObject\n", "                  - s3:PutObject\n                  - s3:DeleteObject\n"},
		{"whole output bucket", "iam", `${OutputBucket}/${OutputPrefix}*`, `${OutputBucket}/*`},
		{"managed policy", "iam", "      Policies:\n", "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n      Policies:\n"},
		{"no retention", "log-group", "      RetentionInDays: !Ref LogRetentionInDays\n", ""},
		{"other log group", "log-group", `LogGroupName: !Sub "/aws/lambda/${AWS::StackName}-encoder"`, `LogGroupName: /facevec`},
		{"no retries limit", "failure-destination", "MaximumRetryAttempts: 2", "MaximumRetryAttempts: 0"},
		{"no destination", "failure-destination", "Destination: !GetAtt DeadLetterQueue.Arn", "Destination: arn:aws:sqs:us-east-1:123456789012:x"},
		{"renamed variable", "environment", "OUTPUT_PREFIX: !Ref OutputPrefix", "RESULT_PREFIX: !Ref OutputPrefix"},
		{"unknown variable", "environment", "MAX_SIDE: !Ref MaxSide", "MAX_SIDE: !Ref MaxSide\n          MAXSIDE: !Ref MaxSide"},
		{"index in this template", "vector-index", "\nOutputs:", "\n  Ix:\n    Type: AWS::S3Vectors::Index\n    Condition: CreateVectorIndex\nOutputs:"},
		{"nested always", "vector-index", "    Type: AWS::CloudFormation::Stack\n    Condition: CreateVectorIndex\n", "    Type: AWS::CloudFormation::Stack\n"},
		{"nested index name", "vector-index", "        IndexName: !Ref VectorIndex\n", "        IndexName: faces\n"},
		{"no removal events", "vector-index", "            - Event: s3:ObjectRemoved:*\n", "            - Event: s3:ObjectCreated:*\n"},
		{"index grant widened", "iam", "/index/${VectorIndex}", "/index/*"},
		{"results deleted with the stack", "data-retention", "  OutputBucket:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: RetainExceptOnCreate\n", "  OutputBucket:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Delete\n"},
		{"photos replaced", "data-retention", "    Condition: CreateInputBucket\n    DeletionPolicy: RetainExceptOnCreate\n    UpdateReplacePolicy: Retain\n", "    Condition: CreateInputBucket\n    DeletionPolicy: RetainExceptOnCreate\n"},
		{"failed create leaves buckets", "data-retention", "    Condition: CreateInputBucket\n    DeletionPolicy: RetainExceptOnCreate\n", "    Condition: CreateInputBucket\n    DeletionPolicy: Retain\n"},
		{"queue retained", "data-retention", "  DeadLetterQueue:\n    Type: AWS::SQS::Queue\n", "  DeadLetterQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Retain\n"},
		{"missing output", "outputs", "  DeadLetterQueueUrl:\n", "  DeadLetterQueueURL:\n"},
	}
	checksCatch(t, src, cases)
}

// templateMutation is a template broken on purpose: old replaced by new must
// make the named check fail.
type templateMutation struct{ name, check, old, new string }

// checksCatch applies each mutation to src and fails unless its check
// reports a problem with the broken copy.
func checksCatch(t *testing.T, src string, cases []templateMutation) {
	t.Helper()
	byName := map[string]check{}
	for _, c := range templateChecks {
		byName[c.name] = c
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(src, c.old) {
				t.Fatalf("the template no longer contains %q: update this case", c.old)
			}
			chk, ok := byName[c.check]
			if !ok {
				t.Fatalf("no check %q", c.check)
			}
			broken, err := Parse([]byte(strings.Replace(src, c.old, c.new, 1)))
			if err != nil {
				t.Fatalf("broken copy does not parse: %v", err)
			}
			ps := chk.fn(t, broken)
			if len(ps) == 0 {
				t.Fatalf("check %s passed a template with %s", c.check, c.name)
			}
			t.Logf("%s: %v", c.check, ps[0])
		})
	}
}
