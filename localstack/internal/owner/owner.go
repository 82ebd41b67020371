// Package owner names the process that made something (a container, a
// temporary directory) so that a later process can tell whether its maker
// is gone and clean up after a run killed with SIGKILL.
package owner

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Self is this process: "host/pid/start", the start time making a reused
// pid tell apart from the owner.
func Self() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return host + "/" + strconv.Itoa(pid) + "/" + processStart(pid)
}

// Gone reports whether owner names a process of this host that no longer
// runs. Another host's, or a label it cannot read, is never taken for gone:
// its owner may be alive.
func Gone(owner string) bool {
	host, rest, ok := strings.Cut(owner, "/")
	pidText, start, ok2 := strings.Cut(rest, "/")
	pid, err := strconv.Atoi(pidText)
	if me, _ := os.Hostname(); !ok || !ok2 || err != nil || pid <= 0 || host != me {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return true
	}
	now := processStart(pid)
	return start != "" && now != "" && now != start
}

// processStart is a process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat); "" where /proc cannot tell.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return ""
	}
	return f[19]
}
