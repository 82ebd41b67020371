//go:build e2e

package reliability

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/facevec/facevec/localstack/embedded/lambdasvc"
	"github.com/facevec/facevec/localstack/embedded/s3svc"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// TestKilledMidInvocation SIGKILLs the function's process while it is
// busy encoding a large photo, as an out-of-memory kill or a host failure
// would. Lambda must retry the event (MaximumRetryAttempts 1) on a fresh
// process, and the result must be written, once.
func TestKilledMidInvocation(t *testing.T) {
	st := newStack(t, stackConfig{
		maxConcurrency: 1, // one process, so the one found is the one encoding
		spec: provision.Spec{
			MaxRetryAttempts: aws.Int32(1),
			TimeoutS:         120,
			// Full-resolution detection on a 12 MP photo upsampled once
			// takes well over a second (6 MP at upsample 0 took under the
			// half second waited for below once the HOG scanner got 3x
			// faster), which leaves time to find the process and kill it.
			Env: map[string]string{"MAX_SIDE": "0", "UPSAMPLE": "1"},
		},
	})
	const key = "big/kill me.jpg"
	img := largePhoto(t, 4000, 3000, 1000)
	etag, err := st.put(ctxFor(t, time.Minute), key, img)
	if err != nil {
		t.Fatal(err)
	}

	// The process is up once it logged "init done"; it is encoding once
	// it has burnt CPU after that (waiting for work costs none).
	waitFor(t, 90*time.Second, "the function process to finish init", func() bool {
		return strings.Contains(st.functionLogs(), `"msg":"init done"`)
	})
	procs, err := bootstrapProcs(st.workDir)
	if err != nil || len(procs) != 1 {
		t.Fatalf("want exactly one function process, found %v (%v)", procs, err)
	}
	victim := procs[0]
	base, err := cpuTicks(victim.pid)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "the function process to start encoding", func() bool {
		n, err := cpuTicks(victim.pid)
		return err == nil && n-base >= 50 // half a second of CPU at 100 Hz
	})
	if _, err := st.s3.HeadObject(ctxFor(t, 30*time.Second), &s3.HeadObjectInput{Bucket: aws.String(outBucket), Key: aws.String(resultKey(key))}); err == nil {
		t.Fatal("the result was written before the process could be killed: the image encodes too fast for this test")
	} else if !errors.As(err, new(*types.NotFound)) {
		t.Fatalf("HeadObject of the result: %v", err)
	}
	// The process talks to its Runtime API over loopback only.
	if api, err := environOf(victim.pid, "AWS_LAMBDA_RUNTIME_API"); err != nil {
		t.Error(err)
	} else if host, _, err := net.SplitHostPort(api); err != nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("AWS_LAMBDA_RUNTIME_API=%s is not a loopback address", api)
	}
	killed := time.Now()
	if err := syscall.Kill(victim.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", victim.pid, err)
	}
	t.Logf("killed function process %d (%s) mid-encoding", victim.pid, victim.exe)

	st.settle(t)
	t.Logf("result %v after the kill", time.Since(killed).Round(time.Millisecond))
	st.noDeadLetters(t)
	r := st.result(t, key)
	if r.Error != nil || len(r.Faces) != 1 || r.Source.ETag != etag {
		t.Errorf("result: error %+v, %d faces, etag %s; want one face for etag %s", r.Error, len(r.Faces), r.Source.ETag, etag)
	}
	logs := st.functionLogs()
	lines := parseLines(logs)
	if n := writes(lines)[key]; n != 1 {
		t.Errorf("result written %d times, want exactly once", n)
	}
	inits := 0
	for _, l := range lines {
		if l.str("msg") == "init done" {
			inits++
		}
	}
	if exits := strings.Count(logs, "Runtime.ExitError"); exits != 1 || inits != 2 {
		t.Errorf("%d Runtime.ExitError and %d process starts in the logs, want 1 (the kill) and 2 (the retry on a fresh process)", exits, inits)
	}
	if !strings.Contains(st.log.String(), "lambda async invocation failed, retrying") {
		t.Error("the stack did not log a retry of the killed invocation")
	}
	if procs, _ := bootstrapProcs(st.workDir); len(procs) == 1 && procs[0].pid == victim.pid {
		t.Errorf("process %d still listed after SIGKILL", victim.pid)
	}
	assertLogHygiene(t, "function logs", logs, []string{st.secret}, nil)
}

// TestTimeout deploys functions whose timeout is shorter than the work and
// checks that no upload is lost: each ends as a result object with code
// timeout, or as a dead letter that names it. Which one happens is logged.
func TestTimeout(t *testing.T) {
	t.Run("dlib outlives a 2 s timeout", func(t *testing.T) {
		// Full-resolution detection with upsampling on a 12 MP photo takes
		// far longer than 2 s; dlib cannot be interrupted, so Lambda kills
		// the process at the deadline.
		st := newStack(t, stackConfig{maxConcurrency: 1, spec: provision.Spec{
			TimeoutS: 2, MaxRetryAttempts: aws.Int32(1),
			Env: map[string]string{"MAX_SIDE": "0", "UPSAMPLE": "1"},
		}})
		const key = "big/too slow.jpg"
		if _, err := st.put(ctxFor(t, time.Minute), key, largePhoto(t, 4000, 3000, 1000)); err != nil {
			t.Fatal(err)
		}
		st.settle(t)
		outcome := timeoutOutcome(t, st, key)
		t.Logf("outcome: %s", outcome)
		// Killed by Lambda (Sandbox.Timedout) or failed by the handler
		// after writing its timeout result: either way after the retry.
		for _, d := range st.srv.Lambda().DeadLetters() {
			if d.Attempts != 2 || d.ErrorType == "" {
				t.Errorf("dead letter: %q after %d attempts, want an error after 2 (one retry)", d.ErrorType, d.Attempts)
			}
		}

		// A read that outlasts the work deadline (the Lambda deadline
		// minus the handler's safety margin) is cut off by the context,
		// and the margin leaves time to write a timeout result; the failed
		// invocation is retried, and the retry (the fault is gone) writes
		// the real result over it.
		t.Run("slow GetObject past the deadline", func(t *testing.T) {
			const key = "slow/read.jpg"
			if err := st.faults.Add(s3svc.Fault{Op: s3svc.OpGetObject, Bucket: inBucket, KeyPrefix: key, Times: 1, Delay: 5 * time.Second}); err != nil {
				t.Fatal(err)
			}
			dead := len(st.srv.Lambda().DeadLetters())
			if _, err := st.put(ctxFor(t, time.Minute), key, fixture(t, "people/hopper-crop.jpg")); err != nil {
				t.Fatal(err)
			}
			st.settle(t)
			if !strings.Contains(st.functionLogs(), "s3://faces-in/slow/read.jpg: ran out of time while reading it") {
				t.Error("the first attempt did not write a timeout result")
			}
			// The retry has 1 s of work time: usually enough for this small
			// photo, not always on a loaded machine. Either way nothing is
			// lost: the real result, or a timeout result and a dead letter.
			newLetters := len(st.srv.Lambda().DeadLetters()) - dead
			switch r := st.result(t, key); {
			case r.Error == nil && len(r.Faces) == 1 && newLetters == 0:
				t.Log("the retry wrote the real result")
			case r.Error != nil && r.Error.Code == result.CodeTimeout && newLetters == 1:
				t.Log("the retry ran out of time too: timeout result and a dead letter")
			default:
				t.Errorf("final result: error %+v, %d faces, %d new dead letters; want the real result, or a timeout result and one dead letter",
					r.Error, len(r.Faces), newLetters)
			}
		})
	})

	t.Run("1 s timeout, all of it safety margin", func(t *testing.T) {
		// The handler keeps max(1 s, 5 %) of the remaining time for writing
		// results; with a 1 s timeout nothing is left for the work.
		st := newStack(t, stackConfig{spec: provision.Spec{TimeoutS: 1, MaxRetryAttempts: aws.Int32(0)}})
		const key = "people/hopper.jpg"
		if _, err := st.put(ctxFor(t, time.Minute), key, fixture(t, "people/hopper-crop.jpg")); err != nil {
			t.Fatal(err)
		}
		st.settle(t)
		t.Logf("outcome: %s", timeoutOutcome(t, st, key))
	})
}

// timeoutOutcome checks that key was not lost: it has a result with code
// timeout and a dead letter whose event names it (the handler saw the
// deadline), or only the dead letter (Lambda killed the process first). It
// returns which.
func timeoutOutcome(t *testing.T, st *stack, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(outBucket), Key: aws.String(resultKey(key))})
	hasResult := err == nil
	if err != nil && !errors.As(err, new(*types.NotFound)) {
		t.Fatalf("HeadObject of the result: %v", err)
	}
	var letters []lambdasvc.DeadLetter
	for _, d := range st.srv.Lambda().DeadLetters() {
		if strings.Contains(string(d.Payload), eventKey(key)) {
			letters = append(letters, d)
		}
	}
	switch {
	case hasResult:
		// The handler wrote what happened and failed the invocation, so
		// that Lambda retried it and then gave it to the failure
		// destination: a timeout is never only a log line.
		r := st.result(t, key)
		wantError(t, r, key, result.CodeTimeout, "ran out of time")
		if len(letters) == 0 {
			t.Errorf("a timeout result but no dead letter for %s: nothing retried it or reported it", key)
		}
		return "timeout result and dead letter"
	case len(letters) > 0:
		for _, d := range letters {
			t.Logf("dead letter: %d attempts, %s: %s (%s)", d.Attempts, d.ErrorType, d.ErrorMessage, d.Reason)
		}
		return "dead letter"
	default:
		t.Fatalf("upload %s lost: no result and no dead letter", key)
		return ""
	}
}
