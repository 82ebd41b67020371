//go:build !linux

package lambdasvc

import (
	"errors"
	"os"
	"os/exec"
)

// newSandboxer: the sandbox needs Linux namespaces and cgroups; elsewhere
// functions run as plain child processes, with one warning.
func newSandboxer(disabled bool, _ string, _ *hostIDs) *sandboxer {
	if disabled {
		return &sandboxer{}
	}
	return &sandboxer{gaps: []string{"not Linux: non-root user, read-only /var/task, own root filesystem, private /tmp, namespaces and MemorySize"}}
}

func (sb *sandboxer) command(*exec.Cmd, sandboxConfig) (*os.File, error) {
	return nil, errors.ErrUnsupported
}

func buildRootOnDisk(string, string) error { return errors.ErrUnsupported }

func (sb *sandboxer) sweepUID(int) error { return errors.ErrUnsupported }

func (sb *sandboxer) prepareTmp(string, *sandboxConfig) error { return errors.ErrUnsupported }
