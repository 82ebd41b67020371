//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// proc identifies a process across PID reuse: PID plus start time (clock
// ticks after boot, /proc/PID/stat field 22).
type proc struct {
	PID   int
	Start uint64
	Comm  string
}

func (p proc) String() string { return fmt.Sprintf("%d (%s)", p.PID, p.Comm) }

// procStat reads pid's parent, start time, state and command name.
func procStat(pid int) (ppid int, start uint64, state byte, comm string, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, "", err
	}
	s := string(b)
	// comm is in parentheses and may itself contain spaces or ')'.
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp {
		return 0, 0, 0, "", fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	comm = s[lp+1 : rp]
	f := strings.Fields(s[rp+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 20 {
		return 0, 0, 0, "", fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return 0, 0, 0, "", fmt.Errorf("/proc/%d/stat ppid: %w", pid, err)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, 0, "", fmt.Errorf("/proc/%d/stat starttime: %w", pid, err)
	}
	return ppid, start, f[0][0], comm, nil
}

// descendants lists every live process below root.
func descendants(root int) ([]proc, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]proc{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, start, _, comm, err := procStat(pid)
		if err != nil {
			continue // exited while we looked
		}
		children[ppid] = append(children[ppid], proc{PID: pid, Start: start, Comm: comm})
	}
	var out []proc
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c.PID)
		}
	}
	return out, nil
}

// alive reports whether p still runs (a zombie does not count: it has
// exited and only waits to be reaped by its new parent).
func (p proc) alive() bool {
	_, start, state, _, err := procStat(p.PID)
	return err == nil && start == p.Start && state != 'Z'
}
