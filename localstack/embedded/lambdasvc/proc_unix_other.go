//go:build unix && !linux

package lambdasvc

import "syscall"

// setParentDeathSignal has no equivalent outside Linux; Close still kills
// every process group.
func setParentDeathSignal(*syscall.SysProcAttr) {}
