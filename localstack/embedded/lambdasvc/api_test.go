package lambdasvc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func TestCreateGetListDelete(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()

	created := st.create(t, "shapes", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"GREETING": "hi"}}
		in.Tags = map[string]string{"team": "faces"}
	})
	sum := sha256.Sum256(echoZip)
	wantArn := "arn:aws:lambda:us-east-1:000000000000:function:shapes"
	if got := aws.ToString(created.FunctionArn); got != wantArn {
		t.Errorf("FunctionArn = %q, want %q", got, wantArn)
	}
	if created.State != types.StateActive || created.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("State/LastUpdateStatus = %s/%s, want Active/Successful", created.State, created.LastUpdateStatus)
	}
	if aws.ToInt32(created.Timeout) != 3 || aws.ToInt32(created.MemorySize) != 128 {
		t.Errorf("Timeout/MemorySize = %d/%d, want defaults 3/128", aws.ToInt32(created.Timeout), aws.ToInt32(created.MemorySize))
	}
	if got, want := aws.ToString(created.CodeSha256), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("CodeSha256 = %q, want %q", got, want)
	}
	if created.CodeSize != int64(len(echoZip)) || created.Runtime != types.RuntimeProvidedal2023 || aws.ToString(created.Version) != "$LATEST" {
		t.Errorf("CodeSize/Runtime/Version = %d/%s/%s", created.CodeSize, created.Runtime, aws.ToString(created.Version))
	}
	if created.Environment == nil || created.Environment.Variables["GREETING"] != "hi" {
		t.Errorf("Environment = %+v, want GREETING=hi", created.Environment)
	}

	// The SDK's waiters, which provisioning uses, must be satisfied at once.
	if err := lambda.NewFunctionActiveV2Waiter(st.client).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("shapes")}, 10e9); err != nil {
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}

	got, err := st.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("shapes")})
	if err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	if aws.ToString(got.Configuration.FunctionArn) != wantArn || got.Configuration.State != types.StateActive {
		t.Errorf("GetFunction configuration = %+v", got.Configuration)
	}
	if got.Tags["team"] != "faces" {
		t.Errorf("Tags = %v", got.Tags)
	}
	// Code.Location serves the very package.
	loc := aws.ToString(got.Code.Location)
	resp, err := http.Get(loc)
	if err != nil {
		t.Fatalf("GET Code.Location %s: %v", loc, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, echoZip) {
		t.Errorf("GET Code.Location: status %d, %d bytes; want 200 and the %d-byte package", resp.StatusCode, len(body), len(echoZip))
	}

	conf, err := st.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(wantArn)})
	if err != nil {
		t.Fatalf("GetFunctionConfiguration by ARN: %v", err)
	}
	if aws.ToString(conf.FunctionName) != "shapes" {
		t.Errorf("FunctionName = %q", aws.ToString(conf.FunctionName))
	}

	st.create(t, "another", nil)
	list, err := st.client.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	if len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "another" || aws.ToString(list.NextMarker) == "" {
		t.Fatalf("ListFunctions page 1 = %d functions, marker %q", len(list.Functions), aws.ToString(list.NextMarker))
	}
	list, err = st.client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: list.NextMarker})
	if err != nil {
		t.Fatalf("ListFunctions page 2: %v", err)
	}
	if len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "shapes" || list.NextMarker != nil {
		t.Fatalf("ListFunctions page 2 = %d functions, marker %v", len(list.Functions), list.NextMarker)
	}

	// Creating it again conflicts.
	_, err = st.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("shapes"), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/test"), Code: &types.FunctionCode{ZipFile: echoZip},
	})
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || httpStatus(err) != http.StatusConflict {
		t.Errorf("duplicate CreateFunction: err = %v (status %d), want ResourceConflictException 409", err, httpStatus(err))
	}

	if _, err := st.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("shapes")}); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	_, err = st.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("shapes")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || httpStatus(err) != http.StatusNotFound {
		t.Fatalf("GetFunction after delete: err = %v, want ResourceNotFoundException 404", err)
	}
	if want := "Function not found: " + wantArn; aws.ToString(nf.Message) != want {
		t.Errorf("not-found message = %q, want %q", aws.ToString(nf.Message), want)
	}
	_, err = st.client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("shapes")})
	if !errors.As(err, &nf) {
		t.Errorf("second DeleteFunction: err = %v, want ResourceNotFoundException", err)
	}
	// The name is free again.
	st.create(t, "shapes", nil)
}

// rawCall sends a request without the SDK, to check wire shapes and input
// the SDK would refuse to send.
func rawCall(t *testing.T, st *stack, method, path string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, st.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, resp.Header, doc
}

func TestErrorWireShapes(t *testing.T) {
	st := newStack(t, Options{})
	status, h, doc := rawCall(t, st, "GET", "/2015-03-31/functions/nope", "")
	if status != 404 || h.Get("X-Amzn-Errortype") != "ResourceNotFoundException" ||
		doc["Type"] != "User" || doc["Message"] != "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope" {
		t.Errorf("not found: %d %q %v", status, h.Get("X-Amzn-Errortype"), doc)
	}
	for _, tc := range []struct{ method, path, body, wantType string }{
		{"GET", "/2015-03-31/functions/x/aliases", "", "UnsupportedOperationException"},
		{"PATCH", "/2015-03-31/functions", "", "UnsupportedOperationException"},
		{"GET", "/2018-06-01/runtime/invocation/next", "", "UnsupportedOperationException"},
	} {
		status, h, doc := rawCall(t, st, tc.method, tc.path, tc.body)
		if status != http.StatusNotImplemented || h.Get("X-Amzn-Errortype") != tc.wantType || doc["message"] == "" {
			t.Errorf("%s %s: %d %q %v, want 501 %s with a message", tc.method, tc.path, status, h.Get("X-Amzn-Errortype"), doc, tc.wantType)
		}
	}
}

func TestCreateFunctionValidation(t *testing.T) {
	st := newStack(t, Options{})
	// Validation never runs the code; a tiny stand-in keeps requests small.
	bin := []byte("#!/bin/sh\nexit 0\n")
	zipOf := func(entries ...zipEntry) string { return base64.StdEncoding.EncodeToString(makeZip(entries...)) }
	good := zipOf(zipEntry{name: "bootstrap", mode: 0o755, data: bin})
	body := func(name, runtime, zip string, extra string) string {
		return `{"FunctionName":"` + name + `","Runtime":"` + runtime + `","Handler":"bootstrap","Role":"r","Code":{"ZipFile":"` + zip + `"}` + extra + `}`
	}
	for _, tc := range []struct {
		name, body, wantType, wantMsg string
		wantStatus                    int
	}{
		{"bad name", body("no/slash", "provided.al2023", good, ""), "InvalidParameterValueException", "functionName", 400},
		{"bad runtime", body("f1", "python3.12", good, ""), "InvalidParameterValueException", "python3.12", 400},
		{"no bootstrap", body("f2", "provided.al2023", zipOf(zipEntry{name: "main", mode: 0o755, data: bin}), ""), "InvalidParameterValueException", "no bootstrap", 400},
		{"bootstrap not executable", body("f3", "provided.al2023", zipOf(zipEntry{name: "bootstrap", mode: 0o644, data: bin}), ""), "InvalidParameterValueException", "not executable", 400},
		{"zip slip", body("f4", "provided.al2023", zipOf(zipEntry{name: "bootstrap", mode: 0o755, data: bin}, zipEntry{name: "../evil", mode: 0o644, data: []byte("x")}), ""), "InvalidParameterValueException", "outside the package", 400},
		{"not a zip", body("f5", "provided.al2023", base64.StdEncoding.EncodeToString([]byte("plain text")), ""), "InvalidParameterValueException", "Could not unzip", 400},
		{"timeout 0", body("f6", "provided.al2023", good, `,"Timeout":0`), "InvalidParameterValueException", "timeout", 400},
		{"reserved env", body("f7", "provided.al2023", good, `,"Environment":{"Variables":{"AWS_REGION":"x"}}`), "InvalidParameterValueException", "AWS_REGION", 400},
		{"image", body("f8", "provided.al2023", good, `,"PackageType":"Image"`), "InvalidParameterValueException", "Image", 400},
		{"no code", `{"FunctionName":"f9","Runtime":"provided.al2023"}`, "InvalidParameterValueException", "Code is required", 400},
		{"s3 without source", `{"FunctionName":"f10","Runtime":"provided.al2023","Code":{"S3Bucket":"b","S3Key":"k"}}`, "InvalidParameterValueException", "without an S3 code source", 400},
		{"bad json", `{"FunctionName":`, "InvalidRequestContentException", "Could not parse", 400},
		{"bad base64", `{"FunctionName":"f11","Runtime":"provided.al2023","Code":{"ZipFile":"%%%"}}`, "InvalidRequestContentException", "Could not parse", 400},
		{"layers", body("f12", "provided.al2023", good, `,"Layers":["arn:aws:lambda:us-east-1:000000000000:layer:x:1"]`), "InvalidParameterValueException", "layers", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, doc := rawCall(t, st, "POST", "/2015-03-31/functions", tc.body)
			msg, _ := doc["message"].(string)
			if status != tc.wantStatus || h.Get("X-Amzn-Errortype") != tc.wantType || !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", status, h.Get("X-Amzn-Errortype"), msg, tc.wantStatus, tc.wantType, tc.wantMsg)
			}
		})
	}
	if names := st.svc.FunctionNames(); len(names) != 0 {
		t.Errorf("failed creates left functions behind: %v", names)
	}
}

func TestCodeFromS3(t *testing.T) {
	var gotBucket, gotKey string
	st := newStack(t, Options{FetchCode: func(_ context.Context, bucket, key string) ([]byte, error) {
		gotBucket, gotKey = bucket, key
		if key != "fn.zip" {
			return nil, errors.New("NoSuchKey: The specified key does not exist.")
		}
		return echoZip, nil
	}})
	ctx := context.Background()
	st.create(t, "froms3", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{S3Bucket: aws.String("code"), S3Key: aws.String("fn.zip")}
	})
	if gotBucket != "code" || gotKey != "fn.zip" {
		t.Errorf("FetchCode got %s/%s", gotBucket, gotKey)
	}
	if r := st.invoke(t, "froms3", map[string]any{"echo": "s3"}); string(r.resp.Echo) != `"s3"` {
		t.Errorf("echo = %s", r.resp.Echo)
	}
	_, err := st.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("froms3"), S3Bucket: aws.String("code"), S3Key: aws.String("missing.zip"),
	})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), "NoSuchKey") {
		t.Errorf("UpdateFunctionCode from a missing key: %v, want InvalidParameterValueException naming NoSuchKey", err)
	}
}

func TestFunctionReferences(t *testing.T) {
	st := newStack(t, Options{Region: "eu-west-1", AccountID: "123456789012"})
	st.create(t, "refs", nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, qualifier string
		found           bool
	}{
		{"refs", "", true},
		{"arn:aws:lambda:eu-west-1:123456789012:function:refs", "", true},
		{"123456789012:function:refs", "", true},
		{"refs:$LATEST", "", true},
		{"refs", "$LATEST", true},
		{"refs", "1", false},
		{"refs:prod", "", false},
		{"arn:aws:lambda:us-east-1:123456789012:function:refs", "", false},
		{"arn:aws:lambda:eu-west-1:000000000000:function:refs", "", false},
	} {
		in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(tc.name)}
		if tc.qualifier != "" {
			in.Qualifier = aws.String(tc.qualifier)
		}
		out, err := st.client.GetFunctionConfiguration(ctx, in)
		var nf *types.ResourceNotFoundException
		switch {
		case tc.found && err != nil:
			t.Errorf("%s (qualifier %q): %v", tc.name, tc.qualifier, err)
		case tc.found && aws.ToString(out.FunctionArn) != "arn:aws:lambda:eu-west-1:123456789012:function:refs":
			t.Errorf("%s: FunctionArn %s", tc.name, aws.ToString(out.FunctionArn))
		case !tc.found && !errors.As(err, &nf):
			t.Errorf("%s (qualifier %q): err = %v, want ResourceNotFoundException", tc.name, tc.qualifier, err)
		}
	}
}

func TestUpdateCodeAndConfiguration(t *testing.T) {
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true})
	ctx := context.Background()
	st.create(t, "upd", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"MODE": "one"}}
	})
	first := st.invoke(t, "upd", map[string]any{"env": []string{"MODE"}})
	if first.resp.Env["MODE"] != "one" {
		t.Fatalf("MODE = %q", first.resp.Env["MODE"])
	}

	out, err := st.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("upd"),
		Environment:  &types.Environment{Variables: map[string]string{"MODE": "two"}},
		Timeout:      aws.Int32(7),
	})
	if err != nil {
		t.Fatalf("UpdateFunctionConfiguration: %v", err)
	}
	if aws.ToInt32(out.Timeout) != 7 || out.Environment.Variables["MODE"] != "two" || out.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("updated configuration = timeout %d env %v status %s", aws.ToInt32(out.Timeout), out.Environment.Variables, out.LastUpdateStatus)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(st.client).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("upd")}, 10e9); err != nil {
		t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
	}
	waitGone(t, first.resp.PID) // the warm environment had the old variables
	second := st.invoke(t, "upd", map[string]any{"env": []string{"MODE"}})
	if second.resp.Env["MODE"] != "two" || second.resp.PID == first.resp.PID {
		t.Errorf("after config update: MODE=%q pid %d (before %d), want two in a new process", second.resp.Env["MODE"], second.resp.PID, first.resp.PID)
	}
	if second.resp.DeadlineMs <= 6000 {
		t.Errorf("deadline in %d ms, want the new 7 s timeout", second.resp.DeadlineMs)
	}

	// New code: another package (an extra file makes it differ).
	zip2 := makeZip(zipEntry{name: "bootstrap", mode: 0o755, data: mustRead(t, echoBin)}, zipEntry{name: "VERSION", mode: 0o644, data: []byte("2")})
	code, err := st.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("upd"), ZipFile: zip2})
	if err != nil {
		t.Fatalf("UpdateFunctionCode: %v", err)
	}
	sum := sha256.Sum256(zip2)
	if aws.ToString(code.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("CodeSha256 after update = %s", aws.ToString(code.CodeSha256))
	}
	third := st.invoke(t, "upd", map[string]any{})
	if third.resp.Cwd == second.resp.Cwd || third.resp.PID == second.resp.PID {
		t.Errorf("after code update: cwd %s pid %d, want a new directory and process (was %s, %d)", third.resp.Cwd, third.resp.PID, second.resp.Cwd, second.resp.PID)
	}
	if _, err := readFileErr(second.resp.Cwd + "/bootstrap"); err == nil {
		t.Errorf("old code directory %s still exists", second.resp.Cwd)
	}
	if b, err := readFileErr(third.resp.Cwd + "/VERSION"); err != nil || string(b) != "2" {
		t.Errorf("new code directory lacks VERSION: %q %v", b, err)
	}

	// A broken package is refused and the function keeps its code.
	_, err = st.client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("upd"), ZipFile: makeZip(zipEntry{name: "README", mode: 0o644, data: []byte("no bootstrap")}),
	})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) || !strings.Contains(aws.ToString(ipv.Message), "README") {
		t.Errorf("UpdateFunctionCode without bootstrap: %v, want InvalidParameterValueException listing the entries", err)
	}
	if fourth := st.invoke(t, "upd", map[string]any{}); fourth.out.FunctionError != nil || fourth.resp.PID != third.resp.PID {
		t.Errorf("after a refused update: %s (pid %d, was %d)", fourth.out.Payload, fourth.resp.PID, third.resp.PID)
	}
}

func TestPermissions(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	st.create(t, "perm", nil)

	_, err := st.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("perm")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetPolicy without statements: %v, want ResourceNotFoundException", err)
	}
	add := &lambda.AddPermissionInput{
		FunctionName:  aws.String("perm"),
		StatementId:   aws.String("s3invoke"),
		Action:        aws.String("lambda:InvokeFunction"),
		Principal:     aws.String("s3.amazonaws.com"),
		SourceArn:     aws.String("arn:aws:s3:::faces-in"),
		SourceAccount: aws.String("000000000000"),
	}
	out, err := st.client.AddPermission(ctx, add)
	if err != nil {
		t.Fatalf("AddPermission: %v", err)
	}
	var stmt map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.Statement)), &stmt); err != nil {
		t.Fatalf("Statement %q: %v", aws.ToString(out.Statement), err)
	}
	if p, _ := stmt["Principal"].(map[string]any); p["Service"] != "s3.amazonaws.com" || stmt["Resource"] != "arn:aws:lambda:us-east-1:000000000000:function:perm" {
		t.Errorf("statement = %v", stmt)
	}
	cond, _ := stmt["Condition"].(map[string]any)
	if al, _ := cond["ArnLike"].(map[string]any); al["AWS:SourceArn"] != "arn:aws:s3:::faces-in" {
		t.Errorf("statement condition = %v", cond)
	}

	_, err = st.client.AddPermission(ctx, add)
	var conflict *types.ResourceConflictException
	if !errors.As(err, &conflict) || httpStatus(err) != http.StatusConflict {
		t.Errorf("duplicate AddPermission: %v, want ResourceConflictException 409", err)
	}

	pol, err := st.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("perm")})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) != 1 || doc.Statement[0]["Sid"] != "s3invoke" {
		t.Errorf("Policy = %s (%v)", aws.ToString(pol.Policy), err)
	}
	if aws.ToString(pol.RevisionId) == "" {
		t.Error("GetPolicy has no RevisionId")
	}

	if _, err := st.client.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("perm"), StatementId: aws.String("s3invoke")}); err != nil {
		t.Fatalf("RemovePermission: %v", err)
	}
	if _, err := st.client.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("perm")}); !errors.As(err, &nf) {
		t.Errorf("GetPolicy after removal: %v, want ResourceNotFoundException", err)
	}
	_, err = st.client.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("perm"), StatementId: aws.String("x"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("not a principal"),
	})
	var ipv *types.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Errorf("AddPermission with a bad principal: %v, want InvalidParameterValueException", err)
	}
}

func TestEventInvokeConfig(t *testing.T) {
	st := newStack(t, Options{})
	ctx := context.Background()
	st.create(t, "eic", nil)

	_, err := st.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eic")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetFunctionEventInvokeConfig before Put: %v, want ResourceNotFoundException", err)
	}
	if retries, _ := st.fn(t, "eic").asyncLimits(); retries != 2 {
		t.Errorf("default retries = %d, want 2 like Lambda", retries)
	}
	put, err := st.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("eic"), MaximumRetryAttempts: aws.Int32(0), MaximumEventAgeInSeconds: aws.Int32(120),
	})
	if err != nil {
		t.Fatalf("PutFunctionEventInvokeConfig: %v", err)
	}
	if aws.ToInt32(put.MaximumRetryAttempts) != 0 || aws.ToInt32(put.MaximumEventAgeInSeconds) != 120 ||
		aws.ToString(put.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:eic:$LATEST" || put.LastModified == nil {
		t.Errorf("Put output = %+v", put)
	}
	got, err := st.client.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("eic")})
	if err != nil {
		t.Fatalf("GetFunctionEventInvokeConfig: %v", err)
	}
	if got.MaximumRetryAttempts == nil || *got.MaximumRetryAttempts != 0 {
		t.Errorf("MaximumRetryAttempts = %v, want 0", got.MaximumRetryAttempts)
	}
	// What provisioning does: Put again carrying over what Get returned.
	if _, err := st.client.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{
		FunctionName: aws.String("eic"), MaximumRetryAttempts: aws.Int32(1),
		MaximumEventAgeInSeconds: got.MaximumEventAgeInSeconds, DestinationConfig: got.DestinationConfig,
	}); err != nil {
		t.Fatalf("Put with the returned DestinationConfig: %v", err)
	}
	if retries, age := st.fn(t, "eic").asyncLimits(); retries != 1 || age.Seconds() != 120 {
		t.Errorf("limits = %d, %v; want 1, 2m", retries, age)
	}
	for _, in := range []*lambda.PutFunctionEventInvokeConfigInput{
		{FunctionName: aws.String("eic"), MaximumRetryAttempts: aws.Int32(3)},
		{FunctionName: aws.String("eic"), MaximumEventAgeInSeconds: aws.Int32(10)},
		{FunctionName: aws.String("eic"), DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:000000000000:dlq")}}},
	} {
		_, err := st.client.PutFunctionEventInvokeConfig(ctx, in)
		var ipv *types.InvalidParameterValueException
		if !errors.As(err, &ipv) || httpStatus(err) != 400 {
			t.Errorf("Put %+v: %v, want InvalidParameterValueException 400", in, err)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := readFileErr(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEphemeralStorageIsConfigured: EphemeralStorage.Size (512 to 10240 MB)
// is taken by CreateFunction and UpdateFunctionConfiguration and shown in
// the configuration, as Lambda does; other sizes are refused.
func TestEphemeralStorageIsConfigured(t *testing.T) {
	s := newStack(t, Options{})
	out := s.create(t, "scratch", func(in *lambda.CreateFunctionInput) {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(2048)}
	})
	if got := aws.ToInt32(out.EphemeralStorage.Size); got != 2048 {
		t.Errorf("CreateFunction: EphemeralStorage %d, want 2048", got)
	}
	ctx := context.Background()
	upd, err := s.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("scratch"), EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(10240)},
	})
	if err != nil || aws.ToInt32(upd.EphemeralStorage.Size) != 10240 {
		t.Fatalf("UpdateFunctionConfiguration to 10240: %v, %+v", err, upd)
	}
	for _, size := range []int32{511, 10241} {
		_, err := s.client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("scratch"), EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(size)},
		})
		if httpStatus(err) != http.StatusBadRequest || !strings.Contains(err.Error(), "ephemeralStorage.size") {
			t.Errorf("EphemeralStorage %d: %v, want 400 naming ephemeralStorage.size", size, err)
		}
	}
	got, err := s.client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("scratch")})
	if err != nil || aws.ToInt32(got.EphemeralStorage.Size) != 10240 {
		t.Errorf("after refused updates: %v, EphemeralStorage %+v, want 10240", err, got)
	}
}
