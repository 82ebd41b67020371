package lambdasvc

import "syscall"

// setParentDeathSignal makes the kernel kill the child if this process dies
// without running Close (a crashed test, SIGKILL), so no function process
// outlives the stack.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
