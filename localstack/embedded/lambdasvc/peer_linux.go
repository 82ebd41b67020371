package lambdasvc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// peerCheckGap is "" where the Runtime API can tell which process is on
// the other end of a connection (it reads /proc/net/tcp and /proc/<pid>/fd),
// else why not, for the service's warning.
func peerCheckGap() string {
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		return "the Runtime API cannot tell the function's process from others (" + err.Error() + "): any local process may take its invocations"
	}
	return ""
}

// connFromTree reports whether the client end of the loopback connection
// client→server belongs to the environment whose process is root: when the
// environment has a uid of its own (uid != 0: the chroot-only sandbox, see
// uids.go), a socket made by that uid; else a socket held open by root or
// one of its descendants. The uid is what works in a container: there the
// stack is root without CAP_SYS_PTRACE and may not look into another
// user's /proc/<pid>/fd.
//
// TCP has no SO_PEERCRED, but on Linux the kernel lists both ends of a
// loopback connection in /proc/net/tcp with the socket's inode, and a
// process's open sockets are its /proc/<pid>/fd links "socket:[inode]".
// The function and the stack share the network namespace (the sandbox
// makes none), so the stack sees the function's end. The tree is walked
// from root (the environment's process, which also is its PID namespace's
// init, so orphans of the function are re-parented to it and stay in the
// tree).
func connFromTree(client, server *net.TCPAddr, root, uid int) (bool, error) {
	inode, sockUID, err := socketInode(client, server)
	if err != nil {
		return false, err
	}
	if uid != 0 {
		return sockUID == strconv.Itoa(uid), nil
	}
	want := "socket:[" + inode + "]"
	seen := map[int]bool{}
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil && pid == root && !errors.Is(err, os.ErrNotExist) {
			return false, err // not allowed to look: say so rather than refuse blindly
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && link == want {
				return true, nil
			}
		}
		queue = append(queue, childPIDs(pid)...)
	}
	return false, nil
}

// childPIDs lists pid's children, from every thread's children file.
func childPIDs(pid int) []int {
	tasks, _ := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", t.Name(), "children"))
		if err != nil {
			continue
		}
		for f := range strings.FieldsSeq(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// socketInode finds the inode and owner uid of the socket whose local end
// is client and remote end is server in /proc/net/tcp (IPv4: the Runtime
// API listens on 127.0.0.1).
func socketInode(client, server *net.TCPAddr) (inode, uid string, err error) {
	local, err := procNetAddr(client)
	if err != nil {
		return "", "", err
	}
	remote, err := procNetAddr(server)
	if err != nil {
		return "", "", err
	}
	f, err := os.Open("/proc/self/net/tcp")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && fields[1] == local && fields[2] == remote {
			return fields[9], fields[7], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	return "", "", fmt.Errorf("no socket %s→%s in /proc/net/tcp", client, server)
}

// procNetAddr writes addr as /proc/net/tcp does: the IPv4 address as the
// kernel's 32-bit word in host byte order, then the port, both hex.
func procNetAddr(addr *net.TCPAddr) (string, error) {
	ip4 := addr.IP.To4()
	if ip4 == nil {
		return "", errors.New("not an IPv4 address: " + addr.String())
	}
	return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(ip4), addr.Port), nil
}
