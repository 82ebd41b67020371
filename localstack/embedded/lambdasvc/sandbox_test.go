//go:build linux

package lambdasvc

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// sandboxStack is a stack whose functions run in the sandbox; the test is
// skipped where it cannot be built (not root), since then the stand-in only
// warns.
func sandboxStack(t *testing.T) *stack {
	t.Helper()
	st := newStack(t, Options{})
	if !st.svc.sandbox.active() {
		t.Skipf("no sandbox here: %v", st.svc.sandbox.gaps)
	}
	return st
}

// lambdaEnv is every variable a provided.al2023 function sees on AWS (with
// AWS_ENDPOINT_URL, LOCALSTACK_HOSTNAME and EDGE_PORT, which LocalStack
// adds too; _X_AMZN_TRACE_ID is set by aws-lambda-go per invocation, on AWS
// too), and nothing else.
var lambdaEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "EDGE_PORT", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT", "LANG",
	"LD_LIBRARY_PATH", "LOCALSTACK_HOSTNAME", "PATH", "TZ", "_HANDLER", "_X_AMZN_TRACE_ID",
}

func TestSandboxLooksLikeLambda(t *testing.T) {
	t.Setenv("LAMBDASVC_HOST_ONLY", "must not be seen")
	st := sandboxStack(t)
	st.svc.opts.Endpoint = "http://127.0.0.1:4566"
	st.create(t, "env", nil)
	wd, _ := os.Getwd()
	hostPaths := []string{wd, st.svc.workDir, "/etc/hostname", "/usr/bin", "/root", "/home"}
	r := st.invoke(t, "env", map[string]any{
		"env_names": true, "env": []string{"LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "LAMBDASVC_HOST_ONLY", "TZ", "PATH"},
		"exists": append([]string{"/var/task/bootstrap", "/tmp", "/proc/self", "/dev/null", "/dev/urandom"}, hostPaths...),
		"statfs": "/tmp",
	})
	if r.out.FunctionError != nil {
		t.Fatalf("invoke: %s", r.out.Payload)
	}
	if r.resp.UID != sandboxUID || r.resp.GID != sandboxGID {
		t.Errorf("runs as uid %d gid %d, want Lambda's %d/%d", r.resp.UID, r.resp.GID, sandboxUID, sandboxGID)
	}
	if r.resp.Cwd != "/var/task" || r.resp.Env["LAMBDA_TASK_ROOT"] != "/var/task" || r.resp.Env["LAMBDA_RUNTIME_DIR"] != "/var/runtime" {
		t.Errorf("cwd %q, LAMBDA_TASK_ROOT %q, LAMBDA_RUNTIME_DIR %q; want /var/task, /var/task, /var/runtime",
			r.resp.Cwd, r.resp.Env["LAMBDA_TASK_ROOT"], r.resp.Env["LAMBDA_RUNTIME_DIR"])
	}
	if !slices.Equal(r.resp.EnvNames, lambdaEnv) {
		t.Errorf("environment names\n got %v\nwant %v", r.resp.EnvNames, lambdaEnv)
	}
	if v, ok := r.resp.Env["LAMBDASVC_HOST_ONLY"]; ok {
		t.Errorf("a host-only variable reached the function: %q", v)
	}
	for _, p := range []string{"/var/task/bootstrap", "/tmp", "/proc/self", "/dev/null", "/dev/urandom"} {
		if !slices.Contains(r.resp.Existing, p) {
			t.Errorf("%s is missing in the sandbox", p)
		}
	}
	for _, p := range hostPaths {
		if slices.Contains(r.resp.Existing, p) {
			t.Errorf("host path %s is visible in the sandbox", p)
		}
	}
	// An ext4 image of the size (tmpstorage_linux.go) keeps a few percent
	// for its own metadata.
	if want := int64(DefaultEphemeralStorageMB) << 20; r.resp.FSBytes < want*95/100 || r.resp.FSBytes > want {
		t.Errorf("/tmp holds %d bytes, want the ephemeral storage %d", r.resp.FSBytes, want)
	}
}

func TestSandboxRefusesWhatLambdaRefuses(t *testing.T) {
	st := sandboxStack(t)
	bin, err := os.ReadFile(echoBin)
	if err != nil {
		t.Fatal(err)
	}
	// A package zipped with the owner-only mode os.CreateTemp gives.
	st.create(t, "private", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{ZipFile: makeZip(
			zipEntry{name: "bootstrap", mode: 0o755, data: bin},
			zipEntry{name: "models/detector.dat", mode: 0o600, data: []byte("weights")},
			zipEntry{name: "models/public.dat", mode: 0o644, data: []byte("public")},
		)}
	})
	for _, tc := range []struct {
		name    string
		event   map[string]any
		wantErr string
	}{
		{"0600 file in the package", map[string]any{"read": "/var/task/models/detector.dat"}, "open /var/task/models/detector.dat: permission denied"},
		{"write into the task root", map[string]any{"write": "/var/task/models/new.dat"}, "open /var/task/models/new.dat: read-only file system"},
		{"write into the root", map[string]any{"write": "/scratch"}, "open /scratch: read-only file system"},
	} {
		r := st.invoke(t, "private", tc.event)
		if r.out.FunctionError == nil || r.errDoc.ErrorMessage != tc.wantErr {
			t.Errorf("%s: payload %s, want the function error %q", tc.name, r.out.Payload, tc.wantErr)
		}
	}
	ok := st.invoke(t, "private", map[string]any{"read": "/var/task/models/public.dat", "write": "/tmp/scratch"})
	if ok.out.FunctionError != nil || ok.resp.Read != "public" {
		t.Errorf("a 0644 file and /tmp: %s, want both to work", ok.out.Payload)
	}
}

func TestSandboxDynamicBootstrapFails(t *testing.T) {
	st := sandboxStack(t)
	// The host's /bin/true needs the host's loader and libc.
	bin, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip(err)
	}
	st.create(t, "dynamic", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{ZipFile: makeZip(zipEntry{name: "bootstrap", mode: 0o755, data: bin})}
	})
	r := st.invoke(t, "dynamic", map[string]any{})
	if r.errDoc.ErrorType != "Runtime.InvalidEntrypoint" ||
		!strings.Contains(r.errDoc.ErrorMessage, "fork/exec /var/task/bootstrap: no such file or directory") ||
		!strings.Contains(r.errDoc.ErrorMessage, "dynamically linked") {
		t.Errorf("dynamic bootstrap: %s, want Runtime.InvalidEntrypoint saying it is dynamically linked", r.out.Payload)
	}
	if !strings.Contains(st.svc.Logs("dynamic"), "dynamically linked") {
		t.Errorf("the function's logs do not say why:\n%s", st.svc.Logs("dynamic"))
	}
}

func TestSandboxEnforcesMemorySize(t *testing.T) {
	st := sandboxStack(t)
	if st.svc.sandbox.memory == nil {
		t.Skipf("no memory cgroup here: %v", st.svc.sandbox.gaps)
	}
	st.create(t, "small", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(128) })
	fits := st.invoke(t, "small", map[string]any{"alloc_mb": 32})
	if fits.out.FunctionError != nil {
		t.Fatalf("32 MiB in a 128 MB function: %s", fits.out.Payload)
	}
	r := st.invoke(t, "small", map[string]any{"alloc_mb": 400})
	want := "RequestId: " + r.requestID + " Error: Runtime exited with error: signal: killed"
	if r.errDoc.ErrorType != "Runtime.OutOfMemory" || r.errDoc.ErrorMessage != want {
		t.Errorf("400 MiB in a 128 MB function: %s, want Runtime.OutOfMemory %q", r.out.Payload, want)
	}
	again := st.invoke(t, "small", map[string]any{})
	if again.out.FunctionError != nil {
		t.Errorf("after the kill a new environment should serve: %s", again.out.Payload)
	}
}

// TestSandboxCloseLeavesNoProcess: the sandbox hides host pids from the
// function, so this looks from the host: no process of Lambda's uid is left
// once the service is closed, and no cgroup or mount point either.
func TestSandboxCloseLeavesNoProcess(t *testing.T) {
	st := sandboxStack(t)
	st.create(t, "spawner", nil)
	for range 2 {
		if r := st.invoke(t, "spawner", map[string]any{"spawn": true}); r.out.FunctionError != nil {
			t.Fatalf("invoke: %s", r.out.Payload)
		}
	}
	if n := len(sandboxProcesses()); n < 2 {
		t.Fatalf("%d sandboxed processes seen while running, want at least 2: the check proves nothing", n)
	}
	if err := st.svc.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sandboxProcesses()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := sandboxProcesses(); len(left) > 0 {
		t.Errorf("processes of uid %d left after Close: %v", sandboxUID, left)
	}
	if d := st.svc.sandbox.memory; d != nil {
		if left, _ := os.ReadDir(d.dir()); cgroupsLeft(left) > 0 {
			t.Errorf("memory cgroups of this service left in %s after Close", d.dir())
		}
	}
}

func cgroupsLeft(entries []os.DirEntry) int {
	n := 0
	prefix := "facevec-lambda-" + strconv.Itoa(os.Getpid()) + "-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			n++
		}
	}
	return n
}

// sandboxProcesses lists the host pids running as Lambda's uid that
// descend from this test process (other test binaries run sandboxes too).
func sandboxProcesses() []int {
	var out []int
	for _, pid := range uidProcesses() {
		for p, hops := pid, 0; p > 1 && hops < 64; hops++ {
			if p = parentPID(p); p == os.Getpid() {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

func parentPID(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// uidProcesses lists host pids running as Lambda's uid.
func uidProcesses() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !processRunning(pid) {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] == strconv.Itoa(sandboxUID) {
				out = append(out, pid)
			}
		}
	}
	return out
}

// TestSandboxInUserNamespace runs the sandbox the way a stack that is not
// root builds it, through a user namespace whose root is the stack's user
// (here root, so the package, root's files, stays reachable; a user would
// map their own). Everything but Lambda's uid, the memory cgroup and file
// modes holds, and the warning says so.
func TestSandboxInUserNamespace(t *testing.T) {
	st := newStack(t, Options{NoSandbox: true})
	sb := newSandboxer(false, st.svc.workDir, &hostIDs{uid: os.Geteuid(), gid: os.Getegid()})
	if !sb.active() {
		t.Skipf("no user namespace here: %v", sb.gaps)
	}
	if sb.memory != nil || !strings.Contains(strings.Join(sb.gaps, ";"), "MemorySize") ||
		!strings.Contains(strings.Join(sb.gaps, ";"), "0600") {
		t.Errorf("gaps %q, want MemorySize and file modes named", sb.gaps)
	}
	st.svc.sandbox = sb
	st.create(t, "userns", nil)
	wd, _ := os.Getwd()
	r := st.invoke(t, "userns", map[string]any{
		"env": []string{"LAMBDA_TASK_ROOT"}, "exists": []string{wd, "/var/task/bootstrap"}, "statfs": "/tmp",
	})
	if r.out.FunctionError != nil {
		t.Fatalf("invoke: %s", r.out.Payload)
	}
	if r.resp.UID != 0 || r.resp.Cwd != "/var/task" || r.resp.Env["LAMBDA_TASK_ROOT"] != "/var/task" {
		t.Errorf("uid %d cwd %q LAMBDA_TASK_ROOT %q; want 0 (of the namespace), /var/task twice",
			r.resp.UID, r.resp.Cwd, r.resp.Env["LAMBDA_TASK_ROOT"])
	}
	if !slices.Equal(r.resp.Existing, []string{"/var/task/bootstrap"}) {
		t.Errorf("paths seen %v, want only /var/task/bootstrap (not the host's %s)", r.resp.Existing, wd)
	}
	if want := int64(DefaultEphemeralStorageMB) << 20; r.resp.FSBytes != want {
		t.Errorf("/tmp holds %d bytes, want %d", r.resp.FSBytes, want)
	}
	w := st.invoke(t, "userns", map[string]any{"write": "/var/task/new"})
	if w.errDoc.ErrorMessage != "open /var/task/new: read-only file system" {
		t.Errorf("write into the task root: %s, want read-only file system", w.out.Payload)
	}
}

// chrootStack is a stack whose sandbox is built the way root without
// CAP_SYS_ADMIN builds it (chroot and setuid only).
func chrootStack(t *testing.T) *stack {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	st := newStack(t, Options{NoSandbox: true})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sb := &sandboxer{self: self, chrootOnly: true}
	if err := sb.probe(st.svc.workDir); err != nil {
		t.Fatalf("chroot probe: %v", err)
	}
	st.svc.sandbox = sb
	return st
}

// TestSandboxChrootOnly runs the sandbox the way root without
// CAP_SYS_ADMIN builds it (a container with Docker's default capabilities):
// no namespaces or mounts, a root filesystem on disk, chroot and setuid.
// Lambda's user, the task root, no host path and unreadable 0600 files
// hold; a write into the task root is refused by permissions instead of a
// read-only mount.
func TestSandboxChrootOnly(t *testing.T) {
	st := chrootStack(t)
	bin, err := os.ReadFile(echoBin)
	if err != nil {
		t.Fatal(err)
	}
	st.create(t, "chroot", func(in *lambda.CreateFunctionInput) {
		in.Code = &types.FunctionCode{ZipFile: makeZip(
			zipEntry{name: "bootstrap", mode: 0o755, data: bin},
			zipEntry{name: "models/private.dat", mode: 0o600, data: []byte("weights")},
		)}
	})
	wd, _ := os.Getwd()
	r := st.invoke(t, "chroot", map[string]any{
		"env": []string{"LAMBDA_TASK_ROOT"}, "exists": []string{wd, "/var/task/bootstrap", "/tmp", "/dev/null"}, "write": "/tmp/ok",
	})
	if r.out.FunctionError != nil {
		t.Fatalf("invoke: %s", r.out.Payload)
	}
	// No PID namespace: a uid of the environment's own, not Lambda's 993.
	if r.resp.UID < chrootUIDBase || r.resp.UID >= chrootUIDBase+chrootUIDCount || r.resp.Cwd != "/var/task" || r.resp.Env["LAMBDA_TASK_ROOT"] != "/var/task" {
		t.Errorf("uid %d cwd %q LAMBDA_TASK_ROOT %q; want one from %d up, /var/task twice", r.resp.UID, r.resp.Cwd, r.resp.Env["LAMBDA_TASK_ROOT"], chrootUIDBase)
	}
	if slices.Contains(r.resp.Existing, wd) || !slices.Contains(r.resp.Existing, "/var/task/bootstrap") || !slices.Contains(r.resp.Existing, "/tmp") {
		t.Errorf("paths seen %v, want the task root and /tmp, not the host's %s", r.resp.Existing, wd)
	}
	for event, want := range map[string]string{
		"/var/task/models/private.dat": "open /var/task/models/private.dat: permission denied",
	} {
		if e := st.invoke(t, "chroot", map[string]any{"read": event}); e.errDoc.ErrorMessage != want {
			t.Errorf("read %s: %s, want %q", event, e.out.Payload, want)
		}
	}
	if e := st.invoke(t, "chroot", map[string]any{"write": "/var/task/new"}); e.errDoc.ErrorMessage != "open /var/task/new: permission denied" {
		t.Errorf("write into the task root: %s, want permission denied", e.out.Payload)
	}
}

// TestSandboxTmpIsEphemeralStorage: on AWS /tmp is storage of its own,
// EphemeralStorage.Size MB (512 to 10240), not memory: a 128 MB function
// writes 300 MiB to a 1024 MB /tmp without Runtime.OutOfMemory, and a
// write past the size fails with ENOSPC.
func TestSandboxTmpIsEphemeralStorage(t *testing.T) {
	st := sandboxStack(t)
	if st.svc.sandbox.memory == nil {
		t.Skipf("no memory cgroup here: %v", st.svc.sandbox.gaps)
	}
	st.create(t, "scratch", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(128)
		in.Timeout = aws.Int32(60)
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(1024)}
	})
	fs := st.invoke(t, "scratch", map[string]any{"statfs": "/tmp"})
	if want := int64(1024) << 20; fs.resp.FSBytes < want*95/100 || fs.resp.FSBytes > want {
		t.Errorf("/tmp holds %d bytes, want the ephemeral storage of 1024 MiB (%d, less file system overhead)", fs.resp.FSBytes, want)
	}
	r := st.invoke(t, "scratch", map[string]any{"write": "/tmp/big", "write_mb": 300})
	if r.out.FunctionError != nil {
		t.Errorf("300 MiB to /tmp in a 128 MB function: %s, want it written", r.out.Payload)
	}
	full := st.invoke(t, "scratch", map[string]any{"write": "/tmp/bigger", "write_mb": 800})
	if !strings.Contains(full.errDoc.ErrorMessage, "no space left on device") {
		t.Errorf("1100 MiB in a 1024 MB /tmp: %s, want ENOSPC", full.out.Payload)
	}
}

// TestSandboxChrootOnlyEnvironmentsCannotSignalEachOther: without a PID
// namespace (a container with Docker's default capabilities) every
// environment sees every process, so isolation rests on uids: each
// environment runs as its own, and one function's kill(-1, SIGKILL) leaves
// another function's process alone.
func TestSandboxChrootOnlyEnvironmentsCannotSignalEachOther(t *testing.T) {
	st := chrootStack(t)
	st.create(t, "victim", nil)
	st.create(t, "killer", nil)
	victim := st.invoke(t, "victim", map[string]any{})
	killer := st.invoke(t, "killer", map[string]any{})
	if victim.out.FunctionError != nil || killer.out.FunctionError != nil {
		t.Fatalf("invoke: %s / %s", victim.out.Payload, killer.out.Payload)
	}
	// Stop here on a shared uid: kill(-1) as Lambda's uid would reach every
	// sandboxed process of that uid on this machine, other tests' too.
	if victim.resp.UID == killer.resp.UID {
		t.Fatalf("both environments run as uid %d: with no PID namespace one's kill(-1) reaches the other", victim.resp.UID)
	}
	if k := st.invoke(t, "killer", map[string]any{"kill_all": true}); k.out.FunctionError != nil {
		t.Fatalf("kill_all: %s", k.out.Payload)
	}
	again := st.invoke(t, "victim", map[string]any{})
	if !processRunning(victim.resp.PID) || again.resp.PID != victim.resp.PID {
		t.Errorf("the victim's process %d was killed by another function's kill(-1) (now served by %d)", victim.resp.PID, again.resp.PID)
	}
}

// TestSandboxChrootOnlySweepsWhatIsLeft: a process a function moved out of
// its process group (setsid) survives the group's kill; without a PID
// namespace nothing else would end it, and it would hold the environment's
// uid into the next environment that gets it. Reaping the environment
// kills everything left running as its uid.
func TestSandboxChrootOnlySweepsWhatIsLeft(t *testing.T) {
	st := chrootStack(t)
	st.create(t, "escaper", nil)
	r := st.invoke(t, "escaper", map[string]any{"spawn": true, "escape": true})
	if r.out.FunctionError != nil || r.resp.ChildPID == 0 {
		t.Fatalf("spawn: %s", r.out.Payload)
	}
	if !processRunning(r.resp.ChildPID) {
		t.Fatalf("the escaped child %d is not running", r.resp.ChildPID)
	}
	// The environment ends (the function exits); its reaping must end the
	// child too.
	st.invoke(t, "escaper", map[string]any{"exit": 3})
	waitGone(t, r.resp.ChildPID)
}
