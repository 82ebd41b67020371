// Package e2e holds facevec's end-to-end tests. They sit behind the build
// tag e2e, so `go test ./...` compiles nothing here; `make e2e` runs
//
//	go test -tags e2e -count=1 -v ./e2e/...
//
// The suite starts an AWS-like stack through the harness
// (localstack.Start), deploys dist/function.zip with provision.Apply,
// uploads every fixture of fixtures/manifest.json (plus copies under deeper
// and odder keys) through the S3 API, waits for each result object and
// checks it against the manifest and fixtures/golden/results.jsonl. The whole
// deployment is torn down at the end, after a failure and on SIGINT/SIGTERM.
//
// Environment:
//
//	E2E_BACKEND             localstack | embedded | aws. Default: LocalStack when
//	                        a Docker engine answers, else the embedded stand-in.
//	FACEVEC_ZIP             the function package (make package); default
//	                        dist/function.zip in the checkout.
//	FACEVEC_EXTRA_FIXTURES  optional directory of extra .jpg photos (e.g.
//	                        /work/shared/testdata/faces); they are uploaded too
//	                        and its documented reference facts are checked.
//	E2E_WAIT                bound on waiting for all results (Go duration,
//	                        default 5m; also capped by go test -timeout).
//	E2E_LOG_LEVEL           harness log level on stderr (default WARN).
//	FACEVEC_AWSCLI          AWS CLI used by TestAWSCLI (default /usr/bin/aws;
//	                        the test skips when it is missing).
//	FACEVEC_BIN             facevec CLI used by TestAWSCLI (default: built
//	                        from ./cmd/facevec into a temporary directory).
//
// Real AWS (E2E_BACKEND=aws) also needs credentials from the default chain
// (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN]),
// a region (AWS_REGION), and FACEVEC_ROLE_ARN: an execution role Lambda can
// assume with s3:GetObject on the input bucket, s3:PutObject/GetObject/
// ListBucket on the output bucket and CloudWatch Logs. Buckets and the
// function get a random suffix and are deleted, with their objects, when
// the run ends. A run killed with SIGKILL (or by go test's -timeout panic)
// cannot clean up; the names printed at start-up say what to delete.
//
// BenchmarkUploadToResult (bench_test.go) deploys its own function with the
// Lambda's default settings and measures upload → result object visible
// against the function's encode time; `make bench` runs it each round:
//
//	go test -tags e2e -run '^$' -bench UploadToResult -benchtime 20x ./e2e
package e2e
