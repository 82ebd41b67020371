package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// envChildArgs makes the test binary run main() with these arguments (a
// JSON list): the command as a process of its own, signals and exit
// status included.
const envChildArgs = "FACEVEC_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(envChildArgs); ok {
		os.Args = []string{"facevec"}
		if err := json.Unmarshal([]byte(args), &os.Args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// slowAWS answers what `facevec backfill` asks of S3 and Lambda: a
// listing of keys, the function's configuration, and invocations that
// are held until release is closed, then answered Succeeded.
type slowAWS struct {
	keys     []string
	invoked  chan struct{} // one value per invocation that arrived
	release  chan struct{}
	mu       sync.Mutex
	answered int // invocations answered
}

func (f *slowAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/configuration"):
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"FunctionName":"fn","FunctionArn":"arn:aws:lambda:us-east-1:000000000000:function:fn","LastModified":"t1","CodeSha256":"c","Environment":{"Variables":{"OUTPUT_BUCKET":"out"}}}`)
	case r.Method == http.MethodGet && r.URL.Path == "/photos":
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`)
		fmt.Fprintf(&b, "<KeyCount>%d</KeyCount>", len(f.keys))
		for _, k := range f.keys {
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><ETag>"e-%s"</ETag><Size>1</Size></Contents>`, k, k)
		}
		b.WriteString(`</ListBucketResult>`)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, b.String())
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invocations"):
		var ev events.S3BatchJobEventV2
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.invoked <- struct{}{}
		<-f.release
		resp := events.S3BatchJobResponse{InvocationSchemaVersion: "2.0", InvocationID: ev.InvocationID, TreatMissingKeysAs: "PermanentFailure"}
		for _, t := range ev.Tasks {
			resp.Results = append(resp.Results, events.S3BatchJobResult{TaskID: t.TaskID, ResultCode: "Succeeded", ResultString: `{"faces":1}`})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
		f.mu.Lock()
		f.answered++
		f.mu.Unlock()
	default:
		http.Error(w, "not served: "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
	}
}

// backfillRun is `facevec backfill` as a process against a slowAWS,
// with a checkpoint in a fresh directory.
type backfillRun struct {
	fake           *slowAWS
	release        func() // answers the invocations held
	cmd            *exec.Cmd
	checkpoint     string
	stdout, stderr bytes.Buffer
}

// startBackfill starts the command, wrapped in wrap (e.g. timeout) if
// given, in a process group of its own, and waits until its first
// invocation arrives (held until release).
func startBackfill(t *testing.T, wrap ...string) *backfillRun {
	t.Helper()
	r := &backfillRun{fake: &slowAWS{keys: []string{"a.jpg", "b.jpg", "c.jpg", "d.jpg"}, invoked: make(chan struct{}, 8), release: make(chan struct{})}}
	srv := httptest.NewServer(r.fake)
	t.Cleanup(srv.Close)
	var once sync.Once
	r.release = func() { once.Do(func() { close(r.fake.release) }) }
	t.Cleanup(r.release)
	r.checkpoint = filepath.Join(t.TempDir(), "checkpoint.jsonl")
	argv := append(wrap, os.Args[0])
	r.cmd = exec.Command(argv[0], argv[1:]...)
	args, _ := json.Marshal([]string{"facevec", "backfill", "--bucket", "photos", "--function", "fn",
		"--batch-size", "2", "--parallel", "1", "--checkpoint", r.checkpoint})
	r.cmd.Env = append(os.Environ(), envChildArgs+"="+string(args),
		"AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_PROFILE=")
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.fake.invoked:
	case <-time.After(time.Minute):
		_ = r.cmd.Process.Kill()
		t.Fatalf("no invocation arrived\n%s", r.stderr.String())
	}
	return r
}

// wait waits for the process and returns how it ended.
func (r *backfillRun) wait(t *testing.T) (*exec.ExitError, syscall.WaitStatus) {
	t.Helper()
	err := r.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("facevec backfill: %v; want an exit status\nstdout:\n%s\nstderr:\n%s", err, r.stdout.String(), r.stderr.String())
	}
	return exit, exit.Sys().(syscall.WaitStatus)
}

// checkInterrupted: the report was printed, the invocation under way was
// answered and checkpointed, and nothing new was sent.
func (r *backfillRun) checkInterrupted(t *testing.T) {
	t.Helper()
	if !strings.Contains(r.stdout.String(), "invocations:     1") || !strings.Contains(r.stderr.String(), "interrupted") {
		t.Errorf("no report of one invocation and the interruption:\nstdout:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
	}
	data, _ := os.ReadFile(r.checkpoint)
	var keys []string
	for l := range strings.Lines(string(data)) {
		var e struct{ Key string }
		if json.Unmarshal([]byte(l), &e) == nil {
			keys = append(keys, e.Key)
		}
	}
	if strings.Join(keys, ",") != "a.jpg,b.jpg" {
		t.Errorf("checkpoint holds %q; want the answered invocation's a.jpg,b.jpg", keys)
	}
	r.fake.mu.Lock()
	defer r.fake.mu.Unlock()
	if r.fake.answered != 1 {
		t.Errorf("%d invocations answered; want 1 (nothing new sent after the signals)", r.fake.answered)
	}
}

// TestBackfillTwoSignalsAtOnce: `timeout -s INT` sends SIGINT to the
// command and then to its process group, so the command gets two at
// once. They count as one Ctrl-C: the invocation under way is waited for,
// its answer reaches the checkpoint, nothing new is sent, and the report
// is printed with the "interrupted" exit status 1. A second Ctrl-C well
// after the first still ends the process at once.
func TestBackfillTwoSignalsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  time.Duration // between the two signals
	}{
		{"together", 0},
		// Far enough apart for the first to have been handled (two at
		// once may merge into one pending signal), close enough to be
		// one interruption.
		{"50 ms apart", 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startBackfill(t)
			// What timeout does: the command, then its group.
			if err := syscall.Kill(r.cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tc.gap)
			if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			// Answer the invocation under way once the signals are in.
			time.AfterFunc(200*time.Millisecond, r.release)
			if exit, status := r.wait(t); status.Signaled() || status.ExitStatus() != 1 {
				t.Errorf("two signals %v apart: %v; want exit status 1 (interrupted), not death by the second signal\nstderr:\n%s", tc.gap, exit, r.stderr.String())
			}
			r.checkInterrupted(t)
		})
	}

	t.Run("under timeout -s INT", func(t *testing.T) {
		if _, err := exec.LookPath("timeout"); err != nil {
			t.Skip("no timeout(1) here")
		}
		start := time.Now()
		r := startBackfill(t, "timeout", "-s", "INT", "3")
		// The invocation is answered once timeout has signalled.
		time.AfterFunc(3500*time.Millisecond-time.Since(start), r.release)
		if exit, status := r.wait(t); status.ExitStatus() != 124 {
			t.Errorf("timeout: %v; want its 124 (the command timed out)", exit)
		}
		r.checkInterrupted(t)
	})

	t.Run("a second ctrl-c later", func(t *testing.T) {
		r := startBackfill(t)
		if err := syscall.Kill(r.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if err := syscall.Kill(r.cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if exit, status := r.wait(t); !status.Signaled() || status.Signal() != syscall.SIGINT {
			t.Errorf("a second Ctrl-C 2 s after the first: %v; want the process ended by SIGINT", exit)
		}
	})
}
