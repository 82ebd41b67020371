package deploy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/facevec/facevec/localstack/provision"
)

// TestBackfillScript: make backfill lists the input bucket, writes a CSV
// manifest of the image keys (URL-encoded, as Batch Operations reads them)
// under backfill/ in the output bucket, and creates one job that invokes
// the function with the template's role and reports into the output bucket.
func TestBackfillScript(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	f.stack(outs, true)
	in, out := outs["InputBucketName"], outs["OutputBucketName"]
	f.bucket(in)
	f.write("keys-"+in, []byte("old/a b.jpg\nold/IMG_0001.JPG\nold/notes.txt\nold/sub/100% real.png\nnew/c.jpg\nold/folder/\n"))

	r := f.run("backfill.sh", map[string]string{"AWS_REGION": "eu-west-1", "PREFIX": "old/"})
	if r.code != 0 {
		t.Fatalf("backfill.sh exit %d\n%s", r.code, r.stderr)
	}
	if strings.TrimSpace(r.stdout) != "00000000-fake-job" {
		t.Errorf("stdout %q, want the job id", r.stdout)
	}
	puts := f.calledWith("s3api put-object")
	if len(puts) != 1 || option(puts[0], "bucket") != out || !strings.HasPrefix(option(puts[0], "key"), "backfill/manifests/") {
		t.Fatalf("put-object calls %v; want one manifest under backfill/manifests/ in %s", puts, out)
	}
	key := option(puts[0], "key")
	manifest := f.read("put-" + out + "-" + strings.ReplaceAll(key, "/", "_"))
	want := in + ",old%2Fa%20b.jpg\n" + in + ",old%2FIMG_0001.JPG\n" + in + ",old%2Fsub%2F100%25%20real.png\n"
	if manifest != want {
		t.Errorf("manifest\n%s\nwant\n%s", manifest, want)
	}

	var job struct {
		Operation struct{ LambdaInvoke struct{ FunctionArn string } }
		Manifest  struct {
			Spec struct {
				Format string
				Fields []string
			}
			Location struct{ ObjectArn, ETag string }
		}
		Report struct {
			Bucket, Prefix, Format, ReportScope string
			Enabled                             bool
		}
	}
	for name, dst := range map[string]any{"operation": &job.Operation, "manifest": &job.Manifest, "report": &job.Report} {
		if err := json.Unmarshal([]byte(f.read("job-"+name+".json")), dst); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
	}
	c := f.calledWith("s3control create-job")[0]
	if option(c, "account-id") != fakeAccount || option(c, "role-arn") != outs["BatchOperationsRoleArn"] || !strings.Contains(strings.Join(c, " "), "--no-confirmation-required") {
		t.Errorf("create-job %v; want account %s, the template's role, no confirmation", c, fakeAccount)
	}
	if job.Operation.LambdaInvoke.FunctionArn != outs["FunctionArn"] {
		t.Errorf("operation %+v; want LambdaInvoke of %s", job.Operation, outs["FunctionArn"])
	}
	if job.Manifest.Spec.Format != "S3BatchOperations_CSV_20180820" || strings.Join(job.Manifest.Spec.Fields, ",") != "Bucket,Key" ||
		job.Manifest.Location.ObjectArn != "arn:aws:s3:::"+out+"/"+key || job.Manifest.Location.ETag != "0123abcd" {
		t.Errorf("manifest %+v; want the CSV just written, ETag unquoted", job.Manifest)
	}
	if job.Report.Bucket != "arn:aws:s3:::"+out || job.Report.Prefix != "backfill/reports" || !job.Report.Enabled || job.Report.ReportScope != "AllTasks" {
		t.Errorf("report %+v; want every task reported under backfill/reports in the output bucket", job.Report)
	}
}

// TestBackfillScriptRefuses: a bucket the function may not read, an
// inventory the job's role may not read, or nothing to encode is an error
// before any job exists.
func TestBackfillScriptRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"other bucket":        {map[string]string{"BUCKET": "someone-elses"}, "may read only"},
		"inventory elsewhere": {map[string]string{"INVENTORY": "s3://inv-bucket/x/manifest.json"}, "backfill/.../manifest.json"},
		"nothing to encode":   {map[string]string{"PREFIX": "empty/"}, "no object with an image suffix"},
		"job refused":         {map[string]string{"FAKE_JOB_FAIL": "1"}, "Access Denied"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAWS(t)
			outs := stackOutputs("eu-west-1")
			f.stack(outs, true)
			f.bucket(outs["InputBucketName"])
			f.write("keys-"+outs["InputBucketName"], []byte("a.jpg\n"))
			env := map[string]string{"AWS_REGION": "eu-west-1"}
			for k, v := range tc.env {
				env[k] = v
			}
			r := f.run("backfill.sh", env)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", r.code, r.stderr, tc.want)
			}
			if tc.env["FAKE_JOB_FAIL"] == "" && len(f.calledWith("s3control create-job")) > 0 {
				t.Error("a job was created")
			}
		})
	}
}

// TestBackfillWithoutRole: the Batch Operations role exists only with
// BackfillRole=true (issue #28: it was always created); without it the
// script says how to get one, before writing a manifest.
func TestBackfillWithoutRole(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	delete(outs, "BatchOperationsRoleArn")
	f.stack(outs, true)
	f.bucket(outs["InputBucketName"])
	f.write("keys-"+outs["InputBucketName"], []byte("a.jpg\n"))
	r := f.run("backfill.sh", map[string]string{"AWS_REGION": "eu-west-1"})
	if r.code == 0 || !strings.Contains(r.stderr, "BACKFILL_ROLE=true") {
		t.Fatalf("exit %d: want the hint to deploy with BACKFILL_ROLE=true", r.code)
	}
	if len(f.calledWith("s3api put-object")) != 0 || len(f.calledWith("s3control create-job")) != 0 {
		t.Errorf("wrote a manifest or created a job without a role")
	}
	// deploy.sh passes the setting on.
	g := newFakeAWS(t)
	g.stack(stackOutputs("eu-west-1"), false)
	if r := g.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t), "BACKFILL_ROLE": "true"}); r.code != 0 {
		t.Fatalf("deploy exit %d", r.code)
	}
	if got := g.params()["BackfillRole"]; got != "true" {
		t.Errorf("BackfillRole=%q, want true", got)
	}
}

// TestDeployBufferedExistingBucket: with BufferWithQueue an existing input
// bucket notifies the stack's queue, not the function, for every suffix,
// keeping other configurations, and the buffering parameters reach the
// stack.
func TestDeployBufferedExistingBucket(t *testing.T) {
	f := newFakeAWS(t)
	outs := stackOutputs("eu-west-1")
	outs["InputBucketName"], outs["InputBucketCreated"] = "photos", "false"
	queue := "arn:aws:sqs:eu-west-1:" + fakeAccount + ":facevec-IngestQueue-X"
	outs["IngestQueueArn"] = queue
	f.stack(outs, false)
	f.bucket("facevec-" + fakeAccount + "-eu-west-1-code")
	f.write("notification-photos.json", []byte(foreignNotifications))
	r := f.run("deploy.sh", map[string]string{
		"AWS_REGION": "eu-west-1", "SMOKE": "0", "FUNCTION_ZIP": writeZip(t),
		"EXISTING_INPUT_BUCKET": "photos", "FAKE_BUCKET_LOCATION": `"eu-west-1"`,
		"BUFFER_WITH_QUEUE": "true", "QUEUE_BATCH_SIZE": "50", "QUEUE_BATCHING_WINDOW_S": "5",
		"QUEUE_MAX_CONCURRENCY": "20", "QUEUE_MAX_RECEIVE_COUNT": "3", "QUEUE_VISIBILITY_TIMEOUT_S": "900",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	overrides := parameterOverrides(f.calledWith("cloudformation deploy")[0])
	for k, v := range map[string]string{"BufferWithQueue": "true", "QueueBatchSize": "50", "QueueBatchingWindowSeconds": "5",
		"QueueMaxConcurrency": "20", "QueueMaxReceiveCount": "3", "QueueVisibilityTimeout": "900"} {
		if overrides[k] != v {
			t.Errorf("parameter %s=%q, want %q", k, overrides[k], v)
		}
	}
	var nc struct {
		QueueConfigurations []struct {
			ID    string `json:"Id"`
			Queue string `json:"QueueArn"`
		}
		LambdaFunctionConfigurations []struct {
			ID  string `json:"Id"`
			ARN string `json:"LambdaFunctionArn"`
		}
	}
	if err := json.Unmarshal([]byte(f.read("notification-photos.json")), &nc); err != nil {
		t.Fatal(err)
	}
	ours := 0
	for _, c := range nc.QueueConfigurations {
		if c.Queue == queue && strings.HasPrefix(c.ID, "facevec-facevec-") {
			ours++
		}
	}
	if ours != len(provision.DefaultSuffixes) || len(nc.QueueConfigurations) != ours+1 {
		t.Errorf("queue configurations %+v; want one per suffix to %s and the foreign one kept", nc.QueueConfigurations, queue)
	}
	for _, c := range nc.LambdaFunctionConfigurations {
		if c.ARN == outs["FunctionArn"] {
			t.Errorf("the function is notified directly too: %+v", c)
		}
	}
	if r := f.run("deploy.sh", map[string]string{"AWS_REGION": "eu-west-1", "SMOKE": "0", "BUFFER_WITH_QUEUE": "yes", "FUNCTION_ZIP": writeZip(t)}); r.code == 0 || !strings.Contains(r.stderr, "want true or false") {
		t.Errorf("BUFFER_WITH_QUEUE=yes: exit %d, stderr %q", r.code, r.stderr)
	}
}
