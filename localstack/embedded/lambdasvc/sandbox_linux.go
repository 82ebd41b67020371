package lambdasvc

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// envSandboxInit marks a process started as an environment's init: this
// package's init function takes it over before main (or TestMain) runs, so
// every binary that embeds the stand-in can serve as its own init.
const envSandboxInit = "_FACEVEC_LAMBDA_SANDBOX_INIT"

func init() {
	switch os.Getenv(envSandboxInit) {
	case "run":
		sandboxInit()
	case "probe":
		sandboxProbe()
	case "probe-chroot":
		sandboxProbeChroot()
	case "probe-tmp":
		sandboxProbeTmp()
	case "sweep-uid":
		sandboxSweepUID()
	}
}

// sandboxCloneFlags are the namespaces of an environment. No network
// namespace: the function reaches the Runtime API and the stack's endpoint
// on the host's loopback, as a Lambda reaches AWS's.
const sandboxCloneFlags = syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// newSandboxer finds out how much of the sandbox this process can build.
// disabled (Options.NoSandbox) turns it off without a warning. With userNS
// nil (the stack is root) it builds all of it; otherwise it uses an
// unprivileged user namespace mapping Lambda's ids to userNS, which gives
// everything but the memory cgroup, with a package whose files belong to the
// stack's user, so their modes do not bind the function.
func newSandboxer(disabled bool, workDir string, userNS *hostIDs) *sandboxer {
	if disabled {
		return &sandboxer{}
	}
	all := []string{"non-root user", "read-only /var/task", "own root filesystem (host paths visible)",
		"private /tmp with a size cap", "namespaces", "MemorySize"}
	self, err := os.Executable()
	if err != nil {
		return &sandboxer{gaps: append([]string{"no path to this executable: " + err.Error()}, all...)}
	}
	sb := &sandboxer{self: self, userNS: userNS}
	if err := sb.probe(workDir); err != nil {
		why := "cannot build namespaces and mounts"
		if sb.userNS != nil {
			return &sandboxer{gaps: append([]string{"the stack is not root and cannot make a user namespace: " + err.Error()}, all...)}
		}
		// Root without CAP_SYS_ADMIN (a container): chroot and setuid
		// still give Lambda's user, a read-only task root and no host path.
		sb.chrootOnly = true
		if cerr := sb.probe(workDir); cerr != nil {
			return &sandboxer{gaps: append([]string{why + ": " + err.Error() + "; nor chroot: " + cerr.Error()}, all...)}
		}
		sb.gaps = append(sb.gaps, "namespaces and mounts ("+oneLine(err.Error())+"): /tmp has no size cap, no /proc, the host's PIDs; "+
			"Lambda's uid (with no PID namespace each environment runs as a uid of its own, from "+strconv.Itoa(chrootUIDBase)+
			", so that one function's kill(-1) cannot reach another's processes)")
	}
	if sb.userNS != nil {
		sb.gaps = append(sb.gaps, "MemorySize (not root: no memory cgroup)",
			"Lambda's uid (it runs as root of a user namespace, uid "+strconv.Itoa(userNS.uid)+" outside)",
			"package file modes (its files belong to the stack's user, uid "+strconv.Itoa(userNS.uid)+", so a 0600 file is readable)")
		return sb
	}
	if !sb.chrootOnly {
		if mkfs, err := sb.probeTmpImage(workDir); err != nil {
			sb.gaps = append(sb.gaps, "EphemeralStorage size (/tmp cannot be a file system of its own: "+oneLine(err.Error())+
				"): /tmp is a directory on the stack's disk with no size cap")
		} else {
			sb.mkfs = mkfs
		}
	}
	if d, err := usableCgroup(); err != nil {
		sb.gaps = append(sb.gaps, "MemorySize (no memory cgroup: "+err.Error()+")")
	} else {
		sb.memory = d
	}
	return sb
}

// probe starts this executable as a probe init in the sandbox's
// namespaces; it mounts a tmpfs and exits 0 if all that is allowed.
func (sb *sandboxer) probe(workDir string) error {
	dir, err := os.MkdirTemp(workDir, "probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	mode := "probe"
	if sb.chrootOnly {
		mode = "probe-chroot"
	}
	return sb.runProbe(mode, "PROBE_DIR="+dir)
}

// runProbe runs this executable as the init in probe mode, in the
// sandbox's namespaces, with env; it fails with the probe's output.
func (sb *sandboxer) runProbe(mode string, env ...string) error {
	cmd := exec.Command(sb.self)
	cmd.Env = append([]string{envSandboxInit + "=" + mode}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	sb.namespaces(cmd.SysProcAttr)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func sandboxProbe() {
	dir := os.Getenv("PROBE_DIR")
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintln(os.Stderr, "make mounts private:", err)
		os.Exit(1)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		fmt.Fprintln(os.Stderr, "mount tmpfs:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// sandboxProbeTmp mounts PROBE_IMAGE on PROBE_DIR the way an
// environment's /tmp is mounted.
func sandboxProbeTmp() {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintln(os.Stderr, "make mounts private:", err)
		os.Exit(1)
	}
	if err := mountTmpImage(os.Getenv("PROBE_IMAGE"), os.Getenv("PROBE_DIR")); err != nil {
		fmt.Fprintln(os.Stderr, "mount /tmp image:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// sweepUID kills every process running as uid: a helper (this
// executable, started as root since only root may exec it from wherever it
// lies, then setuid) sends kill(-1, SIGKILL), which reaches exactly the
// processes of its uid and spares itself, however they were started
// (setsid, double fork).
func (sb *sandboxer) sweepUID(uid int) error {
	cmd := exec.Command(sb.self)
	cmd.Env = []string{envSandboxInit + "=sweep-uid", "SWEEP_UID=" + strconv.Itoa(uid)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func sandboxSweepUID() {
	uid, err := strconv.Atoi(os.Getenv("SWEEP_UID"))
	if err != nil || uid == 0 {
		fmt.Fprintln(os.Stderr, "SWEEP_UID:", os.Getenv("SWEEP_UID"))
		os.Exit(1)
	}
	if err := syscall.Setuid(uid); err != nil {
		fmt.Fprintln(os.Stderr, "setuid:", err)
		os.Exit(1)
	}
	// ESRCH: nothing else runs as this uid.
	if err := syscall.Kill(-1, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintln(os.Stderr, "kill(-1):", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// namespaces sets the clone flags (and, without root, the user
// namespace's id maps) of an environment's init.
func (sb *sandboxer) namespaces(a *syscall.SysProcAttr) {
	if sb.chrootOnly {
		return
	}
	a.Cloneflags = sandboxCloneFlags
	if sb.userNS == nil {
		return
	}
	a.Cloneflags |= syscall.CLONE_NEWUSER
	// An unprivileged user may map one id, its own. It is mapped to root
	// of the namespace: the init needs that root's capabilities to mount,
	// and an exec as any other id would drop them. So the function runs as
	// uid 0 of its namespace (the stack's user outside), not as uid 993.
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: sb.userNS.uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: sb.userNS.gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
}

// sandboxProbeChroot checks what chrootOnly needs: chroot, then setuid.
func sandboxProbeChroot() {
	if err := syscall.Chroot(os.Getenv("PROBE_DIR")); err != nil {
		fmt.Fprintln(os.Stderr, "chroot:", err)
		os.Exit(1)
	}
	if err := syscall.Setuid(sandboxUID); err != nil {
		fmt.Fprintln(os.Stderr, "setuid:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// buildRootOnDisk makes the chrootOnly root filesystem in root: the package
// hard-linked (or copied) at var/task with its modes, an empty tmp, and the
// /dev basics where mknod is allowed. Owned by root, so Lambda's user can
// write nowhere but /tmp.
func buildRootOnDisk(root, code string) error {
	task := filepath.Join(root, "var", "task")
	for _, d := range []string{"var/runtime", "opt", "dev"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(root, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o1777|os.ModeSticky); err != nil {
		return err
	}
	for name, dev := range map[string]uint64{"null": unix.Mkdev(1, 3), "zero": unix.Mkdev(1, 5), "random": unix.Mkdev(1, 8), "urandom": unix.Mkdev(1, 9)} {
		_ = unix.Mknod(filepath.Join(root, "dev", name), unix.S_IFCHR|0o666, int(dev)) // best effort
	}
	return filepath.WalkDir(code, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(code, p)
		dst := filepath.Join(task, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			return os.Chmod(dst, info.Mode().Perm())
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		if os.Link(p, dst) == nil {
			return nil
		}
		return copyFile(p, dst, info.Mode().Perm())
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// sandboxCommand turns cmd (bootstrap with its environment) into the
// sandbox's init for it. It returns the config to write on fd 3 and the
// status pipe the init reports an exec failure on.
func (sb *sandboxer) command(cmd *exec.Cmd, cfg sandboxConfig) (status *os.File, err error) {
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, err
	}
	data, err := json.Marshal(cfg)
	if err == nil && len(data) > 60000 {
		err = fmt.Errorf("sandbox configuration of %d bytes does not fit a pipe", len(data))
	}
	if err == nil {
		_, err = cfgW.Write(data) // fits the pipe buffer: the init reads it later
	}
	cfgW.Close()
	if err != nil {
		cfgR.Close()
		statusR.Close()
		statusW.Close()
		return nil, err
	}
	cmd.Path, cmd.Args = sb.self, []string{"lambda-init"}
	cmd.Dir = ""
	cmd.Env = []string{envSandboxInit + "=run"}
	cmd.ExtraFiles = []*os.File{cfgR, statusW}
	sb.namespaces(cmd.SysProcAttr)
	return statusR, nil
}

// sandboxInit builds the environment and execs bootstrap; it never returns.
// It runs as root in fresh namespaces, before any other package's code.
func sandboxInit() {
	status := os.NewFile(4, "status")
	fail := func(code int, err error) {
		fmt.Fprintln(status, err)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(code)
	}
	var cfg sandboxConfig
	if err := json.NewDecoder(os.NewFile(3, "config")).Decode(&cfg); err != nil {
		fail(sandboxSetupExit, errSandboxSetup("read configuration", err))
	}
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	if !cfg.NoMounts {
		if err := buildRoot(cfg); err != nil {
			fail(sandboxSetupExit, err)
		}
	}
	if cfg.Procs != "" {
		// Before chroot (the path is the host's) and before bootstrap can
		// allocate anything.
		if err := os.WriteFile(cfg.Procs, []byte("0"), 0); err != nil {
			fail(sandboxSetupExit, errSandboxSetup("join memory cgroup", err))
		}
	}
	type step struct {
		name string
		f    func() error
	}
	steps := []step{
		{"chroot", func() error { return syscall.Chroot(cfg.Root) }},
		{"chdir /var/task", func() error { return syscall.Chdir(taskRoot) }},
	}
	if !cfg.InUserNS {
		steps = append(steps,
			step{"setgroups", func() error { return syscall.Setgroups(nil) }},
			step{"setgid", func() error { return syscall.Setgid(cfg.GID) }},
			step{"setuid", func() error { return syscall.Setuid(cfg.UID) }})
	}
	steps = append(steps, []step{
		// A credential change clears the parent-death signal; set it again
		// so the function dies with the stack.
		{"parent-death signal", func() error { return unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0) }},
		{"no new privileges", func() error { return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }},
	}...)
	for _, s := range steps {
		if err := s.f(); err != nil {
			fail(sandboxSetupExit, errSandboxSetup(s.name, err))
		}
	}
	bootstrap := filepath.Join(taskRoot, "bootstrap")
	err := syscall.Exec(bootstrap, []string{bootstrap}, cfg.Env)
	fail(sandboxExecExit, fmt.Errorf("fork/exec %s: %w%s", bootstrap, err, execHint(bootstrap, err)))
}

// execHint explains an exec failure the way a user can act on it.
func execHint(path string, err error) string {
	if !errors.Is(err, syscall.ENOENT) {
		return ""
	}
	if _, serr := os.Stat(path); serr != nil {
		return " (the package has no bootstrap at its root)"
	}
	f, ferr := elf.Open(path)
	if ferr != nil {
		return ""
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		interp, _ := io.ReadAll(io.LimitReader(p.Open(), 256))
		return fmt.Sprintf(" (bootstrap is dynamically linked: its loader %s and the host's shared libraries are not in the sandbox; "+
			"on AWS it would depend on the runtime's glibc, which may not match the build host's. Link it statically: "+
			"CGO_ENABLED=0, or -ldflags '-linkmode external -extldflags -static')", strings.TrimRight(string(interp), "\x00"))
	}
	return ""
}

// buildRoot mounts the environment's root filesystem on cfg.Root.
func buildRoot(cfg sandboxConfig) error {
	r := cfg.Root
	type mount struct {
		name                string
		src, target, fstype string
		flags               uintptr
		data                string
	}
	for _, m := range []mount{
		{"make mounts private", "", "/", "", unix.MS_REC | unix.MS_PRIVATE, ""},
		{"root tmpfs", "tmpfs", r, "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755,size=1m"},
	} {
		if err := unix.Mount(m.src, m.target, m.fstype, m.flags, m.data); err != nil {
			return errSandboxSetup(m.name, err)
		}
	}
	for _, d := range []string{"var/task", "var/runtime", "tmp", "proc", "dev", "opt"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			return errSandboxSetup("mkdir "+d, err)
		}
	}
	task := filepath.Join(r, "var/task")
	for _, s := range []mount{
		{"bind /var/task", cfg.Code, task, "", unix.MS_BIND | unix.MS_REC, ""},
		{"read-only /var/task", "", task, "", unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV, ""},
		{"/proc", "proc", filepath.Join(r, "proc"), "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	} {
		if err := unix.Mount(s.src, s.target, s.fstype, s.flags, s.data); err != nil {
			return errSandboxSetup(s.name, err)
		}
	}
	if err := mountTmp(cfg, filepath.Join(r, "tmp")); err != nil {
		return err
	}
	for _, dev := range []string{"null", "zero", "random", "urandom"} {
		target := filepath.Join(r, "dev", dev)
		if err := os.WriteFile(target, nil, 0o666); err != nil {
			return errSandboxSetup("create /dev/"+dev, err)
		}
		if err := unix.Mount("/dev/"+dev, target, "", unix.MS_BIND, ""); err != nil {
			return errSandboxSetup("bind /dev/"+dev, err)
		}
	}
	for name, target := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(r, "dev", name)); err != nil {
			return errSandboxSetup("link /dev/"+name, err)
		}
	}
	// On AWS only /tmp is writable.
	if err := unix.Mount("", r, "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return errSandboxSetup("read-only root", err)
	}
	return nil
}

// mountTmp mounts the environment's /tmp on target (see
// tmpstorage_linux.go).
func mountTmp(cfg sandboxConfig, target string) error {
	switch {
	case cfg.TmpImage != "":
		if err := mountTmpImage(cfg.TmpImage, target); err != nil {
			return errSandboxSetup("/tmp on its ephemeral storage", err)
		}
	case cfg.TmpDir != "":
		if err := unix.Mount(cfg.TmpDir, target, "", unix.MS_BIND, ""); err != nil {
			return errSandboxSetup("bind /tmp", err)
		}
		if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
			return errSandboxSetup("/tmp nosuid,nodev", err)
		}
	default:
		if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777,size="+strconv.FormatInt(cfg.TmpBytes, 10)); err != nil {
			return errSandboxSetup("/tmp tmpfs", err)
		}
	}
	return nil
}

// usableCgroup is detectCgroup's driver once a child cgroup could be made
// and removed with it.
func usableCgroup() (cgroupDriver, error) {
	d, err := detectCgroup()
	if err != nil {
		return nil, err
	}
	cg, err := d.create("facevec-lambda-probe-"+strconv.Itoa(os.Getpid()), 64<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	if err := cg.remove(); err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return d, nil
}

// detectCgroup picks the memory cgroup driver: v2 when the unified
// hierarchy has the memory controller, else v1's memory hierarchy. Child
// cgroups are made under this process's own cgroup.
func detectCgroup() (cgroupDriver, error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	if p, ok := own[""]; ok {
		base := filepath.Join("/sys/fs/cgroup", p)
		if ctrl, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil && strings.Contains(" "+string(ctrl)+" ", " memory ") {
			return &cgroupV2{base: base}, nil
		}
	}
	if p, ok := own["memory"]; ok {
		base := filepath.Join("/sys/fs/cgroup/memory", p)
		if _, err := os.Stat(filepath.Join(base, "memory.limit_in_bytes")); err == nil {
			return &cgroupV1{base: base}, nil
		}
	}
	return nil, errors.New("neither cgroup v2 with the memory controller nor v1's memory hierarchy is mounted")
}

// ownCgroups maps a controller ("" for v2's unified hierarchy) to this
// process's cgroup path.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for c := range strings.SplitSeq(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, sc.Err()
}

type cgroupV1 struct{ base string }

func (d *cgroupV1) String() string { return "cgroup v1 memory at " + d.base }
func (d *cgroupV1) dir() string    { return d.base }

func (d *cgroupV1) create(name string, limit int64) (memCgroup, error) {
	dir := filepath.Join(d.base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &cgroupDir{dir: dir, events: "memory.oom_control"}
	limitText := []byte(strconv.FormatInt(limit, 10))
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), limitText, 0); err != nil {
		cg.remove()
		return nil, err
	}
	// With swap accounting, memory+swap gets the same cap, or the function
	// would swap instead of being killed. Absent without it: not an error.
	_ = os.WriteFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), limitText, 0)
	_ = os.WriteFile(filepath.Join(dir, "memory.swappiness"), []byte("0"), 0)
	return cg, nil
}

type cgroupV2 struct{ base string }

func (d *cgroupV2) String() string { return "cgroup v2 at " + d.base }
func (d *cgroupV2) dir() string    { return d.base }

func (d *cgroupV2) create(name string, limit int64) (memCgroup, error) {
	// The memory controller must be enabled for our children.
	_ = os.WriteFile(filepath.Join(d.base, "cgroup.subtree_control"), []byte("+memory"), 0)
	dir := filepath.Join(d.base, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &cgroupDir{dir: dir, events: "memory.events"}
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.FormatInt(limit, 10)), 0); err != nil {
		cg.remove()
		return nil, err
	}
	_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0)
	return cg, nil
}

// cgroupDir is a cgroup directory of either version; events is the file
// with the "oom_kill N" line.
type cgroupDir struct{ dir, events string }

func (c *cgroupDir) procsFile() string { return filepath.Join(c.dir, "cgroup.procs") }

func (c *cgroupDir) oomKilled() bool {
	b, err := os.ReadFile(filepath.Join(c.dir, c.events))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if n, ok := strings.CutPrefix(strings.TrimSpace(line), "oom_kill "); ok {
			k, _ := strconv.Atoi(n)
			return k > 0
		}
	}
	return false
}

// remove deletes the cgroup once its processes are gone.
func (c *cgroupDir) remove() error {
	return os.Remove(c.dir)
}
