package lambdasvc

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

func TestCloseLeavesNoProcess(t *testing.T) {
	workDir := t.TempDir()
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true, MaxConcurrency: 2, WorkDir: workDir})
	st.create(t, "a", nil)
	st.create(t, "b", nil)

	// Two environments of a with a spawned child each, one of b, and one
	// invocation of b still running when Close comes.
	var pids []int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := st.invoke(t, "a", map[string]any{"spawn": true, "sleep_ms": 200})
			mu.Lock()
			pids = append(pids, r.resp.PID, r.resp.ChildPID)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b := st.invoke(t, "b", map[string]any{})
	pids = append(pids, b.resp.PID)
	for _, pid := range pids {
		if pid == 0 || !processRunning(pid) {
			t.Fatalf("pids %v: %d is not running before Close", pids, pid)
		}
	}
	running := make(chan error, 1)
	go func() {
		_, err := st.client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("b"), Payload: []byte(`{"sleep_ms":30000}`)})
		running <- err
	}()
	for st.fn(t, "b").pool.busy() == 0 {
		time.Sleep(5 * time.Millisecond)
	}

	if err := st.svc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
	if err := <-running; httpStatus(err) != http.StatusServiceUnavailable {
		t.Errorf("invocation cut by Close: %v, want 503", err)
	}
	entries, err := os.ReadDir(workDir)
	if err != nil || len(entries) != 0 {
		t.Errorf("work dir after Close: %v %v, want empty", entries, err)
	}
	if err := st.svc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := st.svc.Invoke(context.Background(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: %v, want ErrClosed", err)
	}
	if err := st.svc.InvokeAsync(context.Background(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("InvokeAsync after Close: %v, want ErrClosed", err)
	}
	status, h, _ := rawCall(t, st, "GET", "/2015-03-31/functions/a", "")
	if status != http.StatusServiceUnavailable || h.Get("X-Amzn-Errortype") != "ServiceException" {
		t.Errorf("API after Close: %d %s, want 503 ServiceException", status, h.Get("X-Amzn-Errortype"))
	}
}

func TestDeleteKillsEnvironments(t *testing.T) {
	// Host pids, paths and TMPDIR are what this test watches; the
	// sandbox hides them (sandbox_test.go covers it).
	st := newStack(t, Options{NoSandbox: true})
	st.create(t, "gone", nil)
	r := st.invoke(t, "gone", map[string]any{"spawn": true})
	if _, err := st.client.DeleteFunction(context.Background(), &lambda.DeleteFunctionInput{FunctionName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, r.resp.PID)
	waitGone(t, r.resp.ChildPID)
	if _, err := os.Stat(r.resp.Cwd); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("code directory %s after delete: %v", r.resp.Cwd, err)
	}
}

func TestOwnWorkDirRemoved(t *testing.T) {
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := svc.workDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("work dir: %v", err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary work dir %s survives Close: %v", dir, err)
	}
}

// TestStaleWorkDirRemoved: a stack killed with SIGKILL leaves its temporary
// work directory (unpacked packages); the next stack removes it, and leaves
// those of live stacks alone.
func TestStaleWorkDirRemoved(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	stale, err := os.MkdirTemp("", workDirPattern)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(stale)
	os.WriteFile(filepath.Join(stale, ownerFile), []byte(host+"/"+strconv.Itoa(dead.Process.Pid)+"/1"), 0o644)
	os.WriteFile(filepath.Join(stale, "bootstrap"), make([]byte, 1<<20), 0o755)

	svc, err := New(Options{NoSandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dead stack's work directory %s is still there: %v", stale, err)
	}
	// A second stack keeps the first's (its owner, this process, runs).
	svc2, err := New(Options{NoSandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	if _, err := os.Stat(svc.workDir); err != nil {
		t.Errorf("a live stack's work directory was removed: %v", err)
	}
}

// TestEscapedChildDoesNotHangTheEnvironment: a child that left the
// function's process group (setsid) and keeps stdout and stderr open
// outlives the group's kill. Reaping stops reading both pipes after a
// grace period; it waited for ever on the second one (its one timer had
// fired for the first), and the invocation never returned.
func TestEscapedChildDoesNotHangTheEnvironment(t *testing.T) {
	st := newStack(t, Options{NoSandbox: true})
	st.create(t, "escaper", nil)
	r := st.invoke(t, "escaper", map[string]any{"spawn": true, "escape": true})
	if r.out.FunctionError != nil || r.resp.ChildPID == 0 {
		t.Fatalf("spawn: %s", r.out.Payload)
	}
	// Nothing of the stand-in's kills it without a sandbox: the test does.
	t.Cleanup(func() { _ = syscall.Kill(r.resp.ChildPID, syscall.SIGKILL) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := st.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("escaper"), Payload: []byte(`{"exit":3}`)})
	if err != nil {
		t.Fatalf("the invocation whose runtime exited did not return: %v", err)
	}
	if !strings.Contains(string(out.Payload), "Runtime.ExitError") {
		t.Errorf("exit 3: %s, want Runtime.ExitError", out.Payload)
	}
}
