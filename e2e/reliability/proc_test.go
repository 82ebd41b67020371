//go:build e2e

package reliability

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// proc is a child process of this test binary, as /proc shows it.
type proc struct {
	pid int
	exe string
}

// bootstrapProcs lists the function processes the embedded Lambda started
// for this test: children of this process whose executable is a bootstrap
// unpacked below workDir. Processes of other tests or other programs are
// never matched, so killing one is safe.
func bootstrapProcs(workDir string) ([]proc, error) {
	root, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, err := parentOf(pid)
		if err != nil || ppid != self {
			continue // gone meanwhile, or not ours
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		if filepath.Base(exe) == "bootstrap" && strings.HasPrefix(exe, root+string(filepath.Separator)) {
			out = append(out, proc{pid: pid, exe: exe})
		}
	}
	return out, nil
}

// statFields returns the fields of /proc/PID/stat after the command name
// (which may contain spaces and parentheses), so fields[0] is the state.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(b[i+1:])), nil
}

func parentOf(pid int) (int, error) {
	f, err := statFields(pid)
	if err != nil || len(f) < 2 {
		return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	return strconv.Atoi(f[1])
}

// cpuTicks is the user+system CPU time of pid in clock ticks.
func cpuTicks(pid int) (int64, error) {
	f, err := statFields(pid)
	if err != nil || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	// utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime %q %q", pid, f[11], f[12])
	}
	return u + s, nil
}

// environOf returns the value of an environment variable of pid.
func environOf(pid int, name string) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return "", err
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte(name+"=")); ok {
			return string(v), nil
		}
	}
	return "", fmt.Errorf("pid %d has no %s", pid, name)
}
