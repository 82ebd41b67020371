package lambdasvc

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// thiefRequest is what another local process sends to an environment's
// Runtime API port, on a connection of its own.
func thiefRequest(t *testing.T, method, addr, path, host, origin string, timeout time.Duration) (int, string, error) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(`{"forged":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// TestRuntimeAPIServesOnlyItsEnvironment: a process that finds a warm
// environment's Runtime API port (ss -ltnp) and asks for the next
// invocation, with a forged Host or its own, gets 403 instead of the event;
// its forged answer is refused; the real invocation gets the function's
// own answer.
func TestRuntimeAPIServesOnlyItsEnvironment(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the peer check reads /proc")
	}
	t.Run("default", func(t *testing.T) { runtimeAPITheft(t, newStack(t, Options{})) })
	// In a container (chroot only) the environment is told by its own uid:
	// the stack may not read another user's /proc/<pid>/fd there.
	t.Run("chroot only", func(t *testing.T) { runtimeAPITheft(t, chrootStack(t)) })
}

// runtimeAPITheft is TestRuntimeAPIServesOnlyItsEnvironment on s.
func runtimeAPITheft(t *testing.T, s *stack) {
	s.create(t, "target", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(5) })
	first := s.invoke(t, "target", map[string]any{"echo": "warm-up"})
	if first.out.FunctionError != nil {
		t.Fatalf("warm-up failed: %+v", first.errDoc)
	}
	f := s.fn(t, "target")
	f.pool.mu.Lock()
	if len(f.pool.idle) != 1 {
		f.pool.mu.Unlock()
		t.Fatalf("%d idle environments, want 1", len(f.pool.idle))
	}
	addr := f.pool.idle[0].api.addr()
	f.pool.mu.Unlock()

	type theft struct {
		name   string
		status int
		body   string
		err    error
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		thefts []theft
	)
	for _, tc := range []struct{ name, host, origin string }{
		{"forged Host", "attacker.example", ""},
		{"own Host", "", ""},
		{"web page", "", "https://evil.example"},
	} {
		wg.Go(func() {
			status, body, err := thiefRequest(t, http.MethodGet, addr, runtimePrefix+"invocation/next", tc.host, tc.origin, 8*time.Second)
			mu.Lock()
			thefts = append(thefts, theft{tc.name, status, body, err})
			mu.Unlock()
		})
	}
	time.Sleep(300 * time.Millisecond) // the thieves wait before the invocation comes
	got := s.invoke(t, "target", map[string]any{"echo": "the real event"})
	wg.Wait()
	for _, th := range thefts {
		if th.status != http.StatusForbidden {
			t.Errorf("%s: GET /next answered %d %q (err %v), want 403", th.name, th.status, th.body, th.err)
		}
		if strings.Contains(th.body, "the real event") {
			t.Errorf("%s: received the event: %s", th.name, th.body)
		}
	}
	if got.out.FunctionError != nil || string(got.resp.Echo) != `"the real event"` {
		t.Errorf("the real invocation got %s (function error %v), want the function's echo", got.out.Payload, aws.ToString(got.out.FunctionError))
	}
	// A forged answer for the (known) request id of a running invocation.
	done := make(chan invoked, 1)
	go func() { done <- s.invoke(t, "target", map[string]any{"echo": "slow", "sleep_ms": 1500}) }()
	var id string
	for deadline := time.Now().Add(5 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		f.pool.mu.Lock()
		for e := range f.pool.live {
			e.api.mu.Lock()
			if e.api.current != nil {
				id = e.api.current.id
			}
			e.api.mu.Unlock()
		}
		f.pool.mu.Unlock()
	}
	if id == "" {
		t.Fatal("the slow invocation never reached the runtime")
	}
	status, body, err := thiefRequest(t, http.MethodPost, addr, runtimePrefix+"invocation/"+id+"/response", "", "", 5*time.Second)
	if status != http.StatusForbidden {
		t.Errorf("forged response: %d %q (err %v), want 403", status, body, err)
	}
	if res := <-done; string(res.resp.Echo) != `"slow"` {
		t.Errorf("after a forged response the invocation answered %s, want the function's echo", res.out.Payload)
	}
}

// peerCheckedAPI is a Runtime API with the peer check on, shut down with
// the test.
func peerCheckedAPI(t *testing.T) *runtimeAPI {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the peer check reads /proc")
	}
	a, err := newRuntimeAPI(slog.New(slog.DiscardHandler), true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.shutdown)
	return a
}

// TestRuntimeAPIOneWaitingNext: the environment's own process may keep
// one GET /next waiting; a second is refused rather than racing the first
// for the event.
func TestRuntimeAPIOneWaitingNext(t *testing.T) {
	a := peerCheckedAPI(t)
	// This process plays the environment: its own connections are admitted.
	a.setOwner(os.Getpid(), 0)
	first := make(chan int, 1)
	go func() {
		status, _, _ := thiefRequest(t, http.MethodGet, a.addr(), runtimePrefix+"invocation/next", "", "", 10*time.Second)
		first <- status
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		a.mu.Lock()
		waiting := a.nexts > 0
		a.mu.Unlock()
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first GET /next never arrived")
		}
	}
	if status, body, err := thiefRequest(t, http.MethodGet, a.addr(), runtimePrefix+"invocation/next", "", "", 5*time.Second); status != http.StatusForbidden {
		t.Errorf("second GET /next: %d %q (err %v), want 403", status, body, err)
	}
	inv := newInvocation("req-1", []byte(`{}`), "arn:aws:lambda:us-east-1:000000000000:function:f", time.Minute)
	select {
	case a.work <- inv:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting GET /next did not take the invocation")
	}
	if status := <-first; status != http.StatusOK {
		t.Errorf("first GET /next: %d, want 200", status)
	}
	// Another process (a child, not this test) is not admitted.
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	a.setOwner(child.Process.Pid, 0)
	status, body, _ := thiefRequest(t, http.MethodPost, a.addr(), runtimePrefix+"invocation/req-1/response", "", "", 5*time.Second)
	var doc errorDoc
	_ = json.Unmarshal([]byte(body), &doc)
	if status != http.StatusForbidden || doc.ErrorType != "AccessDenied" {
		t.Errorf("answer from a process outside the environment: %d %q, want 403 AccessDenied", status, body)
	}
}

// TestRuntimeAPIOwnUIDDecides: an environment with a uid of its own is
// told by it: a connection of another uid is refused even from the owner's
// process tree.
func TestRuntimeAPIOwnUIDDecides(t *testing.T) {
	a := peerCheckedAPI(t)
	a.setOwner(os.Getpid(), os.Geteuid()+12345)
	status, body, _ := thiefRequest(t, http.MethodPost, a.addr(), runtimePrefix+"init/error", "", "", 5*time.Second)
	if status != http.StatusForbidden {
		t.Errorf("a connection of uid %d to an environment of uid %d: %d %q, want 403", os.Geteuid(), os.Geteuid()+12345, status, body)
	}
}

// TestRuntimeAPIWaitsForItsOwner: a runtime that connects in the moment
// between its process starting and the service learning its pid is
// admitted once the pid is known, not refused.
func TestRuntimeAPIWaitsForItsOwner(t *testing.T) {
	a := peerCheckedAPI(t)
	type answer struct {
		status int
		body   string
	}
	got := make(chan answer, 1)
	go func() {
		status, body, _ := thiefRequest(t, http.MethodPost, a.addr(), runtimePrefix+"init/error", "", "", 10*time.Second)
		got <- answer{status, body}
	}()
	time.Sleep(200 * time.Millisecond)
	a.setOwner(os.Getpid(), 0)
	if r := <-got; r.status != http.StatusAccepted {
		t.Errorf("init/error sent before the owner was known: %d %q, want 202", r.status, r.body)
	}
}
