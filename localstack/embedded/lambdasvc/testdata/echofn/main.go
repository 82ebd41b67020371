// Command echofn is the test function of lambdasvc: a provided.al2023
// bootstrap built with aws-lambda-go. What it does per event is driven by
// the event, so tests can make it echo, sleep, fail, panic, exit and report
// its process and environment. Env ECHOFN_INIT_EXIT and ECHOFN_INIT_ERROR
// make it fail at start-up.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Echo     json.RawMessage `json:"echo"`      // with echo_only: the whole response
	EchoOnly bool            `json:"echo_only"` // answer exactly Echo (deterministic, for comparisons)
	SleepMs  int             `json:"sleep_ms"`
	Fail     string          `json:"fail"`  // return an error with this message
	Panic    string          `json:"panic"` // panic with this message
	Exit     *int            `json:"exit"`  // os.Exit mid-invocation
	Env      []string        `json:"env"`   // report these variables
	EnvNames bool            `json:"env_names"`
	Spawn    bool            `json:"spawn"`    // start a child that sleeps (must die with the group)
	Escape   bool            `json:"escape"`   // with spawn: the child leaves the group (setsid)
	KillAll  bool            `json:"kill_all"` // kill(-1, SIGKILL): every process this one may signal
	Print    string          `json:"print"`    // write this line to stdout and stderr
	// BogusPost posts a response for a made-up request id to the Runtime
	// API and reports what came back.
	BogusPost bool `json:"bogus_post"`
	Big       int  `json:"big"` // answer with a string of this many bytes
	// What the sandbox tests probe: read or write a file (an error is the
	// function's error), allocate and touch this many MiB, report which
	// paths exist, the size of a file system, and the process's ids.
	Read    string   `json:"read"`
	Write   string   `json:"write"`
	WriteMB int      `json:"write_mb"` // with write: this many MiB instead of "written"
	AllocMB int      `json:"alloc_mb"`
	Exists  []string `json:"exists"`
	Statfs  string   `json:"statfs"`
}

type response struct {
	Echo       json.RawMessage   `json:"echo,omitempty"`
	PID        int               `json:"pid"`
	PPID       int               `json:"ppid"`
	Cwd        string            `json:"cwd"`
	RequestID  string            `json:"request_id"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadline_in_ms"`
	Env        map[string]string `json:"env,omitempty"`
	EnvNames   []string          `json:"env_names,omitempty"`
	ChildPID   int               `json:"child_pid,omitempty"`
	Bogus      *bogusResult      `json:"bogus,omitempty"`
	Big        string            `json:"big,omitempty"`
	Client     json.RawMessage   `json:"client_context,omitempty"`
	UID        int               `json:"uid"`
	GID        int               `json:"gid"`
	Read       string            `json:"read,omitempty"`
	Existing   []string          `json:"existing,omitempty"`
	FSBytes    int64             `json:"fs_bytes,omitempty"`
}

type bogusResult struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

func handle(ctx context.Context, ev event) (any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	reqID := ""
	if lc != nil {
		reqID = lc.AwsRequestID
	}
	fmt.Printf("echofn invoked request_id=%s pid=%d\n", reqID, os.Getpid())
	if ev.Print != "" {
		fmt.Println(ev.Print)
		fmt.Fprintln(os.Stderr, ev.Print)
	}
	if ev.SleepMs > 0 {
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	if ev.Exit != nil {
		os.Exit(*ev.Exit)
	}
	if ev.KillAll {
		// Spares the caller (Linux); an error means nothing could be signalled.
		_ = syscall.Kill(-1, syscall.SIGKILL)
	}
	if ev.Panic != "" {
		panic(ev.Panic)
	}
	if ev.Fail != "" {
		return nil, errors.New(ev.Fail)
	}
	if ev.EchoOnly {
		return ev.Echo, nil
	}
	if err := probe(&ev); err != nil {
		return nil, err
	}
	cwd, _ := os.Getwd()
	resp := response{Echo: ev.Echo, PID: os.Getpid(), PPID: os.Getppid(), Cwd: cwd, RequestID: reqID,
		UID: os.Getuid(), GID: os.Getgid()}
	if ev.Read != "" {
		b, _ := os.ReadFile(ev.Read) // probe checked it
		resp.Read = string(b)
	}
	for _, p := range ev.Exists {
		if _, err := os.Lstat(p); err == nil {
			resp.Existing = append(resp.Existing, p)
		}
	}
	if ev.Statfs != "" {
		var st syscall.Statfs_t
		if err := syscall.Statfs(ev.Statfs, &st); err != nil {
			return nil, err
		}
		resp.FSBytes = int64(st.Blocks) * st.Bsize
	}
	if lc != nil {
		resp.ARN = lc.InvokedFunctionArn
		if lc.ClientContext.Custom != nil {
			resp.Client, _ = json.Marshal(lc.ClientContext.Custom)
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		resp.DeadlineMs = time.Until(dl).Milliseconds()
	}
	if len(ev.Env) > 0 {
		resp.Env = map[string]string{}
		for _, k := range ev.Env {
			if v, ok := os.LookupEnv(k); ok {
				resp.Env[k] = v
			}
		}
	}
	if ev.EnvNames {
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			resp.EnvNames = append(resp.EnvNames, k)
		}
		sort.Strings(resp.EnvNames)
	}
	if ev.Spawn {
		pid, err := spawnSleeper(ev.Escape)
		if err != nil {
			return nil, err
		}
		resp.ChildPID = pid
	}
	if ev.BogusPost {
		b, err := bogusPost()
		if err != nil {
			return nil, err
		}
		resp.Bogus = b
	}
	if ev.Big > 0 {
		resp.Big = strings.Repeat("x", ev.Big)
	}
	return resp, nil
}

// probe does the event's file and memory operations; their errors are the
// function's errors, as a handler would return them.
func probe(ev *event) error {
	if ev.Read != "" {
		if _, err := os.ReadFile(ev.Read); err != nil {
			return err
		}
	}
	if ev.Write != "" && ev.WriteMB > 0 {
		if err := writeMiB(ev.Write, ev.WriteMB); err != nil {
			return err
		}
	} else if ev.Write != "" {
		if err := os.WriteFile(ev.Write, []byte("written"), 0o644); err != nil {
			return err
		}
	}
	if ev.AllocMB > 0 {
		blocks := make([][]byte, ev.AllocMB)
		for i := range blocks {
			blocks[i] = make([]byte, 1<<20)
			for j := 0; j < len(blocks[i]); j += 4096 {
				blocks[i][j] = 1
			}
		}
		fmt.Printf("echofn allocated %d MiB\n", len(blocks))
	}
	return nil
}

// writeMiB writes n MiB to path, a MiB at a time, as a function filling
// /tmp would.
func writeMiB(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i)
	}
	for range n {
		if _, err := f.Write(block); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// spawnSleeper starts a copy of this binary that only sleeps, in the same
// process group (or, with escape, a session of its own), and returns its
// pid.
func spawnSleeper(escape bool) (int, error) {
	self, err := os.Executable()
	if err != nil {
		// No /proc (a chroot-only sandbox): the path it was started by.
		self = os.Args[0]
	}
	p, err := os.StartProcess(self, []string{self}, &os.ProcAttr{
		Env: []string{"ECHOFN_SLEEPER=1"},
		// The function's own stdin: a closed fd 0 with no /dev/null to
		// open (a chroot-only sandbox) stops a Go child at start.
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setsid: escape},
	})
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	_ = p.Release()
	return pid, nil
}

func bogusPost() (*bogusResult, error) {
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/not-a-request-id/response"
	resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		body, _ = json.Marshal(string(body))
	}
	return &bogusResult{Status: resp.StatusCode, Body: body}, nil
}

// initError reports a failed start the way a runtime should, then exits.
func initError(msg string) {
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"errorMessage":`+strconv.Quote(msg)+`,"errorType":"InitFailure"}`))
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitFailure")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	os.Exit(1)
}

func main() {
	if os.Getenv("ECHOFN_SLEEPER") != "" {
		time.Sleep(time.Hour)
		return
	}
	if v := os.Getenv("ECHOFN_INIT_ERROR"); v != "" {
		initError(v)
	}
	if v := os.Getenv("ECHOFN_INIT_EXIT"); v != "" {
		code, _ := strconv.Atoi(v)
		fmt.Fprintln(os.Stderr, "echofn: exiting during init as asked")
		os.Exit(code)
	}
	lambda.Start(handle)
}
