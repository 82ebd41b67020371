package lambdasvc

import (
	"fmt"
	"log/slog"
	"strings"
)

// The sandbox runs each execution environment the way AWS Lambda does (AWS's
// "Security Overview of AWS Lambda"), so that what would fail on AWS fails
// here first: a package file only its owner can read, a write into the task
// root, a dynamically linked bootstrap that needs host libraries, memory past
// MemorySize, a variable only the host has.
//
// With root (CI, containers with the capabilities) an environment gets, on
// Linux: its own mount, PID, IPC and UTS namespaces; a root filesystem of its
// own (a tmpfs, chroot'ed into, read-only) holding the package read-only at
// /var/task (also the working directory), a private writable /tmp of the
// function's ephemeral storage (a file system of its own on disk, not
// memory: tmpstorage_linux.go), /proc and /dev's basics, and no host
// path; Lambda's user (uid 993, gid 990, sbx_user1051 on AWS) instead of
// root; MemorySize enforced by a memory cgroup (v2 where it has the memory
// controller, else v1); and exactly Lambda's environment variables. Without
// root, or where a piece cannot be built, functions run as plain child
// processes, and one warning names what is not enforced.

// Lambda's execution user and the paths it sees.
const (
	sandboxUID  = 993
	sandboxGID  = 990
	taskRoot    = "/var/task"
	runtimeDir  = "/var/runtime"
	sandboxPath = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
	// sandboxLibPath is LD_LIBRARY_PATH as AWS documents it for OS-only
	// runtimes.
	sandboxLibPath = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
	// DefaultEphemeralStorageMB is Lambda's default /tmp size.
	DefaultEphemeralStorageMB = 512
)

// sandboxer starts environments inside the sandbox, or reports why it
// cannot. Its zero value (and nil) runs plain processes.
type sandboxer struct {
	// self is the executable re-run as the environment's init; "" means no
	// sandbox.
	self string
	// memory is the cgroup driver enforcing MemorySize, nil when none.
	memory cgroupDriver
	// gaps are the properties not enforced, for the one warning.
	gaps []string
	// userNS, when set, builds the environment in an unprivileged user
	// namespace instead (the stack is not root), whose root is these host
	// ids; it needs no privilege of its own.
	userNS *hostIDs
	// chrootOnly: root, but no namespaces or mounts (a container with
	// Docker's default capabilities). The root filesystem is built on disk
	// instead (the package hard-linked in), then chroot and setuid.
	chrootOnly bool
	// mkfs, when set, is mkfs.ext4: /tmp is an ext4 image of the
	// function's ephemeral storage on a loop device (tmpstorage_linux.go).
	// Unset with mounts and root: /tmp is a directory on the stack's disk.
	mkfs string
	// uids gives each chrootOnly environment a uid of its own (uids.go).
	uids uidPool
}

// hostIDs are the host user and group a user namespace maps Lambda's to.
type hostIDs struct{ uid, gid int }

func (sb *sandboxer) active() bool { return sb != nil && sb.self != "" }

// warn logs once, at Service start, what the embedded Lambda does not
// enforce here.
func (sb *sandboxer) warn(log *slog.Logger) {
	if sb == nil || len(sb.gaps) == 0 {
		return
	}
	log.Warn("lambda sandbox: not enforced here: " + strings.Join(sb.gaps, "; "))
}

// cgroupDriver makes a memory cgroup per environment.
type cgroupDriver interface {
	// create makes a cgroup limited to limit bytes and returns its
	// cgroup.procs file (for the init to join) and a handle.
	create(name string, limit int64) (memCgroup, error)
	// dir is where its cgroups are made.
	dir() string
	String() string
}

// memCgroup is one environment's memory cgroup.
type memCgroup interface {
	procsFile() string
	// oomKilled reports whether the kernel killed a process in it for
	// going over the limit.
	oomKilled() bool
	remove() error
}

// sandboxConfig is what the environment's init receives on fd 3.
type sandboxConfig struct {
	Root     string `json:"root"`      // empty directory to mount the root filesystem on
	Code     string `json:"code"`      // unpacked package, mounted read-only at /var/task
	TmpBytes int64  `json:"tmp_bytes"` // size of /tmp
	// TmpImage is an ext4 image of TmpBytes to mount at /tmp through a
	// loop device; else TmpDir, a directory to bind there; else a tmpfs
	// of TmpBytes (in a user namespace, where no memory cgroup counts it).
	TmpImage string `json:"tmp_image,omitempty"`
	TmpDir   string `json:"tmp_dir,omitempty"`
	UID      int    `json:"uid"`
	GID      int    `json:"gid"`
	// InUserNS: the process already is uid/gid (mapped), so it must not
	// (and cannot) change them.
	InUserNS bool `json:"in_user_ns"`
	// NoMounts: Root is already built on disk (chrootOnly).
	NoMounts bool     `json:"no_mounts"`
	Procs    string   `json:"procs"` // cgroup.procs to join before exec, or ""
	Env      []string `json:"env"`
}

// sandboxSetupExit and sandboxExecExit are the init's exit codes when it
// could not build the environment, or could not exec bootstrap.
const (
	sandboxSetupExit = 125
	sandboxExecExit  = 126
)

func errSandboxSetup(step string, err error) error {
	return fmt.Errorf("lambda sandbox: %s: %w", step, err)
}
