package lambdasvc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/facevec/facevec/localstack/embedded/internal/slowclient"
)

// maxResponsePayload is Lambda's limit for a synchronous response.
const maxResponsePayload = 6291556

// invocation is one event on its way through an execution environment.
type invocation struct {
	id            string
	payload       []byte
	functionArn   string
	traceID       string
	clientContext string // decoded JSON
	cognito       string // JSON
	timeout       time.Duration
	// result receives the runtime's answer; buffered so a late answer
	// (after a timeout) never blocks the Runtime API handler.
	result chan runtimeResult
}

func newInvocation(id string, payload []byte, arn string, timeout time.Duration) *invocation {
	return &invocation{id: id, payload: payload, functionArn: arn, timeout: timeout, result: make(chan runtimeResult, 1)}
}

// runtimeResult is what the runtime posted for an invocation (or its init).
type runtimeResult struct {
	payload   []byte
	errorType string // set when the runtime reported an error
	failed    bool
}

// runtimeAPI is the Lambda Runtime API of one execution environment,
// listening on its own loopback port: GET .../invocation/next blocks until
// an invocation is handed over on work; the runtime answers with
// .../{id}/response or .../{id}/error, or reports a failed start with
// .../init/error.
//
// Only the environment's own processes may use it. Any local process (or a
// web page, through the browser) can reach a loopback port, and whoever
// takes GET /next gets the event and can post the answer. The runtime
// cannot prove who it is with a header or a path (aws-lambda-go sends
// neither, and AWS_LAMBDA_RUNTIME_API is only host:port), so the server
// asks the kernel instead: a connection is served only when its client
// socket belongs to the environment's process tree (connFromTree). On top:
// a request carrying Origin (a browser) or a Host other than the address
// given in AWS_LAMBDA_RUNTIME_API (DNS rebinding) is refused, and only one
// GET /next may wait at a time.
type runtimeAPI struct {
	ln   net.Listener
	srv  *http.Server
	log  *slog.Logger
	work chan *invocation // unbuffered: a send completes only when a runtime takes it
	done chan struct{}    // closed by shutdown

	mu        sync.Mutex
	current   *invocation // handed out, not yet answered
	nexts     int         // GET /next requests seen
	readyAt   time.Time   // first GET /next
	initErr   *runtimeResult
	initErrC  chan struct{} // closed when the runtime posted init/error
	closeOnce sync.Once
	waiting   bool // a GET /next is waiting for work

	// owner is the pid of the environment's process, whose tree may use
	// the API; 0 (before start) admits no one. checkPeers is false only
	// where peers cannot be identified (the service warns).
	owner      atomic.Int64
	ownerUID   atomic.Int64  // the environment's own uid, 0 if it has none
	ownerSet   chan struct{} // closed by the first setOwner
	ownerOnce  sync.Once
	checkPeers bool
}

func newRuntimeAPI(logger *slog.Logger, checkPeers bool) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for runtime API: %w", err)
	}
	a := &runtimeAPI{
		ln:         ln,
		log:        logger,
		work:       make(chan *invocation),
		done:       make(chan struct{}),
		initErrC:   make(chan struct{}),
		ownerSet:   make(chan struct{}),
		checkPeers: checkPeers,
	}
	// The function's runtime holds GET /next open while it waits for work
	// (no body, so no limit applies); a stalled answer is cut.
	a.srv = slowclient.Bound(&http.Server{
		Handler:  a,
		ErrorLog: log.New(io.Discard, "", 0),
		// Each connection is vetted once, on its first request.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connPeerKey{}, &connPeer{conn: c})
		},
	}, 0)
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// addr is the value of AWS_LAMBDA_RUNTIME_API.
func (a *runtimeAPI) addr() string { return a.ln.Addr().String() }

// shutdown releases blocked /next requests and closes the listener and all
// connections. Safe to call more than once.
func (a *runtimeAPI) shutdown() {
	a.closeOnce.Do(func() {
		close(a.done)
		_ = a.srv.Close()
	})
}

// ready reports when the runtime first asked for work (zero if not yet).
func (a *runtimeAPI) ready() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.readyAt
}

const runtimePrefix = "/2018-06-01/runtime/"

func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.admit(w, r) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	if !ok {
		writeRuntimeError(w, http.StatusNotFound, "InvalidRequest", fmt.Sprintf("%s %s is not part of the Runtime API (2018-06-01)", r.Method, r.URL.Path))
		return
	}
	parts := strings.Split(rest, "/")
	switch {
	case rest == "invocation/next":
		if r.Method != http.MethodGet {
			break
		}
		a.next(w, r)
		return
	case len(parts) == 3 && parts[0] == "invocation" && (parts[2] == "response" || parts[2] == "error"):
		if r.Method != http.MethodPost {
			break
		}
		a.answer(w, r, parts[1], parts[2] == "error")
		return
	case rest == "init/error":
		if r.Method != http.MethodPost {
			break
		}
		a.initError(w, r)
		return
	default:
		writeRuntimeError(w, http.StatusNotFound, "InvalidRequest", fmt.Sprintf("%s %s is not part of the Runtime API (2018-06-01)", r.Method, r.URL.Path))
		return
	}
	writeRuntimeError(w, http.StatusMethodNotAllowed, "InvalidRequest", fmt.Sprintf("method %s is not allowed for %s", r.Method, r.URL.Path))
}

func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.current != nil || a.initErr != nil {
		state := "Running"
		if a.initErr != nil {
			state = "InitError"
		}
		a.mu.Unlock()
		writeRuntimeError(w, http.StatusForbidden, "InvalidStateTransition",
			fmt.Sprintf("State transition from %s to Ready failed for runtime. Error: State transition is not allowed", state))
		return
	}
	if a.waiting {
		a.mu.Unlock()
		writeRuntimeError(w, http.StatusForbidden, "InvalidStateTransition",
			"State transition from Ready to Ready failed for runtime. Error: another GET /next is already waiting")
		return
	}
	a.waiting = true
	a.nexts++
	if a.readyAt.IsZero() {
		a.readyAt = time.Now()
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.waiting = false
		a.mu.Unlock()
	}()

	var inv *invocation
	select {
	case inv = <-a.work:
	case <-a.done:
		writeRuntimeError(w, http.StatusGone, "EnvironmentShutdown", "the execution environment is shutting down")
		return
	case <-r.Context().Done():
		return
	}
	a.mu.Lock()
	a.current = inv
	a.mu.Unlock()

	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(inv.timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", inv.functionArn)
	h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
	if inv.clientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
	}
	if inv.cognito != "" {
		h.Set("Lambda-Runtime-Cognito-Identity", inv.cognito)
	}
	h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// answer handles .../invocation/{id}/response and .../error.
func (a *runtimeAPI) answer(w http.ResponseWriter, r *http.Request, id string, isError bool) {
	a.mu.Lock()
	inv := a.current
	if inv == nil || inv.id != id {
		a.mu.Unlock()
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	a.current = nil
	a.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload+1))
	var res runtimeResult
	switch {
	case err != nil:
		res = errorResult("Runtime.TruncatedResponse", fmt.Sprintf("RequestId: %s Error: the runtime's response could not be read: %v", id, err))
	case len(body) > maxResponsePayload:
		res = errorResult("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponsePayload))
		inv.result <- res
		writeRuntimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", maxResponsePayload))
		return
	case isError:
		res = runtimeErrorResult(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed midway reports in trailers.
		errBody, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		res = runtimeErrorResult(r.Trailer.Get("Lambda-Runtime-Function-Error-Type"), errBody)
	default:
		res = runtimeResult{payload: body}
	}
	inv.result <- res
	writeRuntimeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// initError records a failed start; only valid before the first /next.
func (a *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponsePayload))
	if err != nil {
		body = nil
	}
	a.mu.Lock()
	if a.nexts > 0 || a.initErr != nil {
		a.mu.Unlock()
		writeRuntimeError(w, http.StatusForbidden, "InvalidStateTransition",
			"State transition from Ready to InitError failed for runtime. Error: State transition is not allowed")
		return
	}
	res := runtimeErrorResult(r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	a.initErr = &res
	close(a.initErrC)
	a.mu.Unlock()
	writeRuntimeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// initFailure returns what the runtime posted to init/error.
func (a *runtimeAPI) initFailure() runtimeResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.initErr == nil {
		return errorResult("Runtime.Unknown", "init failed")
	}
	return *a.initErr
}

// runtimeErrorResult keeps a JSON error document as the runtime sent it
// (like Lambda) and wraps anything else in one. The type is the document's
// errorType, else the Lambda-Runtime-Function-Error-Type header.
func runtimeErrorResult(headerType string, body []byte) runtimeResult {
	errType := headerType
	if errType == "" {
		errType = "Runtime.Unknown"
	}
	if len(body) > 0 && json.Valid(body) {
		var doc errorDoc
		if json.Unmarshal(body, &doc) == nil && doc.ErrorType != "" {
			errType = doc.ErrorType
		}
		return runtimeResult{payload: body, errorType: errType, failed: true}
	}
	msg := string(body)
	if msg == "" {
		msg = "the runtime reported an error without details"
	}
	return errorResult(errType, msg)
}

// errorDoc is Lambda's error document.
type errorDoc struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func errorResult(errType, msg string) runtimeResult {
	b, _ := json.Marshal(errorDoc{ErrorMessage: msg, ErrorType: errType})
	return runtimeResult{payload: b, errorType: errType, failed: true}
}

func writeRuntimeError(w http.ResponseWriter, status int, errType, msg string) {
	writeRuntimeJSON(w, status, errorDoc{ErrorMessage: msg, ErrorType: errType})
}

func writeRuntimeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"errorMessage":"encode response","errorType":"InternalServerError"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// setOwner admits the process tree of pid (the environment's process).
// uid is the environment's own uid (chroot-only sandbox), or 0. Connections
// already vetted keep their verdict.
func (a *runtimeAPI) setOwner(pid, uid int) {
	a.ownerUID.Store(int64(uid))
	a.owner.Store(int64(pid))
	a.ownerOnce.Do(func() { close(a.ownerSet) })
}

// ownerWait bounds how long a first request waits for setOwner: the
// runtime connects once started, a moment after the process exists.
const ownerWait = 5 * time.Second

type connPeerKey struct{}

// connPeer is the verdict on one connection, reached on its first request.
type connPeer struct {
	conn net.Conn
	once sync.Once
	err  error // nil: the environment's own process
}

// admit answers 403 to a request that is not from the environment's own
// process (see runtimeAPI) and reports whether r may go on.
func (a *runtimeAPI) admit(w http.ResponseWriter, r *http.Request) bool {
	var refused string
	switch {
	case r.Header.Get("Origin") != "":
		refused = "requests from web pages (Origin " + r.Header.Get("Origin") + ") are refused"
	case r.Host != a.addr():
		refused = "host " + r.Host + " is not this Runtime API (" + a.addr() + ")"
	default:
		if err := a.peerErr(r); err != nil {
			refused = err.Error()
		}
	}
	if refused == "" {
		return true
	}
	// The connection is not the runtime's: do not keep it for another try.
	w.Header().Set("Connection", "close")
	a.log.Warn("runtime API request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "reason", refused)
	writeRuntimeError(w, http.StatusForbidden, "AccessDenied", "the Runtime API serves its execution environment's processes only: "+refused)
	return false
}

// peerErr is nil when r's connection comes from the environment's process
// tree (or peers cannot be checked here).
func (a *runtimeAPI) peerErr(r *http.Request) error {
	if !a.checkPeers {
		return nil
	}
	p, ok := r.Context().Value(connPeerKey{}).(*connPeer)
	if !ok {
		return errors.New("connection of unknown origin")
	}
	p.once.Do(func() {
		t := time.NewTimer(ownerWait)
		defer t.Stop()
		select {
		case <-a.ownerSet:
		case <-a.done:
		case <-t.C:
		case <-r.Context().Done():
		}
		owner := int(a.owner.Load())
		client, cok := p.conn.RemoteAddr().(*net.TCPAddr)
		server, sok := p.conn.LocalAddr().(*net.TCPAddr)
		switch {
		case owner == 0:
			p.err = errors.New("the execution environment has not started")
		case !cok || !sok:
			p.err = errors.New("not a TCP connection")
		default:
			ours, err := connFromTree(client, server, owner, int(a.ownerUID.Load()))
			switch {
			case err != nil:
				p.err = fmt.Errorf("cannot tell which process is connected from %s: %w", client, err)
			case !ours:
				p.err = fmt.Errorf("the process connected from %s is not the execution environment's (pid %d or its children; uid %d if not 0)", client, owner, a.ownerUID.Load())
			}
		}
	})
	return p.err
}
