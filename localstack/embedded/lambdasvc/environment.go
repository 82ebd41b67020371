package lambdasvc

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// environment is one execution environment: a bootstrap process in its own
// process group plus its Runtime API server. The pool hands it to one
// invocation at a time.
type environment struct {
	id      int64
	spec    *spec
	tmp     string // TMPDIR and HOME
	api     *runtimeAPI
	cmd     *exec.Cmd
	pid     int
	started time.Time
	log     *slog.Logger

	exited  chan struct{} // closed once the process is reaped and its group killed
	waitErr error         // valid after exited is closed

	// In the sandbox: the memory cgroup (nil without one) and what the
	// init reported when it could not build the environment or exec
	// bootstrap (read before exited closes).
	cgroup   memCgroup
	oom      bool // the cgroup's OOM killer ended it (valid after exited)
	status   *os.File
	initFail string
	initCode int
	// uid is the environment's own uid (chrootOnly), 0 when it runs as
	// Lambda's; swept and returned to the pool by reap.
	uid int

	pumps   []*pipePump                // stdout, stderr
	served  int                        // invocations handed over; only its holder touches it
	capture atomic.Pointer[tailBuffer] // output of the current invocation, for LogType Tail
	killed  atomic.Bool
}

// startEnvironment starts bootstrap from sp.codeDir against a fresh Runtime
// API server. Output goes line by line to logs (and the current capture)
// and to the logger at debug.
func startEnvironment(id int64, sp *spec, logs *logRing, logger *slog.Logger) (*environment, error) {
	attr := procAttr()
	if attr == nil {
		return nil, fmt.Errorf("lambdasvc: function processes need process groups, which this system lacks")
	}
	// Like Lambda's /tmp, private to the environment and gone with it.
	tmp := filepath.Join(sp.tmpRoot, strconv.FormatInt(id, 10))
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create /tmp of the environment: %w", err)
	}
	api, err := newRuntimeAPI(logger, sp.checkPeers)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		api.shutdown()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		api.shutdown()
		outR.Close()
		outW.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        filepath.Join(sp.codeDir, "bootstrap"),
		Args:        []string{filepath.Join(sp.codeDir, "bootstrap")},
		Dir:         sp.codeDir,
		Env:         sp.environ(tmp, api.addr()),
		Stdout:      outW, // *os.File: the child writes the pipe directly, Wait does not copy
		Stderr:      errW,
		SysProcAttr: attr,
	}
	var cg memCgroup
	var status *os.File
	var uid int
	if sp.sandbox.active() {
		cg, status, uid, err = sandboxCommand(id, sp, cmd, tmp)
	}
	if err == nil {
		err = cmd.Start()
	}
	// The child has its copies; ours must go so the readers see EOF.
	outW.Close()
	errW.Close()
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	if err != nil {
		api.shutdown()
		outR.Close()
		errR.Close()
		if status != nil {
			status.Close()
		}
		if cg != nil {
			cg.remove()
		}
		if uid != 0 {
			sp.sandbox.uids.release(uid) // nothing ran as it
		}
		os.RemoveAll(tmp)
		return nil, err
	}
	api.setOwner(cmd.Process.Pid, uid)
	e := &environment{
		tmp:     tmp,
		id:      id,
		spec:    sp,
		api:     api,
		cmd:     cmd,
		pid:     cmd.Process.Pid,
		started: time.Now(),
		log:     logger.With("function", sp.name, "pid", cmd.Process.Pid),
		exited:  make(chan struct{}),
		cgroup:  cg,
		status:  status,
		uid:     uid,
	}
	emit := func(stream string) func([]byte) {
		return func(line []byte) {
			logs.appendLine(line)
			sp.output.write(line)
			if c := e.capture.Load(); c != nil {
				c.appendLine(line)
			}
			e.log.Debug("function output", "stream", stream, "line", string(line[:len(line)-1]))
		}
	}
	e.pumps = []*pipePump{newPipePump(outR, emit("stdout")), newPipePump(errR, emit("stderr"))}
	for _, p := range e.pumps {
		go p.run()
	}
	go e.reap()
	e.log.Debug("execution environment started", "env", id, "runtime_api", api.addr())
	return e, nil
}

// reap waits for the process, kills what is left of its group, drains its
// output and closes its Runtime API.
func (e *environment) reap() {
	err := e.cmd.Wait()
	if e.status != nil {
		// Closed by exec (close-on-exec) or by the init's exit: never blocks
		// past the process.
		msg, _ := io.ReadAll(io.LimitReader(e.status, 4096))
		e.status.Close()
		e.initFail = strings.TrimSpace(string(msg))
		if st := e.cmd.ProcessState; st != nil {
			e.initCode = st.ExitCode()
		}
	}
	// Children the function started may still hold the pipes open.
	if kerr := killGroup(e.pid); kerr != nil {
		e.log.Warn("could not kill process group", "err", kerr)
	}
	swept := true
	if e.uid != 0 {
		// Without a PID namespace a child that left the group (setsid)
		// lives on: everything running as the environment's uid goes.
		if err := e.spec.sandbox.sweepUID(e.uid); err != nil {
			swept = false
			e.log.Warn("could not kill what is left running as the environment's uid", "uid", e.uid, "err", err)
		}
	}
	t := time.NewTimer(2 * time.Second)
	expired := false
	for _, p := range e.pumps {
		if !expired {
			select {
			case <-p.done:
				continue
			case <-t.C:
				// One timer for all pumps: once it fired, it never fires
				// again, so the rest are closed without waiting.
				expired = true
			}
		}
		// Someone outside the group (setsid) keeps the pipe: stop reading.
		p.f.Close()
		<-p.done
	}
	t.Stop()
	for _, p := range e.pumps {
		p.f.Close()
	}
	e.api.shutdown()
	if e.uid != 0 && swept {
		// Not after a failed sweep: something may still run as it.
		e.spec.sandbox.uids.release(e.uid)
	}
	if e.cgroup != nil {
		e.oom = e.cgroup.oomKilled()
		if cerr := e.cgroup.remove(); cerr != nil {
			e.log.Warn("could not remove the environment's memory cgroup", "err", cerr)
		}
	}
	for _, extra := range []string{e.tmp + tmpImageSuffix, e.tmp + tmpDirSuffix} {
		if rerr := os.RemoveAll(extra); rerr != nil {
			e.log.Warn("could not remove the environment's /tmp storage", "path", extra, "err", rerr)
		}
	}
	if rerr := os.RemoveAll(e.tmp); rerr != nil {
		e.log.Warn("could not remove the environment's /tmp", "dir", e.tmp, "err", rerr)
	}
	e.waitErr = err
	e.log.Debug("execution environment exited", "env", e.id, "status", e.exitStatus(), "killed", e.killed.Load())
	close(e.exited)
}

// flushOutput waits briefly until what the process wrote so far is logged.
func (e *environment) flushOutput() {
	for _, p := range e.pumps {
		p.flush(100 * time.Millisecond)
	}
}

// kill ends the process group and waits until the process is reaped.
// Idempotent.
func (e *environment) kill() {
	e.killed.Store(true)
	select {
	case <-e.exited:
		return
	default:
	}
	if err := killGroup(e.pid); err != nil {
		e.log.Warn("could not kill process group", "err", err)
	}
	<-e.exited
}

func (e *environment) hasExited() bool {
	select {
	case <-e.exited:
		return true
	default:
		return false
	}
}

// exitStatus describes how the process ended, the way Lambda words it
// ("exit status 2", "signal: killed"); "" while it runs or after a clean exit.
func (e *environment) exitStatus() string {
	if st := e.cmd.ProcessState; st != nil && !st.Success() {
		return st.String()
	}
	return ""
}

// exitResult is the error an invocation gets when the runtime exits, in
// Lambda's words: a bootstrap that cannot be executed is
// Runtime.InvalidEntrypoint, a kill by the memory cgroup Runtime.OutOfMemory.
func (e *environment) exitResult(requestID string) runtimeResult {
	switch {
	case e.initFail != "" && e.initCode == sandboxExecExit:
		return errorResult("Runtime.InvalidEntrypoint", "RequestId: "+requestID+" Error: "+e.initFail)
	case e.initFail != "":
		return errorResult("Runtime.ExitError", "RequestId: "+requestID+" Error: "+e.initFail)
	case e.oom && !e.killed.Load():
		return errorResult("Runtime.OutOfMemory", "RequestId: "+requestID+" Error: Runtime exited with error: "+e.exitStatus())
	}
	msg := "RequestId: " + requestID + " Error: Runtime exited without providing a reason"
	if st := e.exitStatus(); st != "" {
		msg = "RequestId: " + requestID + " Error: Runtime exited with error: " + st
	}
	return errorResult("Runtime.ExitError", msg)
}

// run hands inv to the environment and waits for the answer.
//
// keep is whether the environment can serve again. delivered is false only
// when a warm environment died between invocations before taking inv: the
// function never saw the event, so the caller may run it elsewhere.
func (e *environment) run(inv *invocation, initTimeout time.Duration, closing <-chan struct{}) (res runtimeResult, keep, delivered bool) {
	fresh := e.served == 0
	var initC <-chan time.Time
	if fresh {
		t := time.NewTimer(initTimeout)
		defer t.Stop()
		initC = t.C
	}
	select {
	case e.api.work <- inv:
	case <-e.api.initErrC:
		e.kill()
		return e.api.initFailure(), false, true
	case <-e.exited:
		if !fresh {
			return runtimeResult{}, false, false
		}
		return e.exitResult(inv.id), false, true
	case <-initC:
		e.kill()
		return errorResult("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Runtime did not become ready: init phase timed out after %.2f seconds", inv.id, initTimeout.Seconds())), false, true
	case <-closing:
		e.kill()
		return runtimeResult{}, false, true
	}
	e.served++

	t := time.NewTimer(inv.timeout)
	defer t.Stop()
	select {
	case res := <-inv.result:
		return res, true, true
	case <-e.exited:
		// It may have answered just before exiting (a panic is reported,
		// then the process exits).
		select {
		case res := <-inv.result:
			return res, false, true
		default:
		}
		return e.exitResult(inv.id), false, true
	case <-t.C:
		e.kill()
		select {
		case res := <-inv.result: // answered as the timer fired
			return res, false, true
		default:
		}
		return errorResult("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, inv.timeout.Seconds())), false, true
	case <-closing:
		e.kill()
		return runtimeResult{}, false, true
	}
}

// sandboxCommand turns cmd into the sandbox's init for this environment:
// tmp becomes the mount point of its root filesystem, and a memory cgroup
// of MemorySize is made when the system has one.
// cgroupSeq numbers the environments' memory cgroups.
var cgroupSeq atomic.Int64

func sandboxCommand(id int64, sp *spec, cmd *exec.Cmd, tmp string) (cg memCgroup, status *os.File, uid int, err error) {
	cfg := sandboxConfig{
		Root: tmp, Code: sp.codeDir, TmpBytes: int64(sp.tmpMB) << 20,
		UID: sandboxUID, GID: sandboxGID, Env: cmd.Env, InUserNS: sp.sandbox.userNS != nil,
		NoMounts: sp.sandbox.chrootOnly,
	}
	if cfg.NoMounts {
		if err := buildRootOnDisk(tmp, sp.codeDir); err != nil {
			return nil, nil, 0, fmt.Errorf("build the environment's root filesystem: %w", err)
		}
		// No PID namespace: a uid of its own (uids.go).
		if uid, err = sp.sandbox.uids.acquire(); err != nil {
			return nil, nil, 0, err
		}
		cfg.UID = uid
	} else if err := sp.sandbox.prepareTmp(tmp, &cfg); err != nil {
		return nil, nil, 0, fmt.Errorf("the environment's /tmp: %w", err)
	}
	fail := func(err error) (memCgroup, *os.File, int, error) {
		if cg != nil {
			cg.remove()
		}
		if uid != 0 {
			sp.sandbox.uids.release(uid)
		}
		return nil, nil, 0, err
	}
	if sp.sandbox.memory != nil {
		// Numbered per process, not per service: two stacks in one process
		// (an e2e run) number their environments alike.
		name := fmt.Sprintf("facevec-lambda-%d-%d", os.Getpid(), cgroupSeq.Add(1))
		if cg, err = sp.sandbox.memory.create(name, int64(sp.memoryMB)<<20); err != nil {
			return fail(fmt.Errorf("memory cgroup for the environment (%s): %w", sp.sandbox.memory, err))
		}
		cfg.Procs = cg.procsFile()
	}
	if status, err = sp.sandbox.command(cmd, cfg); err != nil {
		return fail(err)
	}
	return cg, status, uid, nil
}
